"""What a map shows, read from PostGIS: comuni, services, the analysis its parameters address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from observatory.errors import GeographyNotLoaded, NotFound
from observatory.text import slugify

if TYPE_CHECKING:  # imported by the functions that read frames: the API starts without them
    import geopandas as gpd
    import pandas as pd

    from observatory.analysis.parameters import Parameters
    from observatory.models import AnalysisRun


@dataclass(frozen=True)
class Scope:
    """A region, or one territorial area of it, that a map covers."""

    region_code: int
    region_name: str
    area_code: str | None = None
    area_name: str | None = None

    @property
    def region_slug(self) -> str:
        """The region's name as a URL and file-name segment ('campania')."""
        return slugify(self.region_name)

    @property
    def path(self) -> str:
        """Relative folder of the scope's maps: 'campania' or 'campania/napoli'."""
        return f"{self.region_slug}/{self.area_code}" if self.area_code else self.region_slug

    @property
    def title(self) -> str:
        """'Campania' or 'Napoli (Campania)'."""
        return f"{self.area_name} ({self.region_name})" if self.area_name else self.region_name


REGIONS_SQL = text("SELECT code, name FROM region ORDER BY code")
AREAS_SQL = text("SELECT code, name, region_code FROM territorial_area ORDER BY region_code, code")


def list_scopes(session: Session, with_areas: bool = True) -> list[Scope]:
    """Every loaded region, each followed by its territorial areas when `with_areas`."""
    regions = session.execute(REGIONS_SQL).all()
    if not regions:
        raise GeographyNotLoaded("no region loaded: run `observatory geo load`")
    areas = session.execute(AREAS_SQL).all() if with_areas else []
    scopes = []
    for code, name in regions:
        scopes.append(Scope(code, name))
        scopes += [Scope(code, name, a.code, a.name) for a in areas if a.region_code == code]
    return scopes


def resolve_scope(session: Session, region: str | None, area: str | None = None) -> Scope:
    """Find the scope named by a region (name, slug or ISTAT code) and/or an area code."""
    scopes = list_scopes(session)
    region_scopes = [s for s in scopes if s.area_code is None]
    if region is not None:
        key = slugify(region)
        region_scopes = [s for s in region_scopes if key in (s.region_slug, str(s.region_code))]
        if not region_scopes:
            raise NotFound(f"unknown region {region!r}")
    if area is None:
        if len(region_scopes) != 1:
            raise NotFound("choose a region")
        return region_scopes[0]
    codes = {s.region_code for s in region_scopes}
    for scope in scopes:
        if scope.area_code == area and scope.region_code in codes:
            return scope
    raise NotFound(f"unknown area {area!r}" + (f" in region {region!r}" if region else ""))


COMUNI_SQL = text(
    """
    SELECT m.code, m.name, m.area_km2, p.name AS province, am.area_code, ta.name AS area_name,
           COALESCE(pop.value, 0) AS residents, m.year, m.geom
    FROM municipality m
    JOIN province p ON p.code = m.province_code
    LEFT JOIN area_municipality am ON am.municipality_code = m.code
    LEFT JOIN territorial_area ta ON ta.code = am.area_code
    LEFT JOIN population pop ON pop.municipality_code = m.code AND pop.year = m.year
                            AND pop.indicator = 'residents'
    WHERE m.region_code = :region AND (CAST(:area AS text) IS NULL OR am.area_code = :area)
    ORDER BY m.code
    """
)


def comuni(session: Session, scope: Scope) -> gpd.GeoDataFrame:
    """The comuni of `scope` with province, area, residents and full-resolution polygons."""
    import geopandas as gpd

    return gpd.read_postgis(
        COMUNI_SQL,
        session.connection(),
        geom_col="geom",
        params={"region": scope.region_code, "area": scope.area_code},
    )


SERVICES_SQL = text(
    """
    SELECT s.id, s.name, s.organization_name, s.address_1, s.phone, s.opening_hours,
           s.languages, s.geocode_precision, s.category_code, s.is_example,
           s.last_verified, s.created_at,
           COALESCE(c.parent_code, c.code) AS top_category, s.municipality_code,
           m.name AS comune_name, ST_Y(s.geom) AS lat, ST_X(s.geom) AS lon
    FROM service_public s
    LEFT JOIN service_category c ON c.code = s.category_code
    LEFT JOIN municipality m ON m.code = s.municipality_code
    WHERE s.status = 'active' AND s.municipality_code IN :codes
      AND (CAST(:category AS text) IS NULL
           OR s.category_code IN (SELECT category_and_children(:category)))
    ORDER BY s.id
    """
).bindparams(bindparam("codes", expanding=True))


