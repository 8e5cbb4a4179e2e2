"""Jinja2 environments (one per language, with its gettext catalog), gzip, static files."""

from __future__ import annotations

import functools
import gzip
import hashlib
import mimetypes
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.finder import i18n
from api.finder.icons import icon
from observatory.language_names import language_name

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
VENDOR = HERE.parents[1] / "maps" / "static" / "vendor"
PREFIX = "/trova"
# what /trova/static/ serves: the finder's own files and Leaflet's (when vendored)
STATIC_FILES = {
    "finder.css": STATIC / "finder.css",
    "finder.js": STATIC / "finder.js",
    "leaflet.js": VENDOR / "leaflet" / "dist" / "leaflet.js",
    "leaflet.css": VENDOR / "leaflet" / "dist" / "leaflet.css",
}
GZIP_MIN_BYTES = 512


def has_map() -> bool:
    """True when Leaflet is vendored (maps/static/vendor): the pages then draw a map."""
    return STATIC_FILES["leaflet.js"].is_file()


@functools.cache
def environment(lang: str) -> Environment:
    """The template environment of `lang`: autoescaped, with its catalog installed."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        icon=icon,
        static=static_url,
        language_name=lambda code: language_name(code, lang),
        number=lambda value: i18n.number(value, lang),
        km=lambda value: i18n.kilometres(float(value), lang),
        listing=lambda items: i18n.listing(items, lang),
        language_names=lambda codes: i18n.listing(i18n.languages_by_name(codes, lang), lang),
    )
    return env


def link(path: str, lang: str, **params: Any) -> str:
    """A finder URL keeping the language: link('/trova/', 'ar', cat='SAN')."""
    query = {k: v for k, v in params.items() if v not in (None, "")}
    query["lang"] = lang
    return f"{path}?{urlencode(query)}"


def language_switch(request: Request, lang: str) -> list[tuple[str, str, str]]:
    """(code, name in itself, the same page in that language) for every interface language."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    switch = []
    for code in i18n.LANGUAGES:
        query = urlencode([*params, ("lang", code)])
        switch.append((code, i18n.autonym(code), f"{request.url.path}?{query}"))
    return switch


def page(
    request: Request, lang: str, template: str, context: Mapping[str, Any], status: int = 200
) -> Response:
    """A page of the finder in `lang`, gzipped when the client accepts it."""
    html = environment(lang).get_template(template).render(
        lang=lang,
        dir=i18n.direction(lang),
        switch=language_switch(request, lang),
        link=lambda path, **params: link(path, lang, **params),
        has_map=has_map(),
        **context,
    )
    return compressed(request, html.encode(), "text/html; charset=utf-8", status)


def compressed(
    request: Request, body: bytes, media_type: str, status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """`body`, gzip-encoded when the client accepts it and it is worth it."""
    extra = {"Vary": "Accept-Encoding", **(headers or {})}
    if len(body) >= GZIP_MIN_BYTES and "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, compresslevel=6)
        extra["Content-Encoding"] = "gzip"
    return Response(body, status_code=status, media_type=media_type, headers=extra)


@functools.cache
def static_file(name: str) -> tuple[bytes, bytes, str, str] | None:
    """(bytes, gzipped bytes, media type, version hash) of a served static file, or None."""
    path = STATIC_FILES.get(name)
    if path is None or not path.is_file():
        return None
    body = path.read_bytes()
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if media_type.startswith("text/") or name.endswith(".js"):
        media_type += "; charset=utf-8"
    version = hashlib.sha256(body).hexdigest()[:12]
    return body, gzip.compress(body, compresslevel=9), media_type, version


def static_url(name: str) -> str:
    """The URL of a static file, with its content hash (so it can be cached for a year)."""
    found = static_file(name)
    return f"{PREFIX}/static/{name}?v={found[3] if found else '0'}"
