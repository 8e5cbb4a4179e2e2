"""Exports of a stored run: per-comune table with the parameters and a summary per area."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from observatory.analysis.store import run_results
from observatory.analysis.summary import LEVELS, summarise
from observatory.exports import write_export
from observatory.models import AnalysisRun

EXPORT_COLUMNS = (
    "municipality_code", "name", "province", "region", "area", "area_name", "demand",
    "demand_missing", "services_count", "nearest_km", "services_within", "covered",
    "access_index",
    "access_per_10k", "unmet_demand", "is_gap", "gap_rank", "per_10k_residents",
    "per_10k_foreign_residents", "per_100km2",
)

# Stable field types whatever the kind leaves empty (GeoPackage, QGIS, R read them so).
EXPORT_TYPES = {
    **dict.fromkeys(("services_count", "services_within", "gap_rank"), "Int64"),
    **dict.fromkeys(("demand_missing", "covered", "is_gap"), "boolean"),
    **dict.fromkeys(
        ("demand", "nearest_km", "access_index", "access_per_10k", "unmet_demand",
         "per_10k_residents", "per_10k_foreign_residents", "per_100km2"), "float64"
    ),
}


def export_frame(results: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame:
    """The exported columns, ISTAT codes as 6-digit text; gaps ranked within the export."""
    frame = results[[*EXPORT_COLUMNS, "geometry"]].copy()
    frame["municipality_code"] = frame["municipality_code"].map("{:06d}".format)
    if kind == "gaps":
        is_gap = frame["is_gap"].fillna(False).astype(bool)
        gaps = frame[is_gap].sort_values(
            ["unmet_demand", "municipality_code"], ascending=[False, True]
        )
        gaps["gap_rank"] = range(1, len(gaps) + 1)
        frame = gpd.GeoDataFrame(pd.concat([gaps, frame[~is_gap]]), crs=frame.crs)
    return frame.astype(EXPORT_TYPES)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def run_metadata(
    run: AnalysisRun, results: gpd.GeoDataFrame, region: str | None, area: str | None
) -> dict[str, Any]:
    """Top-level members of an export: the run, its parameters, snapshot and summaries.

    `analysis_run.summary` covers every comune of the run; the `summary_by_*` members
    cover the exported comuni.
    """
    run_summary = dict(run.summary)
    run_summary["services_serving_nobody"] = len(run_summary.get("services_serving_nobody", []))
    return {
        "analysis_run": {"id": run.id, "kind": run.kind, "created_at": run.created_at.isoformat(),
                         "data_version": run.data_version, "summary": run_summary},
        "parameters": {**run.parameters, "region": region, "area": area},
        "scope": {"region": region, "area": area},
        "snapshot": run.snapshot,
        **{
            f"summary_by_{level}": _records(summarise(results, level).reset_index())
            for level in LEVELS
        },
    }


def run_export(
    run: AnalysisRun, results: gpd.GeoDataFrame, region: str | None, area: str | None
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """The exported table of a run and its metadata: what every file of a run holds."""
    return export_frame(results, run.kind), run_metadata(run, results, region, area)


def write_run(
    run: AnalysisRun,
    results: gpd.GeoDataFrame,
    path: Path,
    region: str | None = None,
    area: str | None = None,
    csv_dialect: str = "standard",
) -> None:
    """Write per-comune `results` of `run` to `path` with the run's metadata."""
    frame, metadata = run_export(run, results, region, area)
    write_export(frame, path, metadata, f"analysis_{run.kind}", csv_dialect)


def export_run(
    session: Session,
    run: AnalysisRun,
    path: Path,
    region: str | None = None,
    area: str | None = None,
    csv_dialect: str = "standard",
) -> int:
    """Write the run's per-comune results (optionally one region or area) to `path`."""
    results = run_results(session, run.id, region, area)
    write_run(run, results, path, region, area, csv_dialect)
    return len(results)