def services(session: Session, codes: list[int], category: str | None) -> pd.DataFrame:
    """Active services located in the comuni `codes`, of `category` (and its children) or all."""
    import pandas as pd

    return pd.read_sql(
        SERVICES_SQL,
        session.connection(),
        params={"codes": codes or [-1], "category": category},
    )


def categories(session: Session, lang: str) -> dict[str, str]:
    """Category labels in `lang`: top-level categories first, each group in taxonomy order."""
    rows = session.execute(
        text(
            "SELECT code, label_it, label_en FROM service_category "
            "ORDER BY parent_code IS NOT NULL, position, code"
        )
    )
    return {code: label_en if lang == "en" else label_it for code, label_it, label_en in rows}


RESULTS_SQL = text(
    """
    SELECT municipality_code, demand, services_count, nearest_km, services_within, covered,
           access_index, access_per_10k, unmet_demand, is_gap
    FROM analysis_result
    WHERE run_id = :run AND municipality_code IN :codes
    """
).bindparams(bindparam("codes", expanding=True))


@dataclass(frozen=True)
class MapParameters:
    """What a map's analysis is addressed by; None means the analysis default.

    Defaults (`observatory.analysis.parameters.Parameters`): all categories, the default
    demand, a 20 km catchment, the 2SFCA method and supply counted as one per service.
    """

    category: str | None = None
    demand: str | None = None
    catchment_km: float | None = None
    method: str | None = None
    supply: str | None = None

    def analysis(self, kind: str) -> Parameters:
        """The analysis `Parameters` of `kind` for the map's category and the given options."""
        from observatory.analysis.parameters import Parameters

        given = {
            name: value
            for name in ("demand", "catchment_km", "method", "supply")
            if (value := getattr(self, name)) is not None
        }
        return Parameters(kind, self.category, **given)

    @property
    def key(self) -> tuple[object, ...]:
        """What tells two maps' analyses apart (part of the map cache key)."""
        return (self.category, self.demand, self.catchment_km, self.method, self.supply)


@dataclass(frozen=True)
class Run:
    """The stored analysis run a map shows (computed on first request with its parameters)."""

    id: int
    kind: str
    category_code: str | None
    parameters: dict[str, Any]
    snapshot: dict[str, Any]
    created_at: datetime

    @property
    def demand(self) -> str:
        """The population the run's rates are per ('residents', 'foreign_residents')."""
        return str(self.parameters.get("demand", "residents"))

    @property
    def demand_year(self) -> int | None:
        """The year of the demand population the run used."""
        year = self.parameters.get("year") or self.snapshot.get("demand_year")
        return int(year) if year is not None else None


def analysis(
    session: Session,
    params: Parameters,
    codes: list[int],
    municipalities: pd.DataFrame | None = None,
) -> tuple[Run, pd.DataFrame]:
    """The run computed with exactly `params` on the current data (stored on first request).

    Returns the run and its per-comune results for `codes`, indexed by municipality code.
    """
    import pandas as pd

    from observatory.analysis.store import run_analysis

    stored = run_analysis(session, params, municipalities)
    results = pd.read_sql(
        RESULTS_SQL, session.connection(), params={"run": stored.id, "codes": codes or [-1]}
    ).set_index("municipality_code")
    return _run(stored), results.reindex(codes)


def _run(stored: AnalysisRun) -> Run:
    return Run(
        stored.id, stored.kind, stored.category_code, dict(stored.parameters or {}),
        dict(stored.snapshot or {}), stored.created_at,
    )


def runs(session: Session, ids: list[int]) -> list[Run]:
    """The stored runs `ids`, in that order."""
    from observatory.models import AnalysisRun

    return [_run(session.get_one(AnalysisRun, run_id)) for run_id in ids]


def data_date(session: Session) -> datetime | None:
    """When the registry last changed (the newest `updated_at` of a service): the map's date."""
    return session.execute(text("SELECT max(updated_at) FROM service")).scalar_one()
