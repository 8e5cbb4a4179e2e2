"""Analysis results addressed by their parameters, as the API serves them (sync, one session).

Each function gets (or computes and stores) the run of exactly the given parameters on the
current data through `store.run_analysis`, then reads what is asked: the sums per region,
province or area (`group_stats`), the gap file (`gap_document`, the same writer as the
CLI's), or the categories missing per comune and area (`missing_categories`). Every answer
states its parameters. pandas / geopandas are imported inside the functions that need them.
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory.analysis.parameters import Parameters
from observatory.models import AnalysisRun
from observatory.page_cache import PageCache

LEVELS = ("region", "province", "area")
GROUPINGS = {
    "region": ("g.code::text", "g.name", "JOIN region g ON g.code = m.region_code"),
    "province": ("g.code::text", "g.name", "JOIN province g ON g.code = m.province_code"),
    "area": (
        "g.code", "g.name",
        "JOIN area_municipality gm ON gm.municipality_code = m.code "
        "JOIN territorial_area g ON g.code = gm.area_code",
    ),
}
GROUP_GEOMETRY = {
    "region": "SELECT geom FROM region WHERE code::text = :code",
    "province": "SELECT geom FROM province WHERE code::text = :code",
    "area": "SELECT ST_Multi(ST_Union(m.geom)) FROM area_municipality am JOIN municipality m "
            "ON m.code = am.municipality_code WHERE am.area_code = :code",
}
SCOPE = """
r.run_id = :run_id
AND (CAST(:region AS int) IS NULL OR m.region_code = :region)
AND (CAST(:area AS text) IS NULL OR m.code IN (
    SELECT municipality_code FROM area_municipality WHERE area_code = :area))
"""
GROUP_SQL = """
SELECT {code} AS code, {name} AS name, count(*) AS municipalities,
    sum(r.demand) AS demand, round(sum(m.area_km2)::numeric, 1)::float AS area_km2,
    sum(r.services_count) AS services,
    round((sum(r.services_count) * 10000.0 / nullif(sum(r.demand), 0))::numeric, 3)::float
        AS services_per_10k,
    round((sum(r.services_count) * 100.0 / nullif(sum(m.area_km2), 0))::numeric, 3)::float
        AS services_per_100km2,
    CASE WHEN count(r.covered) > 0
         THEN coalesce(sum(r.demand) FILTER (WHERE r.covered), 0) END AS covered_demand,
    CASE WHEN count(r.covered) > 0 THEN round((coalesce(sum(r.demand) FILTER (WHERE r.covered),
         0) / nullif(sum(r.demand), 0))::numeric, 4)::float END AS coverage_share,
    CASE WHEN count(r.is_gap) > 0 THEN count(*) FILTER (WHERE r.is_gap) END AS gaps,
    sum(r.unmet_demand) AS unmet_demand,
    round((sum(r.access_per_10k * r.demand) / nullif(sum(r.demand), 0))::numeric, 4)::float
        AS access_per_10k
FROM analysis_result r JOIN municipality m ON m.code = r.municipality_code {join}
WHERE {scope}
GROUP BY 1, 2 ORDER BY 1
"""
# What each member of a group means, and its unit (also in the OpenAPI schema and docs).
UNITS = {
    "demand": "persons: the demand population (parameters.demand, parameters.year)",
    "services": "active services of the category located in the group",
    "services_per_10k": "services per 10,000 persons of the demand population",
    "services_per_100km2": "services per 100 km² of the group's area",
    "covered_demand": "persons whose comune has a service within catchment_km",
    "coverage_share": "covered_demand / demand, 0-1",
    "gaps": "comuni with demand and no service within catchment_km (or access below the "
            "threshold)",
    "unmet_demand": "persons living in the gap comuni",
    "access_per_10k": "2SFCA/E2SFCA access index per 10,000 persons, demand-weighted mean",
    "missing_categories": "top-level categories with no service within catchment_km of some "
                          "comune of the group, with the foreign residents of those comuni",
}


def run_reference(run: AnalysisRun) -> dict[str, Any]:
    """The run behind an answer: id, creation time, data version."""
    return {"id": run.id, "created_at": _json_time(run.created_at),
            "data_version": run.data_version}


def _json_time(moment: Any) -> str:
    """ISO time as PostgreSQL's JSON writes it (no trailing zeros in the fraction)."""
    text_ = moment.isoformat()
    if "." not in text_:
        return text_
    head, _, rest = text_.partition(".")
    digits = rest[:6].rstrip("0")
    return f"{head}.{digits}{rest[6:]}" if digits else f"{head}{rest[6:]}"


