"""Exports of a stored run: per-comune table with the parameters and a summary per area."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from observatory.analysis.store import run_results
from observatory.analysis.summary import summarise
from observatory.exports import write_export
from observatory.models import AnalysisRun

EXPORT_COLUMNS = (
    "municipality_code", "name", "province", "region", "area", "demand", "demand_missing",
    "services_count", "nearest_km", "services_within", "covered", "access_index",
    "access_per_10k", "unmet_demand", "is_gap", "gap_rank", "per_10k_residents",
    "per_1k_foreign_residents", "per_100km2",
)


def export_frame(results: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame:
    """The exported columns, ISTAT codes as 6-digit text; gaps ranked within the export."""
    frame = results[[*EXPORT_COLUMNS, "geometry"]].copy()
    frame["municipality_code"] = frame["municipality_code"].map("{:06d}".format)
    if kind != "gaps":
        return frame
    is_gap = frame["is_gap"].fillna(False).astype(bool)
    gaps = frame[is_gap].sort_values(
        ["unmet_demand", "municipality_code"], ascending=[False, True]
    )
    gaps["gap_rank"] = range(1, len(gaps) + 1)
    return gpd.GeoDataFrame(pd.concat([gaps, frame[~is_gap]]), crs=frame.crs)


def run_metadata(
    run: AnalysisRun, results: gpd.GeoDataFrame, region: str | None, area: str | None
) -> dict[str, Any]:
    """Top-level members of an export: the run, its parameters, data snapshot and summaries."""
    by_area = summarise(results, "area").reset_index()
    return {
        "analysis_run": {"id": run.id, "kind": run.kind, "created_at": run.created_at.isoformat()},
        "parameters": run.parameters,
        "scope": {"region": region, "area": area},
        "snapshot": run.snapshot,
        "summary": {
            key: value for key, value in run.summary.items()
            if key not in ("services_serving_nobody", "municipalities_without_demand_row")
        }
        | {
            "services_serving_nobody": len(run.summary.get("services_serving_nobody", [])),
            "municipalities_without_demand_row": run.summary.get(
                "municipalities_without_demand_row", []
            ),
        },
        "summary_by_area": by_area.astype(object).where(by_area.notna(), None).to_dict("records"),
    }


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
    metadata = run_metadata(run, results, region, area)
    frame = export_frame(results, run.kind)
    write_export(frame, path, metadata, f"analysis_{run.kind}", csv_dialect)
    return len(results)
