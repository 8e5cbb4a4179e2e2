"""Spatial queries: nearest services, services within a place, summaries and gap exports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from api.deps import ConnectionDep
from api.params import (
    MAX_CODE,
    BboxDep,
    CircleDep,
    LimitDep,
    OffsetDep,
    ServiceFiltersDep,
    parse_category,
)
from api.responses import GEOJSON, JSON, feature_collection, geojson_route, link, page_links
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


@router.get("/stats/{kind}", summary="Stored analysis per region, province or area")
async def analysis_summary(
    conn: ConnectionDep,
    kind: Literal["density", "coverage", "access", "gaps"],
    category: Annotated[str | None, Query(description="category code; none = all")] = None,
    by: Literal["region", "province", "area"] = "region",
) -> Response:
    """Density, coverage, access or gaps of the latest analysis run, summed per group."""
    code = parse_category(category) if category is not None else None
    return Response(await spatial.analysis_summary(conn, kind, code, by), media_type=JSON)


@geojson_route(
    router,
    "/exports/gaps/{category}",
    "Download the latest gap analysis of a category (GeoJSON)",
    "FeatureCollection (attachment)",
)
async def gaps_export(
    request: Request,
    category: str,
    only_gaps: Annotated[bool, Query(description="false: every comune analysed")] = True,
) -> StreamingResponse:
    """The gap comuni of the latest run, with the run's parameters, as a GeoJSON attachment."""
    code = parse_category(category)
    pool = request.app.state.pool
    async with pool.connection() as conn:  # released before the download streams
        run, run_id = await spatial.latest_run(conn, "gaps", code)

    async def body() -> AsyncIterator[bytes]:
        yield b'{"type":"FeatureCollection","analysis":' + run + b',"features":['
        async with pool.connection() as stream_conn:
            first = True
            async for feature in spatial.stream_gap_features(stream_conn, code, run_id, only_gaps):
                yield feature if first else b"," + feature
                first = False
        yield b"]}"

    filename = f"gaps-{code}-run{run_id}.geojson"
    return StreamingResponse(
        body(),
        media_type=GEOJSON,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