def stated(run: AnalysisRun, **scope: Any) -> dict[str, Any]:
    """The `parameters` member of an answer: the run's parameters and the scope asked for."""
    return {**run.parameters, **scope}


def _scope(session: Session, region: str | None, area: str | None) -> dict[str, Any]:
    from observatory.analysis.runs import resolve_scope

    region_code, area_code = resolve_scope(session, region, area)
    return {"region": region_code, "area": area_code}


def ensure_run(session: Session, params: Parameters) -> AnalysisRun:
    """The run of `params` on the current data, computed (and committed) when not stored yet."""
    from observatory.analysis.store import run_analysis  # pandas only when a request needs it

    run = run_analysis(session, params)
    session.commit()
    remember_years(session)
    return run


def stored_or_computed(
    session: Session, params: Parameters, region: str | None, area: str | None
) -> tuple[AnalysisRun, dict[str, Any]]:
    """The run of `params` and the scope's filter values: two reads when the run is stored."""
    from observatory.analysis.runs import current, find_run

    resolved, version, region_code = current(session, params, region, area)
    run = find_run(session, resolved, version) if resolved.year is not None else None
    if run is None:
        run = ensure_run(session, params)
    return run, {"region": region_code, "area": area}


def group_stats(
    session: Session, params: Parameters, by: str, region: str | None = None,
    area: str | None = None, with_missing: bool = False,
) -> dict[str, Any]:
    """The run of `params` summed per `by` (region, province or area), with its parameters."""
    run, scope = stored_or_computed(session, params, region, area)
    code, name, join = GROUPINGS[by]
    rows = session.execute(
        text(GROUP_SQL.format(code=code, name=name, join=join, scope=SCOPE)),
        {"run_id": run.id, **scope},
    ).mappings().all()
    groups = [dict(row) for row in rows]
    if with_missing:
        per_group = missing_categories(
            session, params.catchment_km, params.demand, params.year, region, area, params.as_of
        )["areas" if by == "area" else by]
        for group in groups:
            group["missing_categories"] = per_group.get(str(group["code"]), [])
    return {
        "parameters": stated(run, by=by, region=region, area=area),
        "run": run_reference(run),
        "units": {k: v for k, v in UNITS.items() if with_missing or k != "missing_categories"},
        "groups": groups,
    }


def group_features(session: Session, stats: dict[str, Any]) -> dict[str, Any]:
    """`group_stats` as a GeoJSON FeatureCollection (RFC 7946) with the group polygons."""
    import shapely

    from observatory.exports import export_metadata, rfc7946_geometry

    by = stats["parameters"]["by"]
    features = []
    for group in stats["groups"]:
        wkb = session.execute(
            text(f"SELECT ST_AsBinary(g) FROM ({GROUP_GEOMETRY[by]}) x(g)"),  # noqa: S608
            {"code": str(group["code"])},
        ).scalar()
        geometry = rfc7946_geometry(shapely.from_wkb(bytes(wkb))) if wkb else None
        features.append({"type": "Feature", "geometry": geometry, "properties": group})
    members = export_metadata({k: v for k, v in stats.items() if k != "groups"})
    return {"type": "FeatureCollection", **members, "features": features}


