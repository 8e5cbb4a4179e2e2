"""Gaps: comuni with demand that are uncovered or whose access is below a threshold."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Gaps:
    """Per comune: gap or not, unmet demand, rank by unmet demand (0 = not a gap)."""

    is_gap: np.ndarray
    unmet_demand: np.ndarray
    rank: np.ndarray
    threshold_per_10k: float | None


def find_gaps(
    demand: np.ndarray,
    covered: np.ndarray,
    access_per_10k: np.ndarray | None = None,
    threshold_per_10k: float | None = None,
    percentile: float | None = None,
) -> Gaps:
    """Mark gaps: demand > 0 and (uncovered, or access per 10,000 strictly below the threshold).

    A percentile P sets the threshold to the P-th percentile (linear interpolation) of the
    access per 10,000 of the comuni with demand; ranks go 1, 2... by unmet demand, then code.
    """
    has_demand = demand > 0
    if percentile is not None and access_per_10k is not None and has_demand.any():
        threshold_per_10k = float(np.percentile(access_per_10k[has_demand], percentile))
    is_gap = has_demand & ~covered
    if threshold_per_10k is not None and access_per_10k is not None:
        is_gap |= has_demand & (access_per_10k < threshold_per_10k)
    unmet = np.where(is_gap, demand, 0.0)
    order = np.lexsort((np.arange(len(demand)), -unmet))
    rank = np.zeros(len(demand), dtype=np.int64)
    gap_order = order[is_gap[order]]
    rank[gap_order] = np.arange(1, len(gap_order) + 1)
    return Gaps(is_gap, unmet, rank, threshold_per_10k)
