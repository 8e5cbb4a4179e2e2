"""Stored analyses: one `analysis_run` per computation plus one `analysis_result` per comune.

The API, the maps and the exports ask `run_analysis` for the result of given parameters and
get exactly that one. A run is keyed on its parameters' hash and the data version (a number
that triggers bump whenever services, categories, population, comuni or areas change, see
migration 0008): the first request computes and stores, the next ones find the stored run with
one indexed read, and any change of the data makes the next request compute again. Concurrent
identical requests are serialised on an advisory lock on the hash: one computes, the others
wait and read its run.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import geopandas as gpd
import orjson
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory.analysis.compute import RESULT_COLUMNS, compute
from observatory.analysis.demand import load_municipalities, resolve_year
from observatory.analysis.parameters import (
    DEFAULT_CATCHMENT_KM,
    DEFAULT_DEMAND,
    KINDS,
    Parameters,
)
from observatory.analysis.runs import find_run, resolve_scope
from observatory.analysis.supply import load_services, services_snapshot
from observatory.data_version import data_version
from observatory.db import copy_text
from observatory.errors import InvalidInput
from observatory.models import AnalysisRun
from observatory.progress import track

log = logging.getLogger(__name__)
VALUE_COLUMNS = (
    "demand_missing", "gap_rank", "per_10k_residents", "per_10k_foreign_residents",
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


# Committed data changes folded into one row of their summed weight (the version is unchanged;
# rows of transactions still open, or being folded by another computation, stay).
COMPACT_SQL = """
WITH gone AS (DELETE FROM data_change WHERE id IN (
                  SELECT id FROM data_change WHERE id < (SELECT max(id) FROM data_change)
                  FOR UPDATE SKIP LOCKED)
              RETURNING weight)
INSERT INTO data_change (weight) SELECT sum(weight) FROM gone HAVING count(*) > 0
"""


def resolved(session: Session, params: Parameters) -> Parameters:
    """`params` with the population year filled in (the latest loaded when not given)."""
    year = resolve_year(session, params.demand, params.year)
    if year is None:
        raise InvalidInput(
            f"no {params.demand} population loaded: run `observatory geo load` "
            "(or `observatory population load FILE`)"
        )
    return dataclasses.replace(params, year=int(year))


def run_analysis(
    session: Session,
    params: Parameters,
    municipalities: pd.DataFrame | None = None,
    services: pd.DataFrame | None = None,
) -> AnalysisRun:
    """The run of `params` on the current data: stored when it exists, else computed and stored.

    The population year of `params` is resolved first (None = the latest loaded), so the
    run's parameters always state the year used. `municipalities` and `services` (of the
    run's category) may be passed in when already read for the same years.
    """
    params = resolved(session, params)
    version = data_version(session)
    existing = find_run(session, params, version)
    if existing is not None:
        return existing
    # one computation per parameters and data version at a time; the others wait, then find
    # its run. The version is in the key: a transaction that changed data (its own version)
    # never waits on one computing the same parameters on other data.
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"{params.digest()}@{version}"},
    )
    existing = find_run(session, params, data_version(session))
    if existing is not None:
        return existing
    if municipalities is None or municipalities.attrs.get(f"{params.demand}_year") != params.year:
        municipalities = load_municipalities(session, {params.demand: params.year})
    if services is None:
        services = load_services(session, params.category_code, params.as_of)
    snapshot = _snapshot(session, municipalities, services, params)
    outcome = compute(municipalities, services, params)
    run = AnalysisRun(
        kind=params.kind,
        category_code=params.category_code,
        parameters=params.as_dict(),
        parameters_hash=params.digest(),
        snapshot=snapshot,
        summary=outcome.summary,
        data_version=version,
    )
    session.add(run)
    session.flush()
    _store_results(session, run.id, outcome.results)
    session.execute(  # the runs of these parameters on older data are never asked for again
        text("DELETE FROM analysis_run WHERE parameters_hash = :hash AND data_version < :version"),
        {"hash": run.parameters_hash, "version": version},
    )
    session.execute(text(COMPACT_SQL))
    log.debug(
        "analysis %s run %d: %d comuni, %d services, category %s",
        params.kind, run.id, len(outcome.results), len(services), params.category_code or "all",
    )
    return run


def run_defaults(
    session: Session, catchment_km: float = DEFAULT_CATCHMENT_KM, demand: str = DEFAULT_DEMAND
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
