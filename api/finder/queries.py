"""The finder's reads: every service through `service_public` (private fields blanked, the
public point), the comune's and the area's figures; JSON built by PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

import orjson
from psycopg import AsyncConnection, sql

from observatory.errors import NotFound
from observatory.features.base import POINT, compiled, degrees, within_distance
from observatory.pool import fetch_row

PUBLIC_SERVICE_SQL = """
SELECT row_to_json(x) FROM (
  SELECT s.id, s.name, s.organization_name, s.description, s.category_code,
    c.label_it AS category_label, coalesce(c.parent_code, c.code) AS top_category,
    s.address_1, s.postal_code, s.municipality_code, m.name AS municipality_name,
    p.short AS province, s.geocode_precision, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat,
    s.phone, s.email, s.url, s.opening_hours, s.schedule, s.languages, s.target_groups,
    s.access_modes, s.mediation_available, s.step_free_access, s.documents_required, s.cost,
    s.eligibility_description, s.status, s.is_example, s.updated_at::date AS updated,
    am.area_code, ta.name AS area_name
  FROM service_public s
  LEFT JOIN service_category c ON c.code = s.category_code
  LEFT JOIN municipality m ON m.code = s.municipality_code
  LEFT JOIN province p ON p.code = m.province_code
  LEFT JOIN area_municipality am ON am.municipality_code = s.municipality_code
  LEFT JOIN territorial_area ta ON ta.code = am.area_code
  WHERE s.id = %(id)s) x
"""

# the latest year of an indicator, per comune
_LATEST = """(SELECT json_build_object('value', sum(value), 'year', max(year)) FROM population
  WHERE indicator = '{indicator}' AND municipality_code = ANY({codes})
    AND year = (SELECT max(year) FROM population WHERE indicator = '{indicator}'))"""

# per top-level category: how many active services, and the first SHOWN by name
_SERVICES = """(SELECT coalesce(json_agg(json_build_object(
    'top', g.top, 'n', g.n, 'services', g.services) ORDER BY g.position NULLS LAST), '[]')
  FROM (SELECT x.top, min(x.position) AS position, count(*) AS n,
          json_agg(json_build_object('id', x.id, 'name', x.name, 'category', x.category)
                   ORDER BY x.name, x.id) FILTER (WHERE x.rank <= {shown}) AS services
        FROM (SELECT s.id, s.name, s.category_code AS category,
                coalesce(c.parent_code, c.code) AS top,
                coalesce(pc.position, c.position) AS position,
                row_number() OVER (PARTITION BY coalesce(c.parent_code, c.code)
                                   ORDER BY s.name, s.id) AS rank
              FROM service_public s
              LEFT JOIN service_category c ON c.code = s.category_code
              LEFT JOIN service_category pc ON pc.code = c.parent_code
              WHERE s.municipality_code = ANY({codes}) AND s.status = 'active') x
        GROUP BY x.top) g)"""
SHOWN = 30

COMUNE_SQL = f"""
WITH place AS (SELECT ARRAY[%(code)s::int] AS codes)
SELECT json_build_object(
  'code', m.code, 'name', m.name, 'province', p.short, 'province_name', p.name,
  'region', r.name, 'area', am.area_code, 'area_name', ta.name,
  'lon', ST_X(m.point), 'lat', ST_Y(m.point),
  'residents', {_LATEST.format(indicator='residents', codes='place.codes')},
  'foreign_residents', {_LATEST.format(indicator='foreign_residents', codes='place.codes')},
  'services', {_SERVICES.format(codes='place.codes', shown=SHOWN)})
FROM place, municipality m
JOIN province p ON p.code = m.province_code
JOIN region r ON r.code = m.region_code
LEFT JOIN area_municipality am ON am.municipality_code = m.code
LEFT JOIN territorial_area ta ON ta.code = am.area_code
WHERE m.code = %(code)s
"""  # noqa: S608 (composed from the constants above)

AREA_SQL = f"""
WITH place AS (SELECT array_agg(municipality_code ORDER BY municipality_code) AS codes
               FROM area_municipality WHERE area_code = %(code)s)
SELECT json_build_object(
  'code', a.code, 'name', a.name, 'region', r.name, 'status', a.status,
  'comuni', (SELECT coalesce(json_agg(json_build_object('code', m.code, 'name', m.name,
              'province', p.short) ORDER BY m.name), '[]')
             FROM municipality m JOIN province p ON p.code = m.province_code
             WHERE m.code = ANY(place.codes)),
  'residents', {_LATEST.format(indicator='residents', codes='place.codes')},
  'foreign_residents', {_LATEST.format(indicator='foreign_residents', codes='place.codes')},
  'services', {_SERVICES.format(codes='place.codes', shown=SHOWN)})
FROM place, territorial_area a JOIN region r ON r.code = a.region_code
WHERE a.code = %(code)s
"""  # noqa: S608 (composed from the constants above)

TOP_CATEGORIES_SQL = """
SELECT coalesce(json_agg(json_build_object('code', code, 'label', label_it)
                ORDER BY position, code), '[]')
FROM service_category WHERE parent_code IS NULL
"""
CATEGORIES_SQL = """
SELECT coalesce(json_object_agg(code, json_build_object('label', label_it,
                'top', coalesce(parent_code, code))), '{}')
