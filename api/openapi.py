"""The API definition as OpenAPI 3.0 (OGC's oas30 class), from FastAPI's 3.1 document."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.ogc_filter import collection_paths

OPENAPI_VERSION = "3.0.3"


def to_openapi_30(node: Any) -> Any:
    """Rewrite 3.1-only schema forms: `anyOf [X, null]` → nullable X, `const`, `examples`."""
    if isinstance(node, list):
        return [to_openapi_30(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    variants = node.get("anyOf")
    if isinstance(variants, list) and {"type": "null"} in variants:
        rest = [variant for variant in variants if variant != {"type": "null"}]
        node.pop("anyOf")
        node.update(rest[0] if len(rest) == 1 else {"anyOf": rest})
        node["nullable"] = True
    node = {key: to_openapi_30(value) for key, value in node.items()}
    if "const" in node:
        node["enum"] = [node.pop("const")]
    for bound in ("exclusiveMinimum", "exclusiveMaximum"):
        if isinstance(node.get(bound), int | float) and not isinstance(node[bound], bool):
            node[bound.replace("exclusiveM", "m")] = node[bound]
            node[bound] = True
    if isinstance(node.get("examples"), list) and "in" not in node:
        examples = node.pop("examples")
        if examples:
            node["example"] = examples[0]
    return node


def install_openapi_30(app: FastAPI, public_base_url: str | None = None) -> None:
    """Serve the app's definition as OpenAPI 3.0 at /openapi.json (its server: the public URL)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                servers=[{"url": public_base_url}] if public_base_url else None,
            )
            document = to_openapi_30(collection_paths(document))
            document["openapi"] = OPENAPI_VERSION
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
