"""The base of every collection provider: SQL built from whitelisted fragments, values bound."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from psycopg import AsyncConnection, sql

from observatory.errors import InvalidInput, NotFound
from observatory.pool import fetch_row
from observatory.temporal import Interval

COORDINATE_PRECISION = 6
COUNT_TTL_S = 10.0
COUNT_CACHE_SIZE = 4096
ENVELOPE = sql.SQL("ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4326)")
POINT = sql.SQL("ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)")
REGION_CODE = sql.SQL(
    "(SELECT code FROM region WHERE code::text = %(region)s OR lower(name) = lower(%(region)s))"
)

_counts: dict[tuple[Any, ...], tuple[float, int]] = {}
_statements: dict[tuple[Any, ...], str] = {}

Bbox = tuple[float, float, float, float]


def degrees(value: float) -> float:
    """A coordinate rounded to 1e-9 degrees (0.1 mm): no subnormal float reaches PostgreSQL."""
    return round(value, 9)


@dataclass(frozen=True)
class Circle:
    """A point (WGS84) and a radius in metres."""

    lon: float
    lat: float
    radius_m: float

    def params(self) -> dict[str, float]:
        """The bind parameters of `within_distance`."""
        return {"lon": degrees(self.lon), "lat": degrees(self.lat), "radius_m": self.radius_m}


def within_distance(geometry: sql.Composable, radius_m: sql.Composable) -> sql.Composable:
    """`geometry` lies within `radius_m` metres (geodesic) of %(lon)s, %(lat)s.

    A box in degrees, never smaller than the circle, lets the GiST index prefilter.
    """
    return sql.SQL(
        "{geometry} && ST_Expand({point}, "
        "{radius} / (110000 * greatest(cos(radians(%(lat)s)), 0.01))) "
        "AND ST_DWithin({geometry}::geography, {point}::geography, {radius})"
    ).format(geometry=geometry, point=POINT, radius=radius_m)


@dataclass(frozen=True)
class Filter:
    """A property filter: its condition, a query finding its value, whether it is a place."""

    condition: sql.Composable
    exists: sql.Composable | None = None
    description: str = ""
    place: bool = False


@dataclass(frozen=True)
class ItemsQuery:
    """A validated items request: page, bounding box and property filters."""

    limit: int
    offset: int = 0
    bbox: Bbox | None = None
    circle: Circle | None = None
    filters: Mapping[str, Any] = field(default_factory=dict)
    datetime: Interval | None = None
    """OGC `datetime`: the features valid at that instant / during that interval."""


@dataclass(frozen=True)
class Page:
    """One page of features: the JSON array as PostgreSQL wrote it, and the counts."""

    features: bytes
    number_matched: int
    number_returned: int


def compiled(shape: tuple[Any, ...], build: Callable[[], sql.Composable]) -> str:
    """The SQL text of a statement shape, composed once per process."""
    found = _statements.get(shape)
    if found is None:
        found = _statements[shape] = build().as_string()
    return found


def where_clause(conditions: list[sql.Composable]) -> sql.Composable:
    """` WHERE a AND b ...`, or nothing when there is no condition."""
    if not conditions:
        return sql.SQL("")
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions)


class Provider:
    """A collection: its source table, key, geometry, whitelisted properties and filters."""

    id: str
    title: str
    description: str
    source: sql.Composable
    key: sql.Composable
    key_type: type = int
    geometry: sql.Composable
    properties: ClassVar[dict[str, sql.Composable]] = {}
    filters: ClassVar[dict[str, Filter]] = {}
    temporal: ClassVar[bool] = False
    """Whether the collection has a history the `datetime` parameter selects in."""

    def source_of(self, query: ItemsQuery) -> sql.Composable:
        """The relation a query reads: `source`, or the state at its `datetime` (temporal)."""
        return self.source

    @property
    def base_condition(self) -> sql.Composable | None:
        """A condition every query of the collection carries (none by default)."""
        return None

    @property
    def base_params(self) -> dict[str, Any]:
        """The values of the base condition's parameters."""
        return {}

    def bbox_condition(self) -> sql.Composable:
        """Features intersecting the bounding box %(minx)s..%(maxy)s."""
        return sql.SQL("ST_Intersects({}, {})").format(self.geometry, ENVELOPE)

    def feature(self, extra: Mapping[str, sql.Composable] | None = None) -> sql.Composable:
        """The expression writing one compact GeoJSON Feature (text) from a source row."""
        columns = {**self.properties, **(extra or {})}
        properties = sql.SQL(", ").join(
            sql.SQL("{} AS {}").format(expression, sql.Identifier(name))
            for name, expression in columns.items()
        )
        return sql.SQL(
            "(SELECT row_to_json(f)::text FROM (SELECT 'Feature' AS type, {key} AS id, "
            "ST_AsGeoJSON({geometry}, {precision})::json AS geometry, "
            "(SELECT row_to_json(p) FROM (SELECT {properties}) p) AS properties) f)"
        ).format(
            key=self.key,
            geometry=self.geometry,
            precision=sql.Literal(COORDINATE_PRECISION),
            properties=properties,
        )

    def conditions(self, query: ItemsQuery) -> tuple[list[sql.Composable], dict[str, Any]]:
        """The conditions of `query` and their parameters; refuse filters the collection lacks."""
        conditions: list[sql.Composable] = []
        params = dict(self.base_params)
        if query.datetime is not None:
            if not self.temporal:
                raise InvalidInput(
                    f"collection {self.id!r} has no history: datetime applies to services"
                )
            params.update(query.datetime.params())
        if self.base_condition is not None:
            conditions.append(self.base_condition)
        if query.bbox is not None:
            conditions.append(self.bbox_condition())
            params.update(zip(("minx", "miny", "maxx", "maxy"), query.bbox, strict=True))
        if query.circle is not None:
            conditions.append(within_distance(self.geometry, sql.SQL("%(radius_m)s")))
            params.update(query.circle.params())
        for name, value in query.filters.items():
            if name not in self.filters:
                accepted = ", ".join(sorted(self.filters)) or "none"
                raise InvalidInput(
                    f"collection {self.id!r} has no filter {name!r} (accepted: {accepted})"
                )
            conditions.append(self.filters[name].condition)
            params[name] = value
        return conditions, params

    async def items(self, conn: AsyncConnection, query: ItemsQuery) -> Page:
        """One page of features matching `query`, ordered by key: keys first, then features.

        A query narrowed to a place (bbox, circle, comune, area...) materialises its matching
        keys, whose rows are stored together, so the planner cannot walk the key past the
        rows the place rejects, and counts them in the same statement. Other queries let the
        planner walk the key and count apart (cached); a short page needs no count.
        """
        conditions, params = self.conditions(query)
        fenced = query.bbox is not None or query.circle is not None
        fenced = fenced or any(self.filters[name].place for name in query.filters)
        when = None if query.datetime is None else query.datetime.instant is None
        shape = (self.id, when, fenced, query.bbox is None, query.circle is None, *query.filters)
        source = self.source_of(query)
        statement = compiled(
            ("items", *shape), lambda: self._items_statement(conditions, fenced, source)
        )
        row = await fetch_row(
            conn, statement, {**params, "limit": query.limit, "offset": query.offset}
        )
        assert row is not None
        features, returned, matched = row
        if matched is None:
            if 0 < returned < query.limit or (returned == 0 and query.offset == 0):
                matched = query.offset + returned
            else:
                matched = await self.count(conn, shape, conditions, params, source)
        if matched == 0:
            await self.check_filter_values(conn, query)
        return Page(features, matched, returned)

    def _items_statement(
        self, conditions: list[sql.Composable], fenced: bool, source: sql.Composable
    ) -> sql.Composable:
        """The statement of `items` for these conditions, reading `source`."""
        keys = (
            sql.SQL(
                "matched AS MATERIALIZED (SELECT {key} AS k FROM {source}{where}), "
                "page AS MATERIALIZED (SELECT k FROM matched ORDER BY k "
                "LIMIT %(limit)s OFFSET %(offset)s)"
            )
            if fenced
            else sql.SQL(
                "page AS MATERIALIZED (SELECT {key} AS k FROM {source}{where} ORDER BY {key} "
                "LIMIT %(limit)s OFFSET %(offset)s)"
            )
        ).format(key=self.key, source=source, where=where_clause(conditions))
        base = [self.base_condition] if self.base_condition is not None else []
        return sql.SQL(
            "WITH {keys} SELECT '[' || coalesce(string_agg({feature}, ',' ORDER BY page.k), '') "
            "|| ']', count(*), {matched} FROM {source} JOIN page ON {key} = page.k{base}"
        ).format(
            keys=keys,
            feature=self.feature(),
            matched=sql.SQL("(SELECT count(*) FROM matched)" if fenced else "NULL::bigint"),
            source=source,
            key=self.key,
            base=where_clause(base),
        )

    async def count(
        self,
        conn: AsyncConnection,
        shape: tuple[Any, ...],
        conditions: list[sql.Composable],
        params: dict[str, Any],
        source: sql.Composable | None = None,
    ) -> int:
        """How many features match, cached for COUNT_TTL_S seconds per query and values.

        A count of a history (`source` other than the collection's own) reads by its GiST
        index on `valid`: one instant's versions lie together, but with few rounds the
        planner costs that bitmap scan like reading every version (3-4x slower).
        """
        key = (shape, tuple((name, repr(value)) for name, value in params.items()))
        now = time.monotonic()
        cached = _counts.get(key)
        if cached and cached[0] > now:
            return cached[1]
        statement = compiled(
            ("count", *shape),
            lambda: sql.SQL("SELECT count(*) FROM {source}{where}").format(
                source=source or self.source, where=where_clause(conditions)
            ),
        )
        if source is None or source is self.source:
            row = await fetch_row(conn, statement, params)
        else:
            async with conn.transaction():
                await conn.execute("SET LOCAL enable_seqscan = off")
                row = await fetch_row(conn, statement, params)
        assert row is not None
        if len(_counts) >= COUNT_CACHE_SIZE:
            _counts.clear()
        _counts[key] = (now + COUNT_TTL_S, row[0])
        return row[0]

    async def check_filter_values(self, conn: AsyncConnection, query: ItemsQuery) -> None:
        """Raise InvalidInput naming the first filter value that does not exist."""
        for name, value in query.filters.items():
            exists = self.filters[name].exists
            if exists is not None and await fetch_row(conn, exists, {name: value}) is None:
                raise InvalidInput(f"unknown {name} {value!r}")

    def parse_key(self, feature_id: str) -> Any:
        """The feature id in the key's type; NotFound when it cannot be one."""
        try:
            return self.key_type(feature_id)
        except ValueError:
            raise NotFound(f"no feature {feature_id!r} in collection {self.id!r}") from None

    def _item_statement(self) -> sql.Composable:
        """The statement of `item`."""
        conditions = [self.base_condition] if self.base_condition is not None else []
        conditions.append(sql.SQL("{} = %(feature_id)s").format(self.key))
        return sql.SQL("SELECT {feature} FROM {source}{where}").format(
            feature=self.feature(), source=self.source, where=where_clause(conditions)
        )

    async def item(self, conn: AsyncConnection, feature_id: str) -> bytes:
        """One feature by id, as GeoJSON bytes; NotFound when absent."""
        statement = compiled(("item", self.id), self._item_statement)
        params = {**self.base_params, "feature_id": self.parse_key(feature_id)}
        row = await fetch_row(conn, statement, params)
        if row is None:
            raise NotFound(f"no feature {feature_id!r} in collection {self.id!r}")
        return row[0]
