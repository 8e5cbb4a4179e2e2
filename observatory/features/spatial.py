"""Spatial queries over services: nearest, within a place, per-region summary.

Analyses (per-group sums, gap files) are served by `observatory.analysis.results`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from psycopg import AsyncConnection, sql

from observatory.errors import InvalidInput, NotFound
from observatory.features import Circle, ItemsQuery, Page, Services
from observatory.features.base import (
    POINT,
    REGION_CODE,
    compiled,
    degrees,
    where_clause,
    within_distance,
)
from observatory.pool import fetch_row

SQL = sql.SQL
SERVICES = Services()

NEAREST = SQL(
    "WITH candidates AS ("
    "SELECT ST_Distance(s.geom::geography, {point}::geography) AS d FROM {source}{where} "
    "ORDER BY s.geom <-> {point} LIMIT %(k)s), "
    "reach AS (SELECT max(d) + 0.01 AS m FROM candidates) "
    "SELECT '[' || coalesce(string_agg(s.f, ',' ORDER BY s.d), '') || ']', count(*) FROM ("
    "SELECT {feature} AS f, s.d FROM ("
    "SELECT s.*, ST_Distance(s.geom::geography, {point}::geography) AS d "
    "FROM {source}, reach{where_near} ORDER BY d LIMIT %(k)s) s) s"
)


async def nearest(
    conn: AsyncConnection,
    lon: float,
    lat: float,
    k: int,
    filters: Mapping[str, Any],
    max_km: float | None = None,
) -> Page:
    """The k nearest services (geodesic, from their public point), each with its distance_km.

    The GiST index finds k candidates by planar distance; the farthest of them bounds the
    geodesic search, so the answer is exact where degrees are not isotropic.
    """
    circle = Circle(lon, lat, max_km * 1000) if max_km is not None else None
    conditions, params = SERVICES.conditions(ItemsQuery(limit=k, circle=circle, filters=filters))
    near = [*conditions, within_distance(SQL("s.geom"), SQL("reach.m"))]
    statement = compiled(
        ("nearest", circle is None, *filters),
        lambda: NEAREST.format(
            source=SERVICES.source,
            point=POINT,
            where=where_clause(conditions),
            where_near=where_clause(near),
            feature=SERVICES.feature({"distance_km": SQL("round((s.d / 1000)::numeric, 3)")}),
        ),
    )
    point = {"lon": degrees(lon), "lat": degrees(lat)}
    row = await fetch_row(conn, statement, {**params, **point, "k": k})
    assert row is not None
    if row[1] == 0:
        await SERVICES.check_filter_values(conn, ItemsQuery(limit=k, filters=filters))
    return Page(row[0], row[1], row[1])


async def within(conn: AsyncConnection, query: ItemsQuery) -> Page:
    """Services inside exactly one place of `query`: an area, a comune, a bbox or a circle."""
    places = [name for name in ("area", "municipality_code") if name in query.filters]
    if len(places) + (query.bbox is not None) + (query.circle is not None) != 1:
        raise InvalidInput("give exactly one of area, municipality_code, bbox or lat+lon+radius_km")
    for name in places:
        await check_place(conn, name, query.filters[name])
    return await SERVICES.items(conn, query)


async def check_place(conn: AsyncConnection, name: str, value: Any) -> None:
    """Raise NotFound when the comune, area or region `value` does not exist."""
    exists = SERVICES.filters[name].exists
    if exists is not None and await fetch_row(conn, exists, {name: value}) is None:
        raise NotFound(f"unknown {name} {value!r}")


# One pass over each table, grouped per region and joined: no subquery runs per row or per
# region (the latest year of each indicator is looked up once, not once per population row).
REGION_SUMMARY = SQL(
    """
    WITH services AS (
        SELECT m.region_code, coalesce(c.parent_code, c.code, 'none') AS category, count(*) AS n
        FROM service s
        JOIN municipality m ON m.code = s.municipality_code
        LEFT JOIN service_category c ON c.code = s.category_code
        WHERE s.status = 'active'
        GROUP BY 1, 2
    ), services_per_region AS (
        SELECT region_code, sum(n) AS n,
            json_object_agg(category, n ORDER BY category) AS by_category
        FROM services GROUP BY 1
    ), latest AS (
        SELECT indicator, max(year) AS year FROM population GROUP BY 1
    ), population_now AS (
        SELECT m.region_code,
            sum(p.value) FILTER (WHERE p.indicator = 'residents') AS residents,
            sum(p.value) FILTER (WHERE p.indicator = 'foreign_residents') AS foreign_residents
        FROM latest l
        JOIN population p ON p.indicator = l.indicator AND p.year = l.year
        JOIN municipality m ON m.code = p.municipality_code
        GROUP BY 1
    ), municipalities AS (
        SELECT region_code, count(*) AS n FROM municipality GROUP BY 1
    ), areas AS (
        SELECT region_code, count(*) AS n FROM territorial_area GROUP BY 1
    ), summary AS (
        SELECT r.code, r.name, coalesce(mu.n, 0) AS municipalities, coalesce(a.n, 0) AS areas,
            pn.residents, pn.foreign_residents, coalesce(sr.n, 0) AS services,
            coalesce(sr.by_category, '{{}}') AS services_by_category
        FROM region r
        LEFT JOIN municipalities mu ON mu.region_code = r.code
        LEFT JOIN areas a ON a.region_code = r.code
        LEFT JOIN population_now pn ON pn.region_code = r.code
        LEFT JOIN services_per_region sr ON sr.region_code = r.code{where}
    )
    SELECT coalesce(json_agg(json_build_object(
        'code', code, 'name', name, 'municipalities', municipalities, 'areas', areas,
        'residents', residents, 'foreign_residents', foreign_residents, 'services', services,
        'services_per_10k_residents', round(services * 10000.0 / nullif(residents, 0), 3),
        'services_per_10k_foreign_residents',
        round(services * 10000.0 / nullif(foreign_residents, 0), 3),
        'services_by_category', services_by_category) ORDER BY code), '[]'::json)
    FROM summary
    """
)


async def region_summary(conn: AsyncConnection, region: str | None = None) -> bytes:
    """Per region: comuni, areas, residents, active services in total and per top category."""
    conditions = [] if region is None else [SQL("r.code = {}").format(REGION_CODE)]
    if region is not None:
        await check_place(conn, "region", region)
    row = await fetch_row(
        conn, REGION_SUMMARY.format(where=where_clause(conditions)), {"region": region}
    )
    assert row is not None
    return row[0]
