"""Coverage within d km: covered or not, distance to the nearest service, services within d."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from observatory.analysis.distances import Pairs, PointIndex


@dataclass(frozen=True)
class Coverage:
    """Per demand point: nearest service km (NaN when none exists), count within d, covered."""

    nearest_km: np.ndarray
    services_within: np.ndarray
    covered: np.ndarray


def coverage(index: PointIndex, lon: np.ndarray, lat: np.ndarray, pairs: Pairs) -> Coverage:
    """Coverage of each demand point by the services of `index`, given the pairs within d."""
    nearest_km, _ = index.nearest(lon, lat)
    within = np.bincount(pairs.demand_index, minlength=len(lon))
    return Coverage(np.where(np.isinf(nearest_km), np.nan, nearest_km), within, within > 0)
