"""The base of every collection provider: SQL built from whitelisted fragments, values bound."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from psycopg import AsyncConnection, sql

from observatory.data_version import VERSION_QUERY
from observatory.errors import InvalidInput, NotFound
from observatory.features.crs import CRS84, Crs
from observatory.pool import fetch_row
from observatory.temporal import Interval

if TYPE_CHECKING:
    from observatory.features.cql import Condition

COUNT_CACHE_SIZE = 4096
ENVELOPE = sql.SQL("ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4326)")
SEGMENTS = 64
"""Vertices per side of a projected bbox transformed to degrees: its edges stay within mm."""
POINT = sql.SQL("ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)")
REGION_CODE = sql.SQL(
    "(SELECT code FROM region WHERE code::text = %(region)s OR lower(name) = lower(%(region)s))"
)

_counts: dict[tuple[Any, ...], asyncio.Future[int]] = {}
"""Counts per query shape, values and data version: exact while the version holds, and
computed once per process however many requests ask at the same time."""
_statements: dict[tuple[Any, ...], str] = {}

Bbox = tuple[float, float, float, float]


def degrees(value: float) -> float:
    """A coordinate rounded to 1e-9 degrees (0.1 mm): no subnormal float reaches PostgreSQL."""
    return round(value, 9)


def envelope(crs: Crs) -> sql.Composable:
    """The bbox %(minx)s..%(maxy)s, given in `crs` (x, y order), as a polygon in degrees.

    A projected box is densified before the transformation, so its curved edges hold.
    """
    if crs.is_storage:
        return ENVELOPE
    return sql.SQL(  # a scalar subquery: computed once per statement, not once per row
        "(SELECT ST_Transform(ST_Segmentize(ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, "
        "%(maxy)s, {srid}), greatest(%(maxx)s - %(minx)s, %(maxy)s - %(miny)s, 1) / {segments}), "
        "4326))"
    ).format(srid=sql.Literal(crs.srid), segments=sql.Literal(SEGMENTS))


def geojson_geometry(geometry: sql.Composable, crs: Crs) -> sql.Composable:
    """GeoJSON of `geometry` (stored in 4326) in `crs`: transformed in SQL, axes as it defines."""
    if crs is CRS84:
        return sql.SQL("ST_AsGeoJSON({}, {})").format(geometry, sql.Literal(crs.decimals))
    if not crs.is_storage:
        geometry = sql.SQL("ST_Transform({}, {})").format(geometry, sql.Literal(crs.srid))
    if crs.north_first:
        geometry = sql.SQL("ST_FlipCoordinates({})").format(geometry)
    return sql.SQL("ST_AsGeoJSON({}, {}, 0)").format(geometry, sql.Literal(crs.decimals))


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
    """A validated items request: page, bounding box and property filters, output CRS.

    `bbox` is minx, miny, maxx, maxy in `bbox_crs` (already in x, y order).
    """

    limit: int
    offset: int = 0
    bbox: Bbox | None = None
    circle: Circle | None = None
    filters: Mapping[str, Any] = field(default_factory=dict)
    crs: Crs = CRS84
    bbox_crs: Crs = CRS84
    datetime: Interval | None = None
    """OGC `datetime`: the features valid at that instant / during that interval."""
    condition: Condition | None = None
    """A CQL2 filter (and queryables given as parameters), translated."""
    sortby: tuple[tuple[str, bool], ...] = ()
    """(property, descending) pairs; the key breaks ties."""
    properties: tuple[str, ...] | None = None
    """Only these properties in each feature (None: all)."""


@dataclass(frozen=True)
class Page:
    """One page of features: the JSON array as PostgreSQL wrote it, and the counts."""

    features: bytes
    number_matched: int
    number_returned: int


@dataclass(frozen=True)
class ItemsPlan:
    """The statement of an items request (SQL text and values) and what its count reuses."""

    statement: str
    values: dict[str, Any]
    """Every value the statement binds (the filters', the page's limit and offset)."""
    shape: tuple[Any, ...]
    conditions: list[sql.Composable]
    params: dict[str, Any]
    """The filters' values alone (what the count binds, whatever the page)."""
    source: sql.Composable


def forget_counts() -> None:
    """Drop the cached counts (a process that serves another database or event loop: tests)."""
    _counts.clear()


