"""The observatory's collections: services, the geography, and the gaps per category."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import sql

from observatory.analysis.parameters import QUERY_NAMES
from observatory.features.base import ENVELOPE, REGION_CODE, Filter, ItemsQuery, Provider
from observatory.freshness import STALE_SQL, stale_after_days
from observatory.models import APPROXIMATE_PRECISIONS

SQL = sql.SQL
CATEGORY_EXISTS = SQL("SELECT 1 FROM service_category WHERE code = %(category)s")
AREA_EXISTS = SQL("SELECT 1 FROM territorial_area WHERE code = %(area)s")
REGION_EXISTS = SQL("SELECT 1 FROM region WHERE code = {}").format(REGION_CODE)
MUNICIPALITY_EXISTS = SQL("SELECT 1 FROM municipality WHERE code = %(municipality_code)s")
AREA_DESCRIPTION = "territorial area code (e.g. napoli)"
REGION_DESCRIPTION = "region ISTAT code or name (e.g. 15 or Campania)"
def _columns(alias: str, *names: str) -> dict[str, sql.Composable]:
    """Properties named like their columns."""
    return {name: sql.Identifier(alias, name) for name in names}


def _area_filter(column: str) -> Filter:
    """`column` is the code of a comune of the area %(area)s."""
    condition = SQL(
        "{} IN (SELECT municipality_code FROM area_municipality WHERE area_code = %(area)s)"
    ).format(sql.Identifier(*column.split(".")))
    return Filter(condition, AREA_EXISTS, AREA_DESCRIPTION, place=True)


def _region_filter(column: str) -> Filter:
    """`column` is the code of the region %(region)s (ISTAT code or name)."""
    condition = SQL("{} = {}").format(sql.Identifier(*column.split(".")), REGION_CODE)
    return Filter(condition, REGION_EXISTS, REGION_DESCRIPTION, place=True)


class Services(Provider):
    """Services for foreign citizens, one feature per service and location, as public."""

    id = "services"
    title = "Servizi / Services"
    description = (
        "Servizi per cittadini stranieri regolarmente soggiornanti, con lingue parlate, "
        "destinatari e contatti / services for regularly-resident foreign citizens."
    )
    source = SQL("service_public s")  # private fields null, `geom` the public point
    temporal = True
    key = SQL("s.id")
    geometry = SQL("s.geom")
    properties: ClassVar[dict[str, sql.Composable]] = {
        **_columns("s", "name", "organization_name"),
        "category": SQL("s.category_code"),
        **_columns("s", "municipality_code"),
        "address": SQL("s.address_1"),
        **_columns(
            "s",
            "postal_code",
            "phone",
            "email",
            "url",
            "opening_hours",
            "languages",
            "target_groups",
            "access_modes",
            "mediation_available",
            "step_free_access",
            "cost",
            "status",
            "geocode_precision",
        ),
        "location_approximate": SQL("s.geocode_precision = ANY({})").format(
            sql.Literal(list(APPROXIMATE_PRECISIONS))
        ),
        **_columns("s", "last_verified"),
        "stale": SQL(STALE_SQL),
        "updated_at": SQL("s.updated_at"),
    }
    enums: ClassVar[dict[str, sql.Composable]] = {
        "category": SQL("SELECT array_agg(code ORDER BY position) FROM service_category"),
    }
    filters: ClassVar[dict[str, Filter]] = {
        "category": Filter(
            SQL("s.category_code = ANY(ARRAY(SELECT category_and_children(%(category)s)))"),
            CATEGORY_EXISTS,
            "category code; a top-level code includes its children",
        ),
        "municipality_code": Filter(
            SQL("s.municipality_code = %(municipality_code)s"),
            MUNICIPALITY_EXISTS,
            "ISTAT code of the comune",
            place=True,
        ),
        "area": _area_filter("s.municipality_code"),
        "region": Filter(
            SQL(
                "s.municipality_code IN (SELECT code FROM municipality WHERE region_code = {})"
            ).format(REGION_CODE),
            REGION_EXISTS,
            REGION_DESCRIPTION,
            place=True,
        ),
        "language": Filter(
            SQL("s.languages && %(language)s::varchar[]"),
            description="ISO 639-1 codes, comma-separated: services speaking any of them",
        ),
        "target_group": Filter(
            SQL("s.target_groups && %(target_group)s::text[]"),
            description="target group codes, comma-separated: services for any of them",
        ),
    }

    def bbox_condition(self, box: sql.Composable = ENVELOPE) -> sql.Composable:
        """Points inside the box: the index operator alone is exact (for a box in degrees)."""
        return SQL("s.geom && {}").format(box)

    @property
    def base_condition(self) -> sql.Composable:
        """Closed services are history: out of the items (the as-of ones too)."""
        return SQL("s.status <> 'closed'")

    @property
    def base_params(self) -> dict[str, Any]:
        """The age past which a service is `stale`."""
        return {"stale_after_days": stale_after_days()}

    def source_of(self, query: ItemsQuery) -> sql.Composable:
        """The current services, or those valid at the instant / during the interval."""
        if query.datetime is None:
            return self.source
        if query.datetime.instant is not None:  # service_public_as_of, as a view (0011)
            return SQL(
                "(SELECT * FROM service_public_version v WHERE v.valid @> %(datetime_lo)s) s"
            )
        return SQL("service_public_during(%(datetime_lo)s, %(datetime_hi)s) s")

    def row_of(self, query: ItemsQuery) -> sql.Composable | None:
        """As of an instant, the version: a service's page reads its one valid version."""
        if query.datetime is not None and query.datetime.instant is not None:
            return SQL("s.version_id")
        return None


