"""Aggregates of per-comune results per area, province or region: densities, coverage, gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd

from observatory.analysis.density import densities
from observatory.errors import InvalidInput

LEVELS = ("area", "province", "region")
SUMMED = (
    "demand", "covered_demand", "unmet_demand", "services_count", "residents",
    "foreign_residents", "area_km2",
)


def summarise(results: pd.DataFrame, level: str) -> pd.DataFrame:
    """Sum per `level` (comuni outside every area are left out of `area`), then the shares.

    Coverage share = covered demand / demand; densities are recomputed from the sums.
    """
    if level not in LEVELS:
        raise InvalidInput(f"unknown level {level!r}: choose one of {LEVELS}")
    frame = results.assign(
        covered_demand=np.where(
            results["covered"].fillna(False).astype(bool), results["demand"], 0.0
        ),
        gaps=results["is_gap"].fillna(False).astype(bool),
        comuni=1,
    )
    columns = [c for c in (*SUMMED, "gaps", "comuni") if c in frame.columns]
    grouped = frame.groupby(level, dropna=True)[columns].sum(min_count=1)
    share = grouped["covered_demand"] / grouped["demand"].where(grouped["demand"] > 0)
    grouped["coverage_share"] = share if results["covered"].notna().any() else np.nan
    for name, values in densities(
        grouped["services_count"], grouped["residents"], grouped["foreign_residents"],
        grouped["area_km2"],
    ).items():
        grouped[name] = values
    return grouped.rename(columns={"gaps": "unserved_comuni", "unmet_demand": "people_affected"})
