"""OGC API - Features Part 1: landing page, conformance, collections, items, item."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import ConnectionDep, app_session
from api.html import HTML, render, wants_html
from api.params import BboxDep, DatetimeDep, FeatureFiltersDep, LimitDep, OffsetDep
from api.responses import (
    GEOJSON,
    JSON,
    feature_collection,
    geojson_route,
    json_response,
    link,
    page_links,
)
from observatory import features
from observatory.analysis.results import ensure_run
from observatory.features import ItemsQuery, Provider

router = APIRouter(tags=["OGC API - Features"])

OPENAPI_30 = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{name}"
    for name in ("core", "geojson", "oas30", "html")
]
FormatQuery = Annotated[
    Literal["json", "html"] | None,
    Query(description="response format (default json; html for browsers)"),
]
TITLE = "Osservatorio - servizi per cittadini stranieri / foreign citizens' services"
CollectionId = Annotated[
    str,
    Path(
        description="services, municipalities, areas, provinces, regions, gaps-<category>",
        examples=["services"],
    ),
]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _respond(
    request: Request, f: str | None, document: dict[str, Any], title: str, media_type: str = JSON
) -> Response:
    """The document as JSON or HTML, linking to the other format as `alternate`."""
    html = wants_html(request, f)
    other = request.url.include_query_params(f="json" if html else "html")
    alternate = link(str(other), "alternate", media_type if html else HTML, "other format")
    document = {**document, "links": [*document.get("links", []), alternate]}
    return render(document, title) if html else json_response(document, media_type=media_type)


@router.get("/", summary="Landing page")
async def landing(request: Request, f: FormatQuery = None) -> Response:
    """The API's entry point, linking to its description, conformance and collections."""
    base = _base(request)
    return _respond(
        request,
        f,
        {
            "title": TITLE,
            "description": request.app.description,
            "links": [
                link(f"{base}/", "self", JSON, "this document"),
                link(f"{base}/openapi.json", "service-desc", OPENAPI_30, "API definition"),
                link(f"{base}/docs", "service-doc", "text/html", "API documentation"),
                link(f"{base}/conformance", "conformance", JSON, "conformance classes"),
                link(f"{base}/collections", "data", JSON, "collections"),
            ],
        },
        TITLE,
    )


@router.get("/conformance", summary="Conformance classes")
async def conformance(request: Request, f: FormatQuery = None) -> Response:
    """The conformance classes the API implements."""
    return _respond(request, f, {"conformsTo": CONFORMANCE}, "Conformance")


def _collection(base: str, provider: Provider, bbox: features.Bbox | None) -> dict[str, Any]:
    href = f"{base}/collections/{provider.id}"
    document: dict[str, Any] = {
        "id": provider.id,
        "title": provider.title,
        "description": provider.description,
        "itemType": "feature",
        "crs": [CRS84],
        "filters": {name: item.description for name, item in provider.filters.items()},
        "links": [
            link(href, "self", JSON, provider.title),
            link(f"{href}/items", "items", GEOJSON, "features"),
        ],
    }
    if bbox is not None:
        document["extent"] = {"spatial": {"bbox": [list(bbox)], "crs": CRS84}}
    return document


@router.get("/collections", summary="Collections")
async def collections(request: Request, conn: ConnectionDep, f: FormatQuery = None) -> Response:
    """Every collection with its extent and links."""
    base = _base(request)
    bbox = await features.extent(conn)
    document = {
        "links": [link(f"{base}/collections", "self", JSON, "collections")],
        "collections": [
            _collection(base, provider, bbox) for provider in await features.list_providers(conn)
        ],
    }
    return _respond(request, f, document, "Collections")


async def _resolved(request: Request, provider: Provider) -> Provider:
    """A gaps collection gets the run of its parameters on the current data (computed once)."""
    if isinstance(provider, features.Gaps):

        def ensure() -> int:
            with app_session(request) as session:
                return ensure_run(session, provider.parameters()).id

        provider.run_id = await run_in_threadpool(ensure)
    return provider


@router.get("/collections/{collection_id}", summary="One collection")
async def collection(
    request: Request, collection_id: CollectionId, conn: ConnectionDep, f: FormatQuery = None
) -> Response:
    """One collection's description."""
    provider = await features.get_provider(conn, collection_id)
    document = _collection(_base(request), provider, await features.extent(conn))
    return _respond(request, f, document, provider.title)


@geojson_route(
    router, "/collections/{collection_id}/items", "Features of a collection", "FeatureCollection"
)
async def items(
    request: Request,
    collection_id: CollectionId,
    conn: ConnectionDep,
    bbox: BboxDep,
    limit: LimitDep,
    filters: FeatureFiltersDep,
    when: DatetimeDep,
    offset: OffsetDep = 0,
    f: FormatQuery = None,
) -> Response:
    """A page of features: bbox, property filters, datetime (services), limit/offset paging."""
    provider = await _resolved(request, await features.get_provider(conn, collection_id))
    query = ItemsQuery(limit=limit, offset=offset, bbox=bbox, filters=filters, datetime=when)
    page = await provider.items(conn, query)
    collection_link = link(
        f"{_base(request)}/collections/{provider.id}", "collection", JSON, provider.title
    )
    links = [*page_links(request, query, page), collection_link]
    if wants_html(request, f):
        document = {
            "numberMatched": page.number_matched,
            "numberReturned": page.number_returned,
            "features": orjson.loads(page.features),
            "links": links,
        }
        return _respond(request, f, document, provider.title, GEOJSON)
    alternate = link(str(request.url.include_query_params(f="html")), "alternate", HTML, "HTML")
    return feature_collection(page, [*links, alternate])


@geojson_route(router, "/collections/{collection_id}/items/{feature_id}", "One feature", "Feature")
async def item(
    request: Request,
    collection_id: CollectionId,
    feature_id: str,
    conn: ConnectionDep,
    f: FormatQuery = None,
) -> Response:
    """One feature, with links to itself and its collection."""
    provider = await _resolved(request, await features.get_provider(conn, collection_id))
    feature = await provider.item(conn, feature_id)
    href = f"{_base(request)}/collections/{provider.id}"
    links = [
        link(str(request.url), "self", GEOJSON, "this feature"),
        link(href, "collection", JSON, provider.title),
    ]
    if wants_html(request, f):
        document = {**orjson.loads(feature), "links": links}
        return _respond(request, f, document, f"{provider.title}: {feature_id}", GEOJSON)
    links.append(link(str(request.url.include_query_params(f="html")), "alternate", HTML, "HTML"))
    return Response(feature[:-1] + b',"links":' + orjson.dumps(links) + b"}", media_type=GEOJSON)