class Municipalities(Provider):
    """ISTAT comuni with their area and resident population."""

    id = "municipalities"
    title = "Comuni / Municipalities"
    description = "Comuni ISTAT con area territoriale e residenti / ISTAT municipalities."
    source = SQL("municipality m LEFT JOIN area_municipality am ON am.municipality_code = m.code")
    key = SQL("m.code")
    geometry = SQL("m.geom")
    properties: ClassVar[dict[str, sql.Composable]] = {
        **_columns("m", "name", "province_code", "region_code"),
        "area": SQL("am.area_code"),
        "area_km2": SQL("round(m.area_km2::numeric, 3)"),
        "residents": SQL(
            "(SELECT p.value FROM population p WHERE p.municipality_code = m.code "
            "AND p.indicator = 'residents' ORDER BY p.year DESC LIMIT 1)"
        ),
    }
    filters: ClassVar[dict[str, Filter]] = {
        "region": _region_filter("m.region_code"),
        "province": Filter(
            SQL("m.province_code = %(province)s"),
            SQL("SELECT 1 FROM province WHERE code = %(province)s"),
            "province ISTAT code",
            place=True,
        ),
        "area": Filter(SQL("am.area_code = %(area)s"), AREA_EXISTS, AREA_DESCRIPTION, place=True),
    }


class Areas(Provider):
    """Territorial areas (local working groups), each the union of its comuni."""

    id = "areas"
    title = "Aree territoriali / Territorial areas"
    description = "Aree dei gruppi di lavoro locali (GdLL), unione dei loro comuni."
    source = SQL("territorial_area a")
    key = SQL("a.code")
    key_type = str
    geometry = SQL(
        "(SELECT ST_Multi(ST_Union(m.geom)) FROM area_municipality am "
        "JOIN municipality m ON m.code = am.municipality_code WHERE am.area_code = a.code)"
    )
    properties: ClassVar[dict[str, sql.Composable]] = {
        **_columns("a", "name", "region_code", "status"),
        "municipalities": SQL(
            "(SELECT count(*) FROM area_municipality am WHERE am.area_code = a.code)"
        ),
    }
    filters: ClassVar[dict[str, Filter]] = {
        "region": _region_filter("a.region_code"),
    }

    def bbox_condition(self, box: sql.Composable = ENVELOPE) -> sql.Composable:
        """Areas with a comune intersecting the box (no union needed)."""
        return SQL(
            "EXISTS (SELECT 1 FROM area_municipality am JOIN municipality m "
            "ON m.code = am.municipality_code WHERE am.area_code = a.code "
            "AND ST_Intersects(m.geom, {}))"
        ).format(box)