def group_csv(stats: dict[str, Any], dialect: str = "standard") -> bytes:
    """`group_stats` as CSV: a `#` line with the parameters as JSON, then one row per group."""
    import pandas as pd

    from observatory.exports import csv_bytes

    table = pd.DataFrame(stats["groups"])
    if "missing_categories" in table.columns:
        table["missing_categories"] = table["missing_categories"].map(
            lambda items: " ".join(f"{m['category']}:{m['foreign_residents']:.0f}" for m in items)
        )
    return csv_bytes(table, dialect, {"parameters": stats["parameters"], "run": stats["run"]})


def gap_document(
    session: Session, params: Parameters, region: str | None = None, area: str | None = None,
    only_gaps: bool = False,
) -> tuple[AnalysisRun, str, Hashable]:
    """The gap file of `params` (GeoJSON text), written as `observatory analyze gaps --out`,
    and the key `GAP_FILES` keeps it under."""
    run, scope = stored_or_computed(session, params, region, area)

    def write() -> str:
        from observatory.analysis.report import run_export  # pandas: first file written only
        from observatory.analysis.store import run_results
        from observatory.exports import export_metadata, geojson_bytes

        results = run_results(session, run.id, region, area)
        frame, metadata = run_export(run, results, region, area)
        if only_gaps:
            frame = frame[frame["is_gap"].fillna(False).astype(bool)]
        return geojson_bytes(frame, export_metadata(metadata)).decode()

    key = ("gap-file", run.id, scope["region"], area, only_gaps)
    document, _ = GAP_FILES.page(session, key, write)
    return run, document, GAP_FILES.full_key(session, key)


GAP_FILES = PageCache(size=8, suffix=".geojson")
"""The gap files written, per run and scope, shared by the workers: a repeated download (on
any worker) is read, not rebuilt."""


def missing_categories(
    session: Session, catchment_km: float, demand: str = "foreign_residents",
    year: int | None = None, region: str | None = None, area: str | None = None,
    as_of: str | None = None,
) -> dict[str, Any]:
    """Per comune and per area: the top-level categories with no service within the catchment.

    A document over `observatory.analysis.missing` (the one computation, also drawn by the
    "categorie mancanti" map): each missing category comes with the foreign residents of the
    comuni that lack it (the population year is the one of the demand's run).
    """
    from observatory.analysis import missing
    from observatory.analysis.demand import resolve_year

    params = Parameters("coverage", None, demand, catchment_km, year=year, as_of=as_of)
    frame = missing.missing_categories(session, params, region, area)
    session.commit()  # the coverage runs computed on first request are kept
    remember_years(session)
    foreign_year = resolve_year(
        session, "foreign_residents", year if demand == "foreign_residents" else None
    )
    categories = session.execute(
        text("SELECT code, label_it, label_en FROM service_category "
             "WHERE parent_code IS NULL ORDER BY position, code")
    ).all()
    labels = {code: {"label_it": it, "label_en": en} for code, it, en in categories}
    lacking = frame[frame.missing_count > 0]
    residents = lacking.foreign_residents.fillna(0.0).astype(float)

    def listed(key: str) -> dict[str, list[dict[str, Any]]]:
        rows = lacking.assign(foreign=residents, key=lacking[key]).dropna(subset=["key"])
        sums = rows.explode("missing").groupby(["key", "missing"], sort=False).foreign.sum()
        return {
            str(group): [
                {"category": c, **labels[c], "foreign_residents": float(sums[(group, c)])}
                for c in frame.attrs["categories"] if (group, c) in sums.index
            ]
            for group in sorted({g for g, _ in sums.index}, key=str)
        }

    runs = {code: session.get(AnalysisRun, run_id) for code, run_id in frame.attrs["runs"].items()}
    return {
        "parameters": {"kind": "missing_categories", "catchment_km": float(catchment_km),
                       "demand": demand, "year": year, "foreign_residents_year": foreign_year,
                       "region": region, "area": area},
        "runs": {code: run_reference(run) for code, run in runs.items()},
        "categories": [{"category": c, **labels[c]} for c, *_ in categories],
        "areas": listed("area"),
        "region": listed("region_code"),
        "municipalities": [
            {"municipality_code": f"{code:06d}", "name": row["name"],
             "area": None if row["area"] != row["area"] else row["area"],
             "foreign_residents": float(residents[code]), "missing": list(row["missing"])}
            for code, row in lacking.iterrows()
        ],
    }


