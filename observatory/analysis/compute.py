"""One analysis over in-memory inputs: comuni (demand) and services (supply) -> per-comune rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from observatory.analysis.coverage import coverage
from observatory.analysis.demand import demand_of
from observatory.analysis.density import densities, services_per_comune
from observatory.analysis.distances import PointIndex
from observatory.analysis.fca import two_step_fca
from observatory.analysis.gaps import find_gaps
from observatory.analysis.parameters import Parameters
from observatory.analysis.supply import supply_of

CATCHMENT_COLUMNS = (
    "nearest_km", "services_within", "covered", "access_index", "access_per_10k",
    "unmet_demand", "is_gap",
)
RESULT_COLUMNS = ("demand", "services_count", *CATCHMENT_COLUMNS)


@dataclass
class Outcome:
    """Per-comune results (indexed by comune code) and run-level facts worth reporting."""

    results: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def compute(
    municipalities: pd.DataFrame, services: pd.DataFrame, params: Parameters
) -> Outcome:
    """Compute `params.kind` for every comune of `municipalities` from `services`."""
    demand, missing = demand_of(municipalities, params.demand)
    codes = municipalities.index
    results = pd.DataFrame(index=codes)
    results["demand"] = demand
    results["demand_missing"] = missing
    results["services_count"] = services_per_comune(services, codes)
    results["residents"] = municipalities["residents"]
    results["foreign_residents"] = municipalities["foreign_residents"]
    for name, values in densities(
        results["services_count"], municipalities["residents"],
        municipalities["foreign_residents"], municipalities["area_km2"],
    ).items():
        results[name] = values
    summary: dict[str, Any] = {
        "municipalities": len(codes),
        "municipalities_without_demand_row": [int(c) for c in codes[missing]],
        "services": len(services),
        "total_demand": float(demand.sum()),
    }
    for column in CATCHMENT_COLUMNS:
        results[column] = None
    if not params.uses_catchment:
        return Outcome(results, summary)

    lon, lat = municipalities["lon"].to_numpy(), municipalities["lat"].to_numpy()
    index = PointIndex(services["lon"].to_numpy(), services["lat"].to_numpy())
    needs_distances = params.uses_access and params.method == "e2sfca"
    pairs = index.pairs_within(lon, lat, params.catchment_km, with_distances=needs_distances)
    covered = coverage(index, lon, lat, pairs)
    results["nearest_km"] = covered.nearest_km
    results["services_within"] = covered.services_within
    results["covered"] = covered.covered
    summary["covered_demand"] = float(demand[covered.covered].sum())
    access_per_10k = None
    if params.uses_access:
        fca = two_step_fca(
            demand, supply_of(services, params.supply), pairs,
            params.method, params.effective_sigma_km,
        )
        access_per_10k = fca.access * 10_000
        results["access_index"] = fca.access
        results["access_per_10k"] = access_per_10k
        serving_nobody = services["id"].to_numpy()[fca.catchment_demand == 0]
        summary["services_serving_nobody"] = [int(s) for s in serving_nobody]
    gaps = find_gaps(
        demand, covered.covered, access_per_10k, params.threshold_per_10k, params.percentile
    )
    results["unmet_demand"] = gaps.unmet_demand
    results["is_gap"] = gaps.is_gap
    results["gap_rank"] = np.where(gaps.rank > 0, gaps.rank, None)
    summary |= {
        "gaps": int(gaps.is_gap.sum()),
        "unmet_demand": float(gaps.unmet_demand.sum()),
        "threshold_per_10k_used": gaps.threshold_per_10k,
    }
    return Outcome(results, summary)
