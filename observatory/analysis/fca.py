"""Two-step floating catchment area (2SFCA, Luo & Wang 2003) and its Gaussian E2SFCA.

R_j = S_j / sum_k P_k w(d_kj) over d_kj <= d0 (R_j = 0 when that sum is 0: the service
serves nobody); A_i = sum_j R_j w(d_ij) over d_ij <= d0. 2SFCA: w = 1; E2SFCA:
w(d) = exp(-d^2 / (2 sigma^2)), the `gaussian` weight of PySAL `access`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from observatory.analysis.distances import Pairs
from observatory.analysis.parameters import METHODS
from observatory.errors import InvalidInput


@dataclass(frozen=True)
class Accessibility:
    """A_i per demand point, R_j and the weighted catchment demand per service."""

    access: np.ndarray
    ratio: np.ndarray
    catchment_demand: np.ndarray


def weights(pairs: Pairs, method: str, sigma_km: float | None) -> np.ndarray:
    """The weight w(d) of each pair (all pairs given are already within the catchment)."""
    if method == "2sfca":
        return np.ones(len(pairs.demand_index))
    if method == "e2sfca":
        if not sigma_km or sigma_km <= 0:
            raise InvalidInput("the Gaussian sigma must be a positive number of km")
        if pairs.distance_km is None:
            raise ValueError("E2SFCA needs the pairs' distances (with_distances=True)")
        return np.exp(-(pairs.distance_km**2) / (2 * sigma_km**2))
    raise InvalidInput(f"unknown method {method!r}: choose one of {METHODS}")


def two_step_fca(
    demand: np.ndarray,
    supply: np.ndarray,
    pairs: Pairs,
    method: str = "2sfca",
    sigma_km: float | None = None,
) -> Accessibility:
    """Compute A_i for every demand point and R_j for every service over `pairs`."""
    demand, supply = np.asarray(demand, dtype=float), np.asarray(supply, dtype=float)
    weight = weights(pairs, method, sigma_km)
    catchment = np.bincount(
        pairs.service_index, weights=demand[pairs.demand_index] * weight, minlength=len(supply)
    )
    ratio = np.divide(supply, catchment, out=np.zeros(len(supply)), where=catchment > 0)
    access = np.bincount(
        pairs.demand_index, weights=ratio[pairs.service_index] * weight, minlength=len(demand)
    )
    return Accessibility(access, ratio, catchment)
