"""Responses written without re-parsing: orjson for documents, PostgreSQL's bytes for features."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response

from observatory.features import ItemsQuery, Page

GEOJSON = "application/geo+json"
JSON = "application/json"


def geojson_route(router: APIRouter, path: str, summary: str, what: str) -> Callable:
    """`router.get` for a route answering GeoJSON bytes, documented as `what`."""
    return router.get(
        path,
        summary=summary,
        response_class=Response,
        responses={200: {"content": {GEOJSON: {}}, "description": f"a GeoJSON {what}"}},
    )


def json_response(body: Any, status: int = 200, media_type: str = JSON) -> Response:
    """A JSON response serialised by orjson."""
    return Response(orjson.dumps(body), status_code=status, media_type=media_type)


def link(href: str, rel: str, media_type: str, title: str | None = None) -> dict[str, str]:
    """An OGC/Atom link object."""
    found = {"href": href, "rel": rel, "type": media_type}
    if title:
        found["title"] = title
    return found


def page_links(request: Request, query: ItemsQuery, page: Page) -> list[dict[str, str]]:
    """self, next and prev links of a page of features."""
    url = request.url
    links = [link(str(url), "self", GEOJSON, "this page")]
    if query.offset + page.number_returned < page.number_matched:
        after = url.include_query_params(offset=query.offset + query.limit, limit=query.limit)
        links.append(link(str(after), "next", GEOJSON, "next page"))
    if query.offset > 0:
        before = url.include_query_params(
            offset=max(query.offset - query.limit, 0), limit=query.limit
        )
        links.append(link(str(before), "prev", GEOJSON, "previous page"))
    return links


def feature_collection(
    page: Page, links: list[dict[str, str]], extra: dict[str, Any] | None = None
) -> Response:
    """A FeatureCollection around the features PostgreSQL wrote, never parsed here."""
    members = {
        "numberMatched": page.number_matched,
        "numberReturned": page.number_returned,
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": links,
        **(extra or {}),
    }
    body = (
        b'{"type":"FeatureCollection","features":'
        + page.features
        + b","
        + orjson.dumps(members)[1:]
    )
    return Response(body, media_type=GEOJSON)