def compiled(shape: tuple[Any, ...], build: Callable[[], sql.Composable]) -> str:
    """The SQL text of a statement shape, composed once per process."""
    found = _statements.get(shape)
    if found is None:
        if len(_statements) >= COUNT_CACHE_SIZE:  # filters make shapes without end
            _statements.clear()
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

    def row_of(self, query: ItemsQuery) -> sql.Composable | None:
        """A unique, indexed column of the rows of `source_of(query)` when the key alone finds
        more rows than one (a history: every version of a feature); the page carries it and
        its features are read by it. None: the key."""
        return None
    enums: ClassVar[dict[str, sql.Composable]] = {}
    """Per property, a query of its allowed values as one array (the queryables' enum)."""
    extra_parameters: ClassVar[frozenset[str]] = frozenset()
    """Query parameters of the items besides the standard ones, filters and queryables."""

    @property
    def queryables_key(self) -> str:
        """Collections sharing this key share their queryables (types are read once)."""
        return self.id

    @property
    def base_condition(self) -> sql.Composable | None:
        """A condition every query of the collection carries (none by default)."""
        return None

    @property
    def base_params(self) -> dict[str, Any]:
        """The values of the base condition's parameters."""
        return {}

    def bbox_condition(self, box: sql.Composable = ENVELOPE) -> sql.Composable:
        """Features intersecting the bounding box `box` (a polygon in degrees)."""
        return sql.SQL("ST_Intersects({}, {})").format(self.geometry, box)

    def feature(
        self,
        extra: Mapping[str, sql.Composable] | None = None,
        crs: Crs = CRS84,
        only: tuple[str, ...] | None = None,
    ) -> sql.Composable:
        """The expression writing one compact GeoJSON Feature (text) from a source row.

        `only` keeps the listed properties (in that order); `id` and geometry always stay.
        """
        columns = {**self.properties, **(extra or {})}
        if only is not None:
            columns = {name: columns[name] for name in only}
        properties = sql.SQL(", ").join(
            sql.SQL("{} AS {}").format(expression, sql.Identifier(name))
            for name, expression in columns.items()
        )
        return sql.SQL(
            "(SELECT row_to_json(f)::text FROM (SELECT 'Feature' AS type, {key} AS id, "
            "{geometry}::json AS geometry, "
            "(SELECT row_to_json(p) FROM (SELECT {properties}) p) AS properties) f)"
        ).format(
            key=self.key, geometry=geojson_geometry(self.geometry, crs), properties=properties
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
            box = envelope(query.bbox_crs)
            conditions.append(self.bbox_condition(box))
            if not query.bbox_crs.is_storage:  # the index prefilter is the transformed box's
                conditions.append(sql.SQL("ST_Intersects({}, {})").format(self.geometry, box))
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
        if query.condition is not None:
            conditions.append(query.condition.sql)
            params.update(query.condition.params)
        return conditions, params

    async def items(self, conn: AsyncConnection, query: ItemsQuery) -> Page:
        """One page of features matching `query`, ordered by key: keys first, then features.

        A query narrowed to a place (bbox, circle, comune, area...) materialises its matching
        keys, whose rows are stored together, so the planner cannot walk the key past the
        rows the place rejects, and counts them in the same statement. Other queries let the
        planner walk the key and count apart, cached by the data version the page was read
        at (read in the same statement); a short page needs no count.
        """
        plan = self.plan(query)
        row = await fetch_row(conn, plan.statement, plan.values)
        assert row is not None
        features, returned, matched, version = row
        if matched is None:
            if 0 < returned < query.limit or (returned == 0 and query.offset == 0):
                matched = query.offset + returned
            else:
                matched = await self.count(
                    conn, (*plan.shape, version), plan.conditions, plan.params, plan.source
                )
        if matched == 0:
            await self.check_filter_values(conn, query)
        return Page(features, matched, returned)

    def plan(self, query: ItemsQuery) -> ItemsPlan:
        """The one statement of `items` for `query`, with what its count needs."""
        conditions, params = self.conditions(query)
        fenced = query.bbox is not None or query.circle is not None
        fenced = fenced or any(self.filters[name].place for name in query.filters)
        when = None if query.datetime is None else query.datetime.instant is None
        fenced = fenced or (query.condition is not None and query.condition.spatial)
        shape = (
            self.id, when, fenced, query.bbox is None, query.circle is None, query.bbox_crs.srid,
            *query.filters,
            query.condition.shape if query.condition is not None else None,
        )
        source = self.source_of(query)
        statement = compiled(
            ("items", query.crs.uri, *shape, query.sortby, query.properties),
            lambda: self._items_statement(conditions, fenced, query, source),
        )
        values = {**params, "limit": query.limit, "offset": query.offset}
        return ItemsPlan(statement, values, shape, conditions, params, source)

    def _items_statement(
        self,
        conditions: list[sql.Composable],
        fenced: bool,
        query: ItemsQuery,
        source: sql.Composable,
    ) -> sql.Composable:
        """The statement of `items` for these conditions, order, properties and CRS, on `source`.

        The page carries the values it is sorted by (`s0`, `s1`...), then the key, and the
        row (`r`) when the key does not name one row of the source (`row_of`).
        """
        row = self.row_of(query)
        sorts = [] if row is None else [sql.SQL("{} AS r").format(row)]
        sorts += [
            sql.SQL("{} AS {}").format(self.properties[name], sql.Identifier(f"s{i}"))
            for i, (name, _) in enumerate(query.sortby)
        ]
        columns = sql.SQL("").join(sql.SQL(", ") + sort for sort in sorts)
        order = sql.SQL("").join(
            sql.SQL("{}{}, ").format(sql.Identifier(f"s{i}"), sql.SQL(" DESC" if desc else ""))
            for i, (_, desc) in enumerate(query.sortby)
        )
        # ties break by the key in the direction of the last sort key, so one index on
        # (property, id) serves both directions (scanned forwards or backwards)
        order += sql.SQL("k DESC" if query.sortby and query.sortby[-1][1] else "k")
        keys = (
            sql.SQL(
                "matched AS MATERIALIZED (SELECT {key} AS k{columns} FROM {source}{where}), "
                "page AS MATERIALIZED (SELECT * FROM matched ORDER BY {order} "
                "LIMIT %(limit)s OFFSET %(offset)s)"
            )
            if fenced
            else sql.SQL(
                "page AS MATERIALIZED (SELECT * FROM (SELECT {key} AS k{columns} "
                "FROM {source}{where}) x ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s)"
            )
        ).format(
            key=self.key,
            columns=columns,
            source=source,
            where=where_clause(conditions),
            order=order,
        )
        page_order = sql.SQL("").join(
            sql.SQL("page.{}{}, ").format(sql.Identifier(f"s{i}"), sql.SQL(" DESC" if desc else ""))
            for i, (_, desc) in enumerate(query.sortby)
        ) + sql.SQL("page.k DESC" if query.sortby and query.sortby[-1][1] else "page.k")
        base = [self.base_condition] if self.base_condition is not None else []
        return sql.SQL(
            "WITH {keys} SELECT '[' || coalesce(string_agg({feature}, ',' ORDER BY {order}), "
            "'') || ']', count(*), {matched}, {version} "
            "FROM {source} JOIN page ON {joined}{base}"
        ).format(
            keys=keys,
            order=page_order,
            feature=self.feature(crs=query.crs, only=query.properties),
            matched=sql.SQL("(SELECT count(*) FROM matched)" if fenced else "NULL::bigint"),
            version=sql.SQL("NULL::bigint" if fenced else f"({VERSION_QUERY})"),
            source=source,
            joined=sql.SQL("{} = page.k").format(self.key)
            if row is None
            else sql.SQL("{} = page.r").format(row),
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
        """How many features match; `shape` ends with the data version the page was read at.

        Cached per shape and values, so exact until the data change; requests asking at the
        same time share one count. A count of a history (`source` other than the
        collection's own) reads by its GiST index on `valid`: one instant's versions lie
        together, but with few rounds the planner costs that bitmap scan like reading every
        version (3-4x slower).
        """
        key = (shape, tuple((name, repr(value)) for name, value in params.items()))
        pending = _counts.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        if len(_counts) >= COUNT_CACHE_SIZE:
            _counts.clear()
        pending = _counts[key] = asyncio.get_running_loop().create_future()
        statement = compiled(
            ("count", *shape[:-1]),
            lambda: sql.SQL("SELECT count(*) FROM {source}{where}").format(
                source=source or self.source, where=where_clause(conditions)
            ),
        )
        try:
            if source is None or source is self.source:
                row = await fetch_row(conn, statement, params)
            else:
                async with conn.transaction():
                    await conn.execute("SET LOCAL enable_seqscan = off")
                    row = await fetch_row(conn, statement, params)
        except BaseException as error:
            del _counts[key]
            if isinstance(error, Exception):
                pending.set_exception(error)
                pending.exception()  # retrieved: the waiting requests raise it too
            else:
                pending.cancel()
            raise
        assert row is not None
        pending.set_result(row[0])
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

    def _item_statement(self, crs: Crs = CRS84) -> sql.Composable:
        """The statement of `item` writing its geometry in `crs`."""
        conditions = [self.base_condition] if self.base_condition is not None else []
        conditions.append(sql.SQL("{} = %(feature_id)s").format(self.key))
        return sql.SQL("SELECT {feature} FROM {source}{where}").format(
            feature=self.feature(crs=crs), source=self.source, where=where_clause(conditions)
        )

    async def item(self, conn: AsyncConnection, feature_id: str, crs: Crs = CRS84) -> bytes:
        """One feature by id, as GeoJSON bytes (geometry in `crs`); NotFound when absent."""
        statement = compiled(("item", self.id, crs.uri), lambda: self._item_statement(crs))
        params = {**self.base_params, "feature_id": self.parse_key(feature_id)}
        row = await fetch_row(conn, statement, params)
        if row is None:
            raise NotFound(f"no feature {feature_id!r} in collection {self.id!r}")
        return row[0]
