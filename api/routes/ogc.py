"""OGC API - Features Part 1: landing page, conformance, collections, items, item."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.analysis import AnalysisDep, AnalysisQuery
from api.crs_params import BboxCrsDep, CrsDep
from api.deps import ConnectionDep, app_session
from api.html import HTML, render, wants_html
from api.ogc_filter import (
    QUERYABLES_REL,
    SCHEMA_JSON,
    FilterCrsQuery,
    FilterLangQuery,
    FilterQuery,
    PropertiesQuery,
    SortbyQuery,
    items_options,
)
from api.params import DatetimeDep, FeatureFiltersDep, LimitDep, OffsetDep
from api.responses import (
    GEOJSON,
    JSON,
    feature_collection,
    geojson_route,
    json_response,
    link,
    page_links,
)
from api.routes.ogc_edit import CONFORMANCE as EDIT_CONFORMANCE
from observatory import features, tiles
from observatory.analysis.results import stored_or_computed
from observatory.features import ItemsQuery, Provider, cql, queryables
from observatory.features.crs import URIS, Crs

router = APIRouter(tags=["OGC API - Features"])

OPENAPI_30 = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{name}"
    for name in ("core", "geojson", "oas30", "html")
] + [
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    *EDIT_CONFORMANCE,
    *tiles.CONFORMANCE,
    *cql.CONFORMANCE,
    "http://www.opengis.net/spec/ogcapi-features-6/1.0/conf/property-selection",
    "http://www.opengis.net/spec/ogcapi-features-8/1.0/conf/sorting",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
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
                link(f"{base}/tileMatrixSets", tiles.TILING_SCHEMES, JSON, "tile matrix sets"),
                link(f"{base}/trova/", "related", "text/html", "Trova servizi / service finder"),
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
        "crs": URIS,
        "storageCrs": CRS84,
        "filters": {name: item.description for name, item in provider.filters.items()},
        "links": [
            link(href, "self", JSON, provider.title),
            link(f"{href}/items", "items", GEOJSON, "features"),
            link(f"{href}/queryables", QUERYABLES_REL, SCHEMA_JSON, "queryables"),
        ],
    }
    if provider.id in tiles.LAYERS:
        document["links"].append(
            link(f"{href}/tiles", tiles.TILESETS_VECTOR, JSON, "vector tilesets")
        )
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




async def _resolved(request: Request, provider: Provider, analysis: AnalysisQuery) -> Provider:
    """A gaps collection gets the run of the requested parameters on the current data.

    The run is computed on the first request for its parameters and stored; later requests
    (any worker) read it. Other collections ignore the analysis parameters.
    """
    if isinstance(provider, features.Gaps):
        params = analysis.parameters("gaps", provider.category_code)

        def ensure() -> tuple[int, dict[str, Any]]:
            with app_session(request) as session:
                run = stored_or_computed(session, params, None, None)[0]
                return run.id, dict(run.parameters or {})

        provider.run_id, provider.run_parameters = await run_in_threadpool(ensure)
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
    box: BboxCrsDep,
    crs: CrsDep,
    limit: LimitDep,
    filters: FeatureFiltersDep,
    analysis: AnalysisDep,
    when: DatetimeDep,
    offset: OffsetDep = 0,
    f: FormatQuery = None,
    filter_text: FilterQuery = None,
    filter_lang: FilterLangQuery = None,
    filter_crs: FilterCrsQuery = None,
    sortby: SortbyQuery = None,
    properties: PropertiesQuery = None,
) -> Response:
    """A page of features: bbox, property filters, CQL2 `filter`, queryables as parameters,
    `sortby` and `properties`, datetime (services), limit/offset paging, geometries in `crs`;
    unknown parameters are refused. `numberMatched` is always exact (README).

    The gaps-<category> collections take the analysis parameters (demand, year, catchment_km,
    method, sigma_km, supply, threshold, percentile, as_of; defaults as `observatory analyze gaps`)
    and state them in the `parameters` member.
    """
    provider = await _resolved(
        request, await features.get_provider(conn, collection_id), analysis
    )
    options = await items_options(
        conn, provider, request.query_params, filter_text, filter_lang, filter_crs, sortby,
        properties,
    )
    bbox, bbox_crs = box
    query = ItemsQuery(
        limit=limit,
        offset=offset,
        bbox=bbox,
        filters=filters,
        crs=crs,
        bbox_crs=bbox_crs,
        condition=options.condition,
        sortby=options.sortby,
        properties=options.properties,
        datetime=when,
    )
    page = await provider.items(conn, query)
    collection_link = link(
        f"{_base(request)}/collections/{provider.id}", "collection", JSON, provider.title
    )
    links = [*page_links(request, query, page), collection_link]
    extra = {"parameters": provider.run_parameters} if isinstance(provider, features.Gaps) else {}
    if wants_html(request, f):
        document = {
            "numberMatched": page.number_matched,
            "numberReturned": page.number_returned,
            "features": orjson.loads(page.features),
            "links": links,
            **extra,
        }
        return _content_crs(_respond(request, f, document, provider.title, GEOJSON), crs)
    alternate = link(str(request.url.include_query_params(f="html")), "alternate", HTML, "HTML")
    return _content_crs(feature_collection(page, [*links, alternate], extra), crs)


def _content_crs(response: Response, crs: Crs) -> Response:
    """Name the CRS of the response's coordinates (Features Part 2)."""
    response.headers["Content-Crs"] = crs.header
    return response


