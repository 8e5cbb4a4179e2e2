"""HTML views of the OGC API documents, for people browsing the API (f=html)."""

from __future__ import annotations

from html import escape
from typing import Any

import orjson
from fastapi import Request, Response

HTML = "text/html"
SHOWN = {"title", "description", "links", "collections", "conformsTo", "features", "type"}
FEATURE = {"geometry", "properties", "numberMatched", "numberReturned", "id"}
PAGE = """<!doctype html>
<html lang="it"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:80em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}}</style>
</head><body><h1>{title}</h1>{body}</body></html>"""


def wants_html(request: Request, f: str | None) -> bool:
    """HTML when asked with f=html, or by a browser's Accept header without f."""
    if f is not None:
        return f == "html"
    accept = request.headers.get("accept", "")
    return HTML in accept and "json" not in accept


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return escape(orjson.dumps(value).decode())
    if isinstance(value, list):
        return escape(", ".join(str(item) for item in value))
    return "" if value is None else escape(str(value))


def _links(links: list[dict[str, str]]) -> str:
    items = "".join(
        f'<li><a href="{escape(link["href"])}">{escape(link.get("title") or link["href"])}</a>'
        f" ({escape(link['rel'])}, {escape(link['type'])})</li>"
        for link in links
    )
    return f"<ul>{items}</ul>"


def _table(rows: list[dict[str, Any]]) -> str:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    head = "".join(f"<th>{escape(column)}</th>" for column in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_value(row.get(column))}</td>" for column in columns) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def render(document: dict[str, Any], title: str) -> Response:
    """A page showing a document's description, links, collections, classes or features."""
    parts = []
    if document.get("description"):
        parts.append(f"<p>{escape(document['description'])}</p>")
    if "numberMatched" in document:
        parts.append(f"<p>{document['numberReturned']} of {document['numberMatched']} features</p>")
    parts.append(_links(document.get("links", [])))
    members = {k: v for k, v in document.items() if k not in SHOWN | FEATURE}
    if members:
        parts.append(_table([{"member": k, "value": v} for k, v in members.items()]))
    if "collections" in document:
        rows = [
            {"id": c["id"], "title": c["title"], "description": c["description"]}
            for c in document["collections"]
        ]
        parts.append(_table(rows))
    if "conformsTo" in document:
        parts.append(_table([{"conformance class": uri} for uri in document["conformsTo"]]))
    features = document.get("features")
    if features is None and document.get("type") == "Feature":
        features = [document]
    if features:
        rows = [
            {"id": f["id"], "geometry": f["geometry"]["type"], **f["properties"]} for f in features
        ]
        parts.append(_table(rows))
    return Response(PAGE.format(title=escape(title), body="".join(parts)), media_type=HTML)