STORED_SQL = """
WITH now AS (
    SELECT (SELECT version FROM data_version WHERE id = 1) AS version,
        coalesce(CAST(%(year)s AS int),
                 (SELECT max(year) FROM population WHERE indicator = %(demand)s)) AS year,
        (SELECT code FROM region WHERE code::text = %(region)s
                                    OR lower(name) = lower(%(region)s)) AS region_code,
        EXISTS (SELECT 1 FROM territorial_area WHERE code = %(area)s) AS area_exists
), run AS (
    SELECT r.id, r.parameters, r.created_at, r.data_version
    FROM analysis_run r, now
    WHERE r.parameters_hash = (CAST(%(hashes)s AS jsonb) ->> now.year::text)
      AND r.data_version = now.version
      AND (CAST(%(region)s AS text) IS NULL OR now.region_code IS NOT NULL)
      AND (CAST(%(area)s AS text) IS NULL OR now.area_exists)
    ORDER BY r.id DESC LIMIT 1
)
SELECT json_build_object(
    'parameters', run.parameters || jsonb_build_object(
        'by', CAST(%(by)s AS text), 'region', CAST(%(region)s AS text),
        'area', CAST(%(area)s AS text)),
    'run', json_build_object('id', run.id, 'created_at', run.created_at,
                             'data_version', run.data_version),
    'units', CAST(%(units)s AS json),
    'groups', coalesce((SELECT json_agg(g) FROM ({groups}) g), '[]'))
FROM run
"""
STORED_SCOPE = """
r.run_id = (SELECT id FROM run)
AND ((SELECT region_code FROM now) IS NULL OR m.region_code = (SELECT region_code FROM now))
AND (CAST(%(area)s AS text) IS NULL OR m.code IN (
    SELECT municipality_code FROM area_municipality WHERE area_code = %(area)s))
"""
# Years with population figures, per indicator, as last seen by this process: the stored
# lookup hashes the parameters for each (a year not listed yet just misses once).
_known_years: dict[str, set[int]] = {}


def remember_years(session: Session) -> None:
    """Refresh the years known per indicator (after a computation, say)."""
    rows = session.execute(text("SELECT DISTINCT indicator, year FROM population")).all()
    _known_years.clear()
    for indicator, year in rows:
        _known_years.setdefault(indicator, set()).add(int(year))


async def stored_group_stats(
    conn: Any, params: Parameters, by: str, region: str | None, area: str | None
) -> bytes | None:
    """`group_stats` (JSON, no missing categories) in one read when the run is stored, else None.

    `conn` is an async psycopg connection of the API pool: no threadpool, no ORM.
    """
    import dataclasses

    from psycopg import sql

    from observatory.pool import fetch_row

    if params.year is None and params.demand not in _known_years:
        found = await fetch_row(conn, sql.SQL(
            "SELECT array_agg(DISTINCT year) FROM population WHERE indicator = %(demand)s"
        ), {"demand": params.demand})
        _known_years[params.demand] = set(found[0] or []) if found else set()
    years = [params.year] if params.year is not None else _known_years.get(params.demand, ())
    hashes = {str(y): dataclasses.replace(params, year=y).digest() for y in years}
    if not hashes:
        return None
    code, name, join = GROUPINGS[by]
    groups = GROUP_SQL.format(code=code, name=name, join=join, scope=STORED_SCOPE)
    statement = sql.SQL(STORED_SQL.format(groups=groups))  # noqa: S608 (fixed text)
    row = await fetch_row(conn, statement, {
        "year": params.year, "demand": params.demand, "region": region, "area": area,
        "hashes": json.dumps(hashes), "by": by,
        "units": json.dumps({k: v for k, v in UNITS.items() if k != "missing_categories"}),
    })
    return None if row is None else row[0]