@router.get(
    "/collections/{collection_id}/queryables",
    summary="Queryables of a collection",
    response_class=Response,
    responses={200: {"content": {SCHEMA_JSON: {}}, "description": "a JSON Schema (2020-12)"}},
)
async def collection_queryables(
    request: Request, collection_id: CollectionId, conn: ConnectionDep, f: FormatQuery = None
) -> Response:
    """The properties a `filter` (or a query parameter of the same name) may name, typed."""
    provider = await features.get_provider(conn, collection_id)
    found = await queryables.queryables(conn, provider)
    href = f"{_base(request)}/collections/{provider.id}/queryables"
    document = queryables.document(provider, found, href)
    if wants_html(request, f):  # one row per queryable: its title and type
        document = {
            name: " · ".join(
                str(part)
                for part in (schema.get("title"), schema.get("type"), schema.get("format"))
                if part
            )
            for name, schema in document["properties"].items()
        }
    return _respond(request, f, document, f"{provider.title}: queryables", SCHEMA_JSON)


@geojson_route(router, "/collections/{collection_id}/items/{feature_id}", "One feature", "Feature")
async def item(
    request: Request,
    collection_id: CollectionId,
    feature_id: str,
    conn: ConnectionDep,
    crs: CrsDep,
    analysis: AnalysisDep,
    f: FormatQuery = None,
) -> Response:
    """One feature (geometry in `crs`), with links to itself and its collection.

    A gaps-<category> feature is of the run of the given analysis parameters.
    """
    provider = await _resolved(
        request, await features.get_provider(conn, collection_id), analysis
    )
    feature = await provider.item(conn, feature_id, crs)
    href = f"{_base(request)}/collections/{provider.id}"
    links = [
        link(str(request.url), "self", GEOJSON, "this feature"),
        link(href, "collection", JSON, provider.title),
    ]
    if wants_html(request, f):
        document = {**orjson.loads(feature), "links": links}
        title = f"{provider.title}: {feature_id}"
        return _content_crs(_respond(request, f, document, title, GEOJSON), crs)
    links.append(link(str(request.url.include_query_params(f="html")), "alternate", HTML, "HTML"))
    body = feature[:-1] + b',"links":' + orjson.dumps(links) + b"}"
    return _content_crs(Response(body, media_type=GEOJSON), crs)
