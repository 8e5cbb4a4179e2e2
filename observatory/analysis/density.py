"""Density: active services per 10,000 residents, per 10,000 foreign residents, per 100 km²."""

from __future__ import annotations

import numpy as np
import pandas as pd


def services_per_comune(services: pd.DataFrame, codes: pd.Index) -> np.ndarray:
    """Number of services whose comune (found by point-in-polygon at ingest) is each code."""
    counts = services["municipality_code"].dropna().astype("int64").value_counts()
    return counts.reindex(codes, fill_value=0).to_numpy(dtype=np.int64)


def densities(
    services: pd.Series | np.ndarray,
    residents: pd.Series | np.ndarray,
    foreign_residents: pd.Series | np.ndarray,
    area_km2: pd.Series | np.ndarray,
) -> dict[str, np.ndarray]:
    """The three densities; NaN where the denominator is 0 or unknown."""
    services = np.asarray(services, dtype=float)

    def per(denominator: pd.Series | np.ndarray, unit: float) -> np.ndarray:
        values = np.asarray(denominator, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(values > 0, services / values * unit, np.nan)

    return {
        "per_10k_residents": per(residents, 10_000),
        "per_10k_foreign_residents": per(foreign_residents, 10_000),
        "per_100km2": per(area_km2, 100),
    }
