"""Spatial queries: nearest services, services within a place, summaries and gap exports."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from api.analysis import (
    AS_OF,
    AnalysisDep,
    Area,
    Category,
    Demand,
    GapFile,
    MissingAnswer,
    Region,
    StatsAnswer,
)
from api.deps import ConnectionDep, app_session
from api.held_pages import HeldPages
from api.params import (
    MAX_CODE,
    BboxDep,
    CircleDep,
    LimitDep,
    OffsetDep,
    ServiceFiltersDep,
)
from api.responses import (
    GEOJSON,
    JSON,
    feature_collection,
    geojson_route,
    json_response,
    link,
    page_links,
)
from observatory.analysis import results
from observatory.analysis.parameters import DEFAULT_CATCHMENT_KM, DEFAULT_DEMAND
from observatory.features import ItemsQuery, spatial

router = APIRouter(tags=["spatial queries"])

Latitude = Annotated[float, Query(ge=-90, le=90, description="latitude, WGS84 degrees")]
Longitude = Annotated[float, Query(ge=-180, le=180, description="longitude, WGS84 degrees")]


@geojson_route(
    router, "/services/nearest", "The k nearest services to a point", "FeatureCollection"
)
async def nearest(
    request: Request,
    conn: ConnectionDep,
    lat: Latitude,
    lon: Longitude,
    filters: ServiceFiltersDep,
    k: Annotated[int, Query(ge=1, le=100, description="how many services")] = 10,
    max_km: Annotated[
        float | None, Query(ge=0.001, le=1000, description="search no farther than this")
    ] = None,
) -> Response:
    """Nearest services by geodesic distance (distance_km in each), optionally filtered."""
    page = await spatial.nearest(conn, lon, lat, k, filters, max_km)
    return feature_collection(page, [link(str(request.url), "self", GEOJSON, "this result")])


@geojson_route(
    router,
    "/services/within",
    "Services within an area, a comune, a bbox or a radius",
    "FeatureCollection",
)
async def within(
    request: Request,
    conn: ConnectionDep,
    filters: ServiceFiltersDep,
    bbox: BboxDep,
    limit: LimitDep,
    circle: CircleDep,
    offset: OffsetDep = 0,
    area: Annotated[str | None, Query(max_length=60, description="territorial area")] = None,
    municipality_code: Annotated[
        int | None, Query(ge=1, le=MAX_CODE, description="ISTAT code of a comune")
    ] = None,
) -> Response:
    """Services inside exactly one of: an area, a comune, a bbox, a circle (lat, lon, radius_km)."""
    places = {"area": area, "municipality_code": municipality_code}
    filters = {**filters, **{name: value for name, value in places.items() if value is not None}}
    query = ItemsQuery(limit=limit, offset=offset, bbox=bbox, circle=circle, filters=filters)
    page = await spatial.within(conn, query)
    return feature_collection(page, page_links(request, query, page))


@router.get("/stats/regions", summary="Per-region summary for dashboards")
async def region_summary(
    conn: ConnectionDep,
    region: Annotated[str | None, Query(max_length=60, description="region code or name")] = None,
) -> Response:
    """Comuni, areas, residents and active services (total and per top category) per region."""
    return Response(await spatial.region_summary(conn, region), media_type=JSON)


FORMATS = {"json": JSON, "csv": "text/csv; charset=utf-8", "geojson": GEOJSON}
STATS_CONTENT = {
    "content": {"text/csv": {}, GEOJSON: {}},
    "description": "JSON (schema below); format=csv: a `#` line with the parameters as JSON, "
    "then one row per group; format=geojson: a FeatureCollection of the group polygons.",
}


def _in_threadpool(request: Request, work: Callable[[Session], Any]) -> Awaitable[Any]:
    """Run `work` with a sync session of the app in the threadpool (computations block)."""

    def call() -> Any:
        with app_session(request) as session:
            return work(session)

    return run_in_threadpool(call)


@router.get(
    "/stats/missing",
    summary="Categorie mancanti / what is missing where, per comune and area",
    response_model=MissingAnswer,
)
async def missing(
    request: Request,
    region: Region = None,
    area: Area = None,
    catchment_km: Annotated[float, Query(
        gt=0, le=500, description="a category is missing for a comune with no service of it "
        "within this geodesic distance (km)")] = DEFAULT_CATCHMENT_KM,
    demand: Annotated[Demand, Query(description="demand of the coverage runs")] = DEFAULT_DEMAND,
    year: Annotated[int | None, Query(ge=1900, le=2200, description="population year; "
                                      "default the latest loaded")] = None,
    as_of: Annotated[str | None, Query(max_length=40, description=AS_OF)] = None,
) -> Response:
    """Top-level categories with no service within the catchment, per comune, area, region.

    Each missing category carries the foreign residents of the comuni that lack it.
    """
    answer = await _in_threadpool(request, lambda session: results.missing_categories(
        session, catchment_km, demand, year, region, area, as_of))
    return json_response(answer)


@router.get(
    "/stats/{kind}",
    summary="Analysis per region, province or area, computed with the given parameters",
    response_model=StatsAnswer,
    responses={200: STATS_CONTENT},
)
async def analysis_summary(
    request: Request,
    kind: Literal["density", "coverage", "access", "gaps"],
    analysis: AnalysisDep,
    category: Category = None,
    by: Annotated[Literal["region", "province", "area"], Query(
        description="group the comuni per region, province or territorial area")] = "region",
    region: Region = None,
    area: Area = None,
    format: Annotated[Literal["json", "csv", "geojson"], Query(  # noqa: A002
        description="json (default), csv or geojson")] = "json",
    csv_dialect: Annotated[Literal["standard", "it"], Query(
        description="CSV: standard (, and .) or it (; and decimal comma, BOM)")] = "standard",
) -> Response:
    """Density, coverage, access or gaps summed per group; `parameters` states what was computed.

    Units: services_per_10k per 10,000 of the demand population (foreign residents by
    default), services_per_100km2 per 100 km², coverage_share 0-1, access_per_10k per
    10,000 persons. by=area adds missing_categories (top-level categories with no service
    within catchment_km somewhere in the area, with the foreign residents affected).
    """
    params = analysis.parameters(kind, category)
    if format == "json" and by != "area":
        async with request.app.state.pool.connection() as conn:
            stored = await results.stored_group_stats(conn, params, by, region, area)
        if stored is not None:  # the stored run answered in one read on the async pool
            return Response(stored, media_type=JSON)

    def work(session: Session) -> bytes:
        stats = results.group_stats(session, params, by, region, area, with_missing=by == "area")
        if format == "csv":
            return results.group_csv(stats, csv_dialect)
        if format == "geojson":
            return orjson.dumps(results.group_features(session, stats))
        return orjson.dumps(stats)

    return Response(await _in_threadpool(request, work), media_type=FORMATS[format])


@router.get(
    "/exports/gaps/{category}",
    summary="Download a gap analysis (GeoJSON, RFC 7946), computed with the given parameters",
    response_model=GapFile,
    responses={200: {"content": {GEOJSON: {}}, "description": "a GeoJSON attachment"}},
)
async def gaps_export(
    request: Request,
    category: str,
    analysis: AnalysisDep,
    region: Region = None,
    area: Area = None,
    only_gaps: Annotated[bool, Query(description="false: every comune analysed")] = True,
) -> Response:
    """The gap file of a category: the same file as `observatory analyze gaps --out x.geojson`.

    Comuni with their ISTAT code as 6-character text, area code and name, gap_rank (1 = most
    unmet demand within the file), the run, its parameters, attribution and licence.
    """
    params = analysis.parameters("gaps", category)
    asked = (request.app.state.database_url, params, region, area, only_gaps)
    if (found := await GAP_FILES_HELD.find(request, asked)) is not None:
        document, _, filename = found
    else:

        def write(session: Session) -> tuple[str, str]:
            run, document, key = results.gap_document(session, params, region, area, only_gaps)
            scope = "-".join(str(part) for part in (region, area) if part)
            filename = (f"gaps-{params.category_code}{'-' + scope if scope else ''}"
                        f"-run{run.id}.geojson")
            GAP_FILES_HELD.remember(asked, key, filename)
            return document, filename

        document, filename = await _in_threadpool(request, write)
    return Response(
        document, media_type=GEOJSON,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


GAP_FILES_HELD = HeldPages(results.GAP_FILES)
"""Each gap-file request as asked -> its file and name: repeated downloads on the event loop."""