FROM service_category
"""
LANGUAGES_SQL = """
SELECT coalesce(json_agg(code ORDER BY n DESC, code), '[]') FROM (
  SELECT lower(code) AS code, count(*) AS n FROM service, unnest(languages) code
  WHERE status = 'active' GROUP BY 1) x
"""
KEPT_S = 300.0
SQL = sql.SQL


async def _json(conn: AsyncConnection, statement: str, params: dict[str, Any]) -> Any:
    row = await fetch_row(conn, statement, params)
    return None if row is None or row[0] is None else orjson.loads(row[0])


async def public_service(conn: AsyncConnection, service_id: int) -> dict[str, Any]:
    """One service as the public sees it; NotFound when there is none."""
    found = await _json(conn, PUBLIC_SERVICE_SQL, {"id": service_id})
    if found is None:
        raise NotFound(f"no service {service_id}")
    return found


async def comune(conn: AsyncConnection, code: int) -> dict[str, Any]:
    """A comune: names, area, residents, foreign residents and its active services."""
    found = await _json(conn, COMUNE_SQL, {"code": code})
    if found is None:
        raise NotFound(f"unknown comune {code}")
    return found


async def area(conn: AsyncConnection, code: str) -> dict[str, Any]:
    """A territorial area: its comuni, residents, foreign residents and active services."""
    found = await _json(conn, AREA_SQL, {"code": code})
    if found is None:
        raise NotFound(f"unknown area {code!r}")
    return found


async def top_categories(conn: AsyncConnection) -> list[dict[str, str]]:
    """The top-level categories in taxonomy order, with their Italian label."""
    return await _json(conn, TOP_CATEGORIES_SQL, {})


async def categories(conn: AsyncConnection) -> dict[str, dict[str, str]]:
    """Every category code -> its Italian label and its top-level code."""
    return await _json(conn, CATEGORIES_SQL, {})


async def spoken_languages(conn: AsyncConnection) -> list[str]:
    """The language codes the active services speak, most common first."""
    return await _json(conn, LANGUAGES_SQL, {})


class Kept:
    """Small answers (categories, languages spoken) kept per app a few minutes: not read per
    search (a new category or language shows within KEPT_S)."""

    def __init__(self, seconds: float = KEPT_S) -> None:
        self.seconds = seconds
        self._values: dict[str, tuple[float, Any]] = {}

    async def get(self, name: str, conn: AsyncConnection) -> Any:
        """The kept value of reader `name` (one of READERS), read again when older than KEPT_S."""
        kept = self._values.get(name)
        if kept is None or time.monotonic() - kept[0] > self.seconds:
            kept = (time.monotonic(), await READERS[name](conn))
            self._values[name] = kept
        return kept[1]


READERS = {
    "top_categories": top_categories,
    "categories": categories,
    "languages": spoken_languages,
}


NEAR_RESULTS = 20
_CATEGORY = "s.category_code = ANY(ARRAY(SELECT category_and_children(%(category)s)))"
_LANGUAGE = "s.languages && ARRAY[%(language)s]::varchar[]"


def _near_statement(category: bool, language: bool) -> sql.Composable:
    conditions = [SQL("s.status = 'active'"), SQL("s.geom IS NOT NULL")]
    if category:
        conditions.append(SQL(_CATEGORY))
    if language:
        conditions.append(SQL(_LANGUAGE))
    near = [*conditions, within_distance(SQL("s.geom"), SQL("reach.m"))]
    return SQL(
        "WITH candidates AS ("
        "SELECT ST_Distance(s.geom::geography, {point}::geography) AS d "
        "FROM service_public s WHERE {where} ORDER BY s.geom <-> {point} LIMIT %(k)s), "
        "reach AS (SELECT max(d) + 0.01 AS m FROM candidates) "
        "SELECT coalesce(json_agg(json_build_object("
        "'id', x.id, 'name', x.name, 'organization', x.organization_name, "
        "'category', x.category_code, 'comune', x.municipality_code, "
        "'address', x.address_1, 'languages', x.languages, "
        "'approximate', x.geocode_precision IN ('municipality', 'postcode'), "
        "'lon', round(ST_X(x.geom)::numeric, 5), 'lat', round(ST_Y(x.geom)::numeric, 5), "
        "'km', round((x.d / 1000)::numeric, 1)) ORDER BY x.d, x.id), '[]') FROM ("
        "SELECT s.*, ST_Distance(s.geom::geography, {point}::geography) AS d "
        "FROM service_public s, reach WHERE {near} ORDER BY d, s.id LIMIT %(k)s) x"
    ).format(
        point=POINT,
        where=SQL(" AND ").join(conditions),
        near=SQL(" AND ").join(near),
    )




async def nearest_active(
    conn: AsyncConnection, lon: float, lat: float, category: str | None, language: str | None,
    k: int = NEAR_RESULTS,
) -> list[dict[str, Any]]:
    """The k nearest active services to a point (geodesic, from their public point).

    The GiST index finds k candidates; the farthest bounds the exact geodesic pass.
    """
    shape = (category is not None, language is not None)
    statement = compiled(("finder-near", *shape), lambda: _near_statement(*shape))
    params = {"lon": degrees(lon), "lat": degrees(lat), "k": k,
              "category": category, "language": language}
    return await _json(conn, statement, params)
