"""Parameters of an analysis: validated, reduced to those its kind uses, hashed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from observatory.errors import InvalidInput

KINDS = ("density", "coverage", "access", "gaps")
INDICATORS = ("residents", "foreign_residents")
"""The demand populations (`population.indicator`)."""
METHODS = ("2sfca", "e2sfca")
SUPPLIES = ("count", "capacity")
DEFAULT_CATCHMENT_KM = 20.0
DEFAULT_DEMAND = "foreign_residents"
QUERY_NAMES = frozenset(
    {"demand", "year", "catchment_km", "method", "sigma_km", "supply", "threshold", "percentile",
     "as_of"}
)
"""The analysis parameters as the API's query parameters name them (`api.analysis`)."""


@dataclass(frozen=True)
class Parameters:
    """What an analysis computes; fields a kind does not use are ignored for it."""

    kind: str
    category_code: str | None = None
    demand: str = DEFAULT_DEMAND
    catchment_km: float = DEFAULT_CATCHMENT_KM
    method: str = "2sfca"
    sigma_km: float | None = None
    supply: str = "count"
    threshold_per_10k: float | None = None
    percentile: float | None = None
    year: int | None = None  # population year of the demand; None: the latest loaded
    as_of: str | None = None
    """The services as they were at this instant (a date: its end, in Italy); None: now.
    Kept as the instant in UTC (`2025-03-14T22:59:59.999999Z`), so equal instants hash equal."""

    def __post_init__(self) -> None:
        """Refuse impossible values with a message that says which (no numpy or pandas:
        the API checks and hashes parameters on every request)."""
        if self.kind not in KINDS:
            raise InvalidInput(f"unknown analysis {self.kind!r}: choose one of {KINDS}")
        if self.demand not in INDICATORS:
            raise InvalidInput(f"unknown demand {self.demand!r}: choose one of {INDICATORS}")
        if self.method not in METHODS:
            raise InvalidInput(f"unknown method {self.method!r}: choose one of {METHODS}")
        if self.supply not in SUPPLIES:
            raise InvalidInput(f"unknown supply {self.supply!r}: choose one of {SUPPLIES}")
        if not self.catchment_km > 0:
            raise InvalidInput("the catchment must be a positive number of km")
        if self.sigma_km is not None and not self.sigma_km > 0:
            raise InvalidInput("the Gaussian sigma must be a positive number of km")
        if self.threshold_per_10k is not None and self.percentile is not None:
            raise InvalidInput("give a threshold or a percentile, not both")
        if self.percentile is not None and not 0 <= self.percentile <= 100:
            raise InvalidInput("the percentile must be between 0 and 100")
        if self.year is not None and not 1900 <= self.year <= 2200:
            raise InvalidInput(f"population year {self.year} is not a plausible year")
        if self.kind != "gaps" and (self.threshold_per_10k, self.percentile) != (None, None):
            raise InvalidInput("a threshold or percentile applies to gaps only")
        if self.as_of is not None:
            from observatory.temporal import canonical, parse_as_of

            object.__setattr__(self, "as_of", canonical(parse_as_of(self.as_of)))

    @property
    def uses_access(self) -> bool:
        """True for the kinds that compute 2SFCA / E2SFCA."""
        return self.kind in ("access", "gaps")

    @property
    def uses_catchment(self) -> bool:
        """True for the kinds that look at distances."""
        return self.kind != "density"

    @property
    def effective_sigma_km(self) -> float | None:
        """The Gaussian width actually used (E2SFCA only): given, or half the catchment."""
        if self.method != "e2sfca":
            return None
        return self.sigma_km or default_sigma_km(self.catchment_km)

    def as_dict(self) -> dict[str, Any]:
        """The parameters this kind uses, with defaults filled in (what runs are keyed on)."""
        values: dict[str, Any] = {
            "kind": self.kind, "category_code": self.category_code, "demand": self.demand,
            "year": self.year,
        }
        if self.uses_catchment:
            values["catchment_km"] = float(self.catchment_km)
        if self.uses_access:
            values |= {"method": self.method, "supply": self.supply}
            if self.method == "e2sfca":
                values |= {"weight": "gaussian exp(-d^2/(2 sigma^2))",
                           "sigma_km": float(self.effective_sigma_km or 0)}
            else:
                values["weight"] = "1 within the catchment"
        if self.kind == "gaps":
            values["threshold_per_10k"] = self.threshold_per_10k
            values["percentile"] = self.percentile
        if self.as_of is not None:  # absent when current: the hashes of runs stay as they were
            values["as_of"] = self.as_of
        return values

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of `as_dict()`."""
        canonical = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def default_sigma_km(catchment_km: float) -> float:
    """The Gaussian width used unless one is given: half the catchment."""
    return catchment_km / 2
