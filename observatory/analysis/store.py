"""Stored analyses: one `analysis_run` per computation plus one `analysis_result` per comune.

The API, the maps and the exports read these rows, so they all show the same computation.
A run is keyed on its parameters' hash and the data snapshot it used: asking again on the
same data returns the stored run instead of computing a new one.
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import orjson
import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from observatory.analysis.compute import RESULT_COLUMNS, compute
from observatory.analysis.demand import load_municipalities
from observatory.analysis.parameters import DEFAULT_CATCHMENT_KM, KINDS, Parameters
from observatory.analysis.supply import load_services, services_snapshot
from observatory.db import copy_text
from observatory.errors import NotFound
from observatory.geography import resolve_regions
from observatory.models import AnalysisRun
from observatory.progress import track

log = logging.getLogger(__name__)
VALUE_COLUMNS = (
    "demand_missing", "gap_rank", "per_10k_residents", "per_1k_foreign_residents",
    "per_100km2", "residents", "foreign_residents",
)

RESULTS_SQL = """
SELECT r.municipality_code, m.name, p.name AS province, g.name AS region,
       am.area_code AS area, ta.name AS area_name, m.area_km2,
       r.demand, r.services_count, r.nearest_km, r.services_within, r.covered,
       r.access_index, r.access_per_10k, r.unmet_demand, r.is_gap, r."values",
       m.geom AS geometry
FROM analysis_result r
JOIN municipality m ON m.code = r.municipality_code
JOIN province p ON p.code = m.province_code
JOIN region g ON g.code = m.region_code
LEFT JOIN area_municipality am ON am.municipality_code = m.code
LEFT JOIN territorial_area ta ON ta.code = am.area_code
WHERE r.run_id = :run_id
  AND (CAST(:region AS int) IS NULL OR m.region_code = :region)
  AND (CAST(:area AS text) IS NULL OR am.area_code = :area)
ORDER BY r.municipality_code
"""


def _snapshot(
    session: Session, municipalities: pd.DataFrame, services: pd.DataFrame, params: Parameters
) -> dict[str, Any]:
    """The data a run used: geography year, services, population indicator and years."""
    return {
        "geography_load": session.execute(text("SELECT max(id) FROM geography_load")).scalar(),
        "geography_year": municipalities.attrs["geography_year"],
        "municipalities": len(municipalities),
        "services": len(services),
        **services_snapshot(session),
        "demand_indicator": params.demand,
        "demand_year": municipalities.attrs[f"{params.demand}_year"],
        "residents_year": municipalities.attrs["residents_year"],
        "foreign_residents_year": municipalities.attrs["foreign_residents_year"],
    }


COPY_RESULTS_SQL = """
COPY analysis_result (run_id, municipality_code, demand, services_count, nearest_km,
    services_within, covered, access_index, access_per_10k, unmet_demand, is_gap, "values")
FROM STDIN (FORMAT csv)
"""


def _store_results(session: Session, run_id: int, results: pd.DataFrame) -> None:
    """COPY the per-comune rows of a run (floats written round-trip exact, NaN as NULL)."""
    extra = results[[c for c in VALUE_COLUMNS if c in results.columns]].astype(object)
    table = results[list(RESULT_COLUMNS)].astype(object).assign(
        values=[orjson.dumps(row).decode() for row in extra.to_dict("records")]
    )
    table.insert(0, "municipality_code", results.index)
    table.insert(0, "run_id", run_id)
    copy_text(session, COPY_RESULTS_SQL, table.to_csv(index=False, header=False))


def find_run(
    session: Session, params: Parameters, snapshot: dict[str, Any] | None = None
) -> AnalysisRun | None:
    """The newest stored run with these parameters (and this data snapshot, when given)."""
    query = select(AnalysisRun).where(AnalysisRun.parameters_hash == params.digest())
    for run in session.scalars(query.order_by(AnalysisRun.id.desc())):
        if snapshot is None or run.snapshot == snapshot:
            return run
    return None


def run_analysis(
    session: Session,
    params: Parameters,
    municipalities: pd.DataFrame | None = None,
    services: pd.DataFrame | None = None,
) -> AnalysisRun:
    """Compute and store `params` on the current data, or return the run that already did.

    `municipalities` and `services` (of the run's category) may be passed in when already read.
    """
    if municipalities is None:
        municipalities = load_municipalities(session)
    if services is None:
        services = load_services(session, params.category_code)
    snapshot = _snapshot(session, municipalities, services, params)
    existing = find_run(session, params, snapshot)
    if existing is not None:
        log.debug("analysis %s: reusing run %d (same data)", params.kind, existing.id)
        return existing
    outcome = compute(municipalities, services, params)
    run = AnalysisRun(
        kind=params.kind,
        category_code=params.category_code,
        parameters=params.as_dict(),
        parameters_hash=params.digest(),
        snapshot=snapshot,
        summary=outcome.summary,
    )
    session.add(run)
    session.flush()
    _store_results(session, run.id, outcome.results)
    log.debug(
        "analysis %s run %d: %d comuni, %d services, category %s",
        params.kind, run.id, len(outcome.results), len(services), params.category_code or "all",
    )
    return run


def run_defaults(
    session: Session, catchment_km: float = DEFAULT_CATCHMENT_KM, demand: str = "residents"
) -> list[AnalysisRun]:
    """Every kind with default parameters, for all services and for each category."""
    municipalities = load_municipalities(session)
    categories = session.execute(
        text("SELECT code FROM service_category ORDER BY position, code")
    ).scalars()
    wanted = [
        Parameters(kind, category, demand, catchment_km)
        for category in [None, *categories]
        for kind in KINDS
    ]
    services: dict[str | None, pd.DataFrame] = {}
    runs = []
    for params in track(wanted, len(wanted), "Analisi / analyses"):
        if params.category_code not in services:
            services[params.category_code] = load_services(session, params.category_code)
        runs.append(run_analysis(session, params, municipalities, services[params.category_code]))
    return runs


def latest_run(
    session: Session, kind: str, category_code: str | None = None, **params: Any
) -> AnalysisRun | None:
    """The newest stored run of `kind` for the category and parameters (defaults filled in)."""
    return find_run(session, Parameters(kind=kind, category_code=category_code, **params))


def resolve_scope(
    session: Session, region: str | None = None, area: str | None = None
) -> tuple[int | None, str | None]:
    """Turn a region name/slug/code and an area code into filter values; raise when unknown."""
    region_code = resolve_regions([region])[0] if region else None
    if area is not None:
        found = session.execute(
            text("SELECT 1 FROM territorial_area WHERE code = :code"), {"code": area}
        ).scalar()
        if found is None:
            raise NotFound(f"unknown territorial area {area!r}: see `observatory status`")
    return region_code, area


def run_results(
    session: Session, run_id: int, region: str | None = None, area: str | None = None
) -> gpd.GeoDataFrame:
    """Per-comune results of a run with comune polygons, optionally for one region or area."""
    region_code, area_code = resolve_scope(session, region, area)
    frame = gpd.read_postgis(
        text(RESULTS_SQL),
        session.connection(),
        geom_col="geometry",
        params={"run_id": run_id, "region": region_code, "area": area_code},
    )
    extra = pd.DataFrame(list(frame.pop("values")), index=frame.index)
    return pd.concat([frame, extra.reindex(columns=list(VALUE_COLUMNS))], axis=1)