class Provinces(Provider):
    """ISTAT provinces (and metropolitan cities)."""

    id = "provinces"
    title = "Province / Provinces"
    description = "Province e città metropolitane ISTAT / ISTAT provinces."
    source = SQL("province p")
    key = SQL("p.code")
    geometry = SQL("p.geom")
    properties: ClassVar[dict[str, sql.Composable]] = _columns("p", "name", "short", "region_code")
    filters: ClassVar[dict[str, Filter]] = {
        "region": _region_filter("p.region_code"),
    }


class Regions(Provider):
    """ISTAT regions."""

    id = "regions"
    title = "Regioni / Regions"
    description = "Regioni ISTAT / ISTAT regions."
    source = SQL("region r")
    key = SQL("r.code")
    geometry = SQL("r.geom")
    properties: ClassVar[dict[str, sql.Composable]] = _columns("r", "name")


class Gaps(Provider):
    """The gap analysis of one category, one feature per comune.

    The run is the one of exactly the requested parameters on the current data (`run_id` and
    `run_parameters`, set by the API before reading); defaults: demand foreign residents
    (latest year), catchment 20 km, 2SFCA, supply count, no threshold.
    """

    source = SQL(
        "analysis_result g JOIN municipality m ON m.code = g.municipality_code "
        "LEFT JOIN area_municipality am ON am.municipality_code = m.code"
    )
    key = SQL("g.municipality_code")
    geometry = SQL("m.geom")
    properties: ClassVar[dict[str, sql.Composable]] = {
        "municipality_code": SQL("lpad(m.code::text, 6, '0')"),
        **_columns("m", "name", "province_code", "region_code"),
        "area": SQL("am.area_code"),
        **_columns(
            "g",
            "run_id",
            "demand",
            "services_count",
            "nearest_km",
            "services_within",
            "covered",
            "access_index",
            "access_per_10k",
            "unmet_demand",
            "is_gap",
        ),
        "gap_rank": SQL("(g.\"values\" ->> 'gap_rank')::int"),
    }
    filters: ClassVar[dict[str, Filter]] = {
        "region": _region_filter("m.region_code"),
        "area": _area_filter("g.municipality_code"),
        "is_gap": Filter(SQL("g.is_gap = %(is_gap)s"), description="true: only the gaps"),
    }
    extra_parameters: ClassVar[frozenset[str]] = QUERY_NAMES
    """The analysis parameters (`demand` is the analysis's, not the queryable's equality)."""

    def __init__(self, category_code: str) -> None:
        self.category_code = category_code
        self.run_id: int | None = None
        self.run_parameters: dict[str, Any] = {}
        self.id = f"{GAPS_PREFIX}{category_code}"
        self.title = f"Lacune / Gaps: {category_code}"
        self.description = (
            f"Analisi delle lacune per la categoria {category_code}, per comune, sui dati attuali; "
            "parametri predefiniti: stranieri residenti, ultimo anno, 20 km, 2SFCA, altri con "
            "demand, year, catchment_km, method, sigma_km, supply, threshold, percentile / gap "
            "analysis of the category per comune on the current data, with the default "
            "parameters or those given as query parameters (stated in `parameters`)."
        )

    @property
    def queryables_key(self) -> str:
        """Every gaps collection has the same properties."""
        return GAPS_PREFIX

    @property
    def base_condition(self) -> sql.Composable:
        """Only the results of the run of the requested parameters on the current data."""
        return SQL("g.run_id = %(gap_run)s")

    @property
    def base_params(self) -> dict[str, Any]:
        """The run of the collection (-1 until the API has resolved it: no feature)."""
        return {"gap_run": -1 if self.run_id is None else self.run_id}


GAPS_PREFIX = "gaps-"
STATIC_PROVIDERS: dict[str, Provider] = {
    provider.id: provider
    for provider in (Services(), Municipalities(), Areas(), Provinces(), Regions())
}
