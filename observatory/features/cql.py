"""CQL2 filters (OGC API - Features Part 3) to parameterised SQL over a provider's queryables.

The `cql2` package (cql2-rs) parses CQL2 text or JSON into the CQL2 JSON tree; this module
walks that tree itself and writes psycopg `sql.Composable`s whose every value is a bound
parameter (`%(cql_N)s`) and whose every identifier is a whitelisted property expression.

Supported: basic CQL2 (comparisons, AND/OR/NOT, IS NULL), advanced comparison (LIKE,
BETWEEN, IN), CASEI, the spatial functions (S_INTERSECTS, S_EQUALS, S_DISJOINT, S_TOUCHES,
S_WITHIN, S_OVERLAPS, S_CROSSES, S_CONTAINS) and S_DWITHIN / DWITHIN (metres, geodesic), the
temporal functions (T_*) on date and time properties, and the array functions (A_*).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import cql2
import orjson
import shapely.geometry
from psycopg import sql

from observatory.errors import InvalidInput
from observatory.features.crs import CRS84, Crs
from observatory.features.queryables import GEOMETRY, Queryable

SQL = sql.SQL
LANGUAGES = ("cql2-text", "cql2-json", "cql-text")
"""`cql-text`: the name of the draft (GDAL 3.6 sends it), read as cql2-text."""
MAX_FILTER_LENGTH = 20_000
MAX_NODES = 500
COMPARISONS = {"=": "=", "<>": "<>", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
ORDERED = {"integer", "number", "string", "timestamp", "date"}
SPATIAL = {
    "s_intersects": "ST_Intersects",
    "s_equals": "ST_Equals",
    "s_disjoint": "ST_Disjoint",
    "s_touches": "ST_Touches",
    "s_within": "ST_Within",
    "s_overlaps": "ST_Overlaps",
    "s_crosses": "ST_Crosses",
    "s_contains": "ST_Contains",
}
DISTANCE_UNITS = {
    "m": 1.0,
    "meter": 1.0,
    "meters": 1.0,
    "metre": 1.0,
    "metres": 1.0,
    "km": 1000.0,
    "kilometer": 1000.0,
    "kilometers": 1000.0,
    "kilometre": 1000.0,
    "kilometres": 1000.0,
}
MAX_DISTANCE_M = 1_000_000
# Each temporal function over (a.start, a.end) and (b.start, b.end), as CQL2 defines it.
TEMPORAL = {
    "t_after": "{a0} > {b1}",
    "t_before": "{a1} < {b0}",
    "t_contains": "{a0} < {b0} AND {a1} > {b1}",
    "t_disjoint": "NOT ({a0} <= {b1} AND {a1} >= {b0})",
    "t_during": "{a0} > {b0} AND {a1} < {b1}",
    "t_equals": "{a0} = {b0} AND {a1} = {b1}",
    "t_finishedby": "{a0} < {b0} AND {a1} = {b1}",
    "t_finishes": "{a0} > {b0} AND {a1} = {b1}",
    "t_intersects": "{a0} <= {b1} AND {a1} >= {b0}",
    "t_meets": "{a1} = {b0}",
    "t_metby": "{a0} = {b1}",
    "t_overlappedby": "{a0} > {b0} AND {a0} < {b1} AND {a1} > {b1}",
    "t_overlaps": "{a0} < {b0} AND {a1} > {b0} AND {a1} < {b1}",
    "t_startedby": "{a0} = {b0} AND {a1} > {b1}",
    "t_starts": "{a0} = {b0} AND {a1} < {b1}",
}
ARRAYS = {"a_equals": "=", "a_contains": "@>", "a_containedby": "<@", "a_overlaps": "&&"}
NUMERIC = {"integer", "number"}
TEMPORAL_KINDS = {"timestamp", "date"}
# Conformance classes of CQL2 and Features Part 3 that this module implements.
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    *(
        f"http://www.opengis.net/spec/cql2/1.0/conf/{name}"
        for name in (
            "cql2-text",
            "cql2-json",
            "basic-cql2",
            "advanced-comparison-operators",
            "case-insensitive-comparison",
            "basic-spatial-functions",
            "basic-spatial-functions-plus",
            "spatial-functions",
            "temporal-functions",
            "array-functions",
            "property-property",
        )
    ),
]


@dataclass(frozen=True)
class Condition:
    """A translated filter: its SQL (placeholders only) and the values bound to them."""

    sql: sql.Composable
    params: dict[str, Any]
    spatial: bool = False

    @property
    def shape(self) -> str:
        """The SQL text without values: one cached statement per filter shape."""
        return self.sql.as_string()


def parse(text: str, language: str | None) -> dict[str, Any]:
    """The CQL2 JSON tree of a `filter` in `filter-lang` (cql2-text by default)."""
    language = "cql2-text" if language in (None, "cql-text") else language
    if language not in LANGUAGES:
        raise InvalidInput(f"filter-lang {language!r} is not supported: use cql2-text or cql2-json")
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidInput(f"filter is longer than {MAX_FILTER_LENGTH} characters")
    if "\x00" in text:
        raise InvalidInput("filter holds a NUL character")
    try:
        if language == "cql2-json":
            orjson.loads(text)  # a clear message for JSON that is not JSON at all
            expression = cql2.parse_json(text)
        else:
            expression = cql2.parse_text(text)
    except orjson.JSONDecodeError as error:
        raise InvalidInput(f"filter is not valid JSON (filter-lang cql2-json): {error}") from None
    except Exception as error:  # the parser raises ParseError, ValueError and others
        detail = " ".join(str(error).split())
        raise InvalidInput(f"filter is not valid {language}: {detail}") from None
    tree = expression.to_json()
    if _count_nodes(tree) > MAX_NODES:
        raise InvalidInput(f"filter has more than {MAX_NODES} terms")
    return tree


def _count_nodes(node: Any) -> int:
    """How many values the tree holds."""
    if isinstance(node, dict):
        return 1 + sum(_count_nodes(value) for value in node.values())
    if isinstance(node, list):
        return 1 + sum(_count_nodes(value) for value in node)
    return 1


@dataclass(frozen=True)
class Operand:
    """A translated operand: its SQL, kind (as `Queryable.kind`, or null/interval)."""

    sql: sql.Composable
    kind: str
    item_kind: str | None = None
    token: str = ""
    sql_type: str = ""
    ends: tuple[sql.Composable, sql.Composable] | None = None
    """The start and end of a temporal value (an instant's are itself)."""


@dataclass
class Translator:
    """Walks one CQL2 JSON tree over the queryables of one collection."""

    queryables: dict[str, Queryable]
    crs: Crs = CRS84
    params: dict[str, Any] = field(default_factory=dict)
    spatial: bool = False

    def bind(self, value: Any, cast: str | None = None) -> sql.Composable:
        """A new placeholder bound to `value`, optionally cast to a PostgreSQL type."""
        name = f"cql_{len(self.params)}"
        self.params[name] = value
        placeholder: sql.Composable = sql.Placeholder(name)
        if cast:
            placeholder = SQL("CAST({} AS {})").format(placeholder, SQL(cast))
        return placeholder

    def predicate(self, node: Any) -> sql.Composable:
        """A boolean SQL expression for a CQL2 boolean expression."""
        if isinstance(node, bool):
            return SQL("TRUE" if node else "FALSE")
        if isinstance(node, dict) and "property" in node:
            operand = self.operand(node)
            if operand.kind != "boolean":
                raise InvalidInput(
                    f"filter: property {operand.token!r} is not boolean and cannot stand alone"
                )
            return SQL("({} IS TRUE)").format(operand.sql)
        if not isinstance(node, dict) or "op" not in node:
            raise InvalidInput(f"filter: {_token(node)} is not a condition")
        op = str(node["op"]).lower()
        args = node.get("args") or []
        if op in ("and", "or"):
            if len(args) < 2:
                raise InvalidInput(f"filter: {op.upper()} needs two conditions or more")
            joiner = SQL(" AND " if op == "and" else " OR ")
            return SQL("({})").format(joiner.join(self.predicate(arg) for arg in args))
        if op == "not":
            self.arity(op, args, 1)
            return SQL("(NOT {})").format(self.predicate(args[0]))
        if op in COMPARISONS:
            return self.comparison(op, args)
        if op == "isnull":
            self.arity("IS NULL", args, 1)
            return SQL("({} IS NULL)").format(self.operand(args[0]).sql)
        if op == "like":
            return self.like(args)
        if op == "between":
            return self.between(args)
        if op == "in":
            return self.in_list(args)
        if op in SPATIAL:
            return self.spatial_function(op, args)
        if op in ("s_dwithin", "dwithin"):
            return self.dwithin(op, args)
        if op in TEMPORAL:
            return self.temporal(op, args)
        if op in ARRAYS:
            return self.array(op, args)
        raise InvalidInput(f"filter: operator or function {node['op']!r} is not supported")

    @staticmethod
    def arity(op: str, args: list[Any], count: int) -> None:
        """Refuse `op` with other than `count` arguments."""
        if len(args) != count:
            raise InvalidInput(f"filter: {op.upper()} takes {count} argument(s), not {len(args)}")

    def operand(self, node: Any) -> Operand:
        """A property, a literal, or CASEI of one."""
        if isinstance(node, dict):
            if "property" in node:
                name = node["property"]
                queryable = self.queryables.get(name)
                if queryable is None:
                    known = ", ".join(self.queryables)
                    raise InvalidInput(
                        f"filter: unknown property {name!r} (queryables: {known})"
                    )
                ends = (queryable.expression, queryable.expression)
                return Operand(
                    queryable.expression,
                    queryable.kind,
                    queryable.item_kind,
                    name,
                    queryable.sql_type,
                    ends if queryable.kind in TEMPORAL_KINDS else None,
                )
            if str(node.get("op", "")).lower() == "casei":
                self.arity("CASEI", node.get("args") or [], 1)
                inner = self.operand(node["args"][0])
                if inner.kind != "string":
                    raise InvalidInput(f"filter: CASEI takes a string, not {inner.token}")
                return Operand(SQL("lower({})").format(inner.sql), "string", token=inner.token)
            if "timestamp" in node or "date" in node:
                value = self.instant(node.get("timestamp") or node.get("date"))
                placeholder = self.bind(value)
                kind = "timestamp" if "timestamp" in node else "date"
                return Operand(placeholder, kind, token=_token(node), ends=(placeholder,) * 2)
            if "interval" in node:
                return self.interval(node)
            if "bbox" in node or "type" in node:
                return self.geometry(node)
            if "op" in node:
                raise InvalidInput(f"filter: {node['op']!r} is not supported as a value")
            raise InvalidInput(f"filter: {_token(node)} is not a value")
        if node is None:
            return Operand(SQL("NULL"), "null", token="NULL")
        if isinstance(node, bool):
            return Operand(self.bind(node), "boolean", token=_token(node))
        if isinstance(node, int | float):
            return Operand(self.bind(_number(node)), "number", token=_token(node))
        if isinstance(node, str):
            if "\x00" in node:
                raise InvalidInput("filter: a string holds a NUL character")
            return Operand(self.bind(node), "string", token=_token(node))
        if isinstance(node, list):
            return Operand(SQL(""), "array", token=_token(node))
        raise InvalidInput(f"filter: {_token(node)} is not a value")

    @staticmethod
    def instant(value: Any) -> datetime | date:
        """A timestamp (UTC when no offset) or date from its ISO 8601 text."""
        text = str(value)
        try:
            if "T" in text or " " in text:
                found = datetime.fromisoformat(text)
                return found if found.tzinfo else found.replace(tzinfo=UTC)
            return date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(f"filter: {text!r} is not an ISO 8601 date or timestamp") from None

    def interval(self, node: dict[str, Any]) -> Operand:
        """An INTERVAL('start', 'end') with `..` for an open end."""
        bounds = node["interval"]
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise InvalidInput(f"filter: {_token(node)} is not an interval of two instants")
        ends = []
        for bound, infinite in zip(bounds, ("-infinity", "infinity"), strict=True):
            if isinstance(bound, dict) and "property" in bound:
                ends.append(self.operand(bound).sql)
            elif bound == "..":
                ends.append(SQL("CAST({} AS timestamptz)").format(sql.Literal(infinite)))
            else:
                raw = bound
                if isinstance(bound, dict):
                    raw = bound.get("timestamp") or bound.get("date")
                ends.append(self.bind(self.instant(raw)))
        return Operand(SQL(""), "interval", token=_token(node), ends=(ends[0], ends[1]))

    def geometry(self, node: dict[str, Any]) -> Operand:
        """A geometry literal (WKT or GeoJSON, or BBOX) in the filter CRS and its axis order,
        transformed by PostGIS to the stored WGS84 (a projected box densified first)."""
        self.spatial = True
        swap = self.crs.north_first
        if "bbox" in node:
            box = node["bbox"]
            if not isinstance(box, list) or len(box) not in (4, 6):
                raise InvalidInput(f"filter: {_token(node)} is not a bbox of 4 or 6 numbers")
            half = len(box) // 2
            low, high = box[:2], box[half : half + 2]
            if swap:
                low, high = low[::-1], high[::-1]
            _check_geometry(
                {"type": "Polygon", "coordinates": [[low, [high[0], low[1]], high, low]]},
                _token(node),
                self.crs.geographic,
            )
            names = [self.bind(float(v)) for v in (*low, *high)]
            box = SQL("ST_MakeEnvelope({}, {}, {}, {}, {})").format(
                *names, sql.Literal(self.crs.srid)
            )
            if not self.crs.is_storage:
                box = SQL("ST_Transform(ST_Segmentize({b}, greatest({x1} - {x0}, {y1} - {y0}, 1) "
                          "/ 64), 4326)").format(
                    b=box, x0=names[0], y0=names[1], x1=names[2], y1=names[3]
                )
            return Operand(box, GEOMETRY, token=_token(node))
        geojson = _swapped(node) if swap else node
        _check_geometry(geojson, _token(node), self.crs.geographic)
        text = orjson.dumps(geojson).decode()
        placeholder = self.bind(text)
        literal = SQL("ST_SetSRID(ST_GeomFromGeoJSON({}), {})").format(
            placeholder, sql.Literal(self.crs.srid)
        )
        if not self.crs.is_storage:
            literal = SQL("ST_Transform({}, 4326)").format(literal)
        return Operand(literal, GEOMETRY, token=_token(node))

    def comparison(self, op: str, args: list[Any]) -> sql.Composable:
        """`a op b` between comparable kinds."""
        self.arity(op, args, 2)
        args = [self.truth(args[0], args[1]), self.truth(args[1], args[0])]
        left, right = self.operand(args[0]), self.operand(args[1])
        for side in (left, right):
            if side.kind == "null":
                raise InvalidInput("filter: compare with NULL by `IS NULL`, not with " + op)
            if side.kind in ("array", "interval", GEOMETRY):
                hint = {
                    "array": "A_EQUALS / A_CONTAINS",
                    "interval": "T_DURING / T_INTERSECTS",
                    GEOMETRY: "S_EQUALS / S_INTERSECTS",
                }[side.kind]
                raise InvalidInput(
                    f"filter: {side.token} cannot be compared with {op!r}: use {hint}"
                )
        self.compatible(left, right, op)
        if op not in ("=", "<>") and left.kind not in ORDERED:
            raise InvalidInput(f"filter: {left.token} is {left.kind} and has no order for {op!r}")
        return SQL("({} {} {})").format(left.sql, SQL(COMPARISONS[op]), right.sql)

    def truth(self, node: Any, other: Any) -> Any:
        """1 or 0 compared with a boolean property, as GDAL writes it, read as TRUE or FALSE."""
        if (
            isinstance(other, dict)
            and "property" in other
            and getattr(self.queryables.get(other["property"]), "kind", None) == "boolean"
            and not isinstance(node, bool)
            and node in (0, 1)
        ):
            return bool(node)
        return node

    @staticmethod
    def compatible(left: Operand, right: Operand, op: str) -> None:
        """Refuse comparing values of different kinds, naming both."""
        same = left.kind == right.kind
        same = same or (left.kind in NUMERIC and right.kind in NUMERIC)
        same = same or (left.kind in TEMPORAL_KINDS and right.kind in TEMPORAL_KINDS)
        if not same:
            raise InvalidInput(
                f"filter: type mismatch in {op!r}: {left.token} is {left.kind}, "
                f"{right.token} is {right.kind}"
            )

    def like(self, args: list[Any]) -> sql.Composable:
        """`a LIKE pattern` on strings (% and _ wildcards, \\ escapes)."""
        self.arity("LIKE", args, 2)
        left, right = self.operand(args[0]), self.operand(args[1])
        for side in (left, right):
            if side.kind != "string":
                raise InvalidInput(f"filter: LIKE compares strings; {side.token} is {side.kind}")
        return SQL("({} LIKE {})").format(left.sql, right.sql)

    def between(self, args: list[Any]) -> sql.Composable:
        """`a BETWEEN low AND high` on numbers, strings or instants."""
        self.arity("BETWEEN", args, 3)
        value, low, high = (self.operand(arg) for arg in args)
        for bound in (low, high):
            self.compatible(value, bound, "BETWEEN")
        if value.kind not in ORDERED:
            raise InvalidInput(f"filter: BETWEEN needs an ordered value; {value.token} is not")
        return SQL("({} BETWEEN {} AND {})").format(value.sql, low.sql, high.sql)

    def in_list(self, args: list[Any]) -> sql.Composable:
        """`a IN (v1, v2, ...)`."""
        self.arity("IN", args, 2)
        value = self.operand(args[0])
        if not isinstance(args[1], list) or not args[1]:
            raise InvalidInput(f"filter: IN takes a non-empty list, not {_token(args[1])}")
        items = [self.operand(item) for item in args[1]]
        for item in items:
            if item.kind == "null":
                raise InvalidInput("filter: IN lists cannot hold NULL (use IS NULL)")
            self.compatible(value, item, "IN")
        return SQL("({} IN ({}))").format(value.sql, SQL(", ").join(item.sql for item in items))

    def geometries(self, op: str, args: list[Any]) -> tuple[Operand, Operand]:
        """The two geometry operands of a spatial function."""
        first, second = self.operand(args[0]), self.operand(args[1])
        for side in (first, second):
            if side.kind != GEOMETRY:
                raise InvalidInput(
                    f"filter: {op.upper()} takes geometries; {side.token} is {side.kind}"
                )
        return first, second

    def spatial_function(self, op: str, args: list[Any]) -> sql.Composable:
        """S_INTERSECTS and the other spatial relations (planar, in WGS84 degrees)."""
        self.arity(op, args, 2)
        first, second = self.geometries(op, args)
        return SQL("{}({}, {})").format(SQL(SPATIAL[op]), first.sql, second.sql)

    def dwithin(self, op: str, args: list[Any]) -> sql.Composable:
        """S_DWITHIN(a, b, distance, units): geodesic, metres or kilometres."""
        if len(args) not in (3, 4):
            raise InvalidInput(f"filter: {op.upper()} takes (geometry, geometry, distance, units)")
        first, second = self.geometries(op, args)
        distance = args[2]
        if isinstance(distance, bool) or not isinstance(distance, int | float) or distance < 0:
            raise InvalidInput(f"filter: {op.upper()} distance {_token(distance)} is not >= 0")
        units = args[3] if len(args) == 4 else "meters"
        if isinstance(units, dict) and "property" in units:
            units = units["property"]
        factor = DISTANCE_UNITS.get(str(units).lower())
        if factor is None:
            raise InvalidInput(
                f"filter: {op.upper()} units {_token(units)} unknown (meters or kilometers)"
            )
        metres = float(distance) * factor
        if metres > MAX_DISTANCE_M:
            raise InvalidInput(f"filter: {op.upper()} distance above {MAX_DISTANCE_M:,} m")
        # A box in degrees, never smaller than the distance, lets the GiST index prefilter.
        reach = self.bind(metres)
        lat = SQL("greatest(abs(ST_YMin({g})), abs(ST_YMax({g})))").format(g=second.sql)
        return SQL(
            "({a} && ST_Expand({b}, {d} / (110000 * greatest(cos(radians(least({lat} + {d} / "
            "110000, 89.9))), 0.01))) AND ST_DWithin({a}::geography, {b}::geography, {d}))"
        ).format(a=first.sql, b=second.sql, d=reach, lat=lat)

    def temporal(self, op: str, args: list[Any]) -> sql.Composable:
        """A temporal function over instants (date/time properties, literals) and intervals."""
        self.arity(op, args, 2)
        first, second = self.operand(args[0]), self.operand(args[1])
        for side in (first, second):
            if side.ends is None:
                raise InvalidInput(
                    f"filter: {op.upper()} takes instants or intervals; {side.token} is {side.kind}"
                )
        assert first.ends is not None and second.ends is not None
        a0, a1 = first.ends
        b0, b1 = second.ends
        return SQL("(" + TEMPORAL[op] + ")").format(a0=a0, a1=a1, b0=b0, b1=b1)

    def array(self, op: str, args: list[Any]) -> sql.Composable:
        """A_EQUALS, A_CONTAINS, A_CONTAINEDBY, A_OVERLAPS between an array property and a list."""
        self.arity(op, args, 2)
        sides = []
        target = None
        for arg in args:
            if isinstance(arg, list):
                sides.append(arg)
                continue
            operand = self.operand(arg)
            if operand.kind != "array":
                raise InvalidInput(
                    f"filter: {op.upper()} takes arrays; {operand.token} is {operand.kind}"
                )
            sides.append(operand)
            target = target or operand
        if target is None:
            raise InvalidInput(f"filter: {op.upper()} needs an array property")
        written = []
        for side in sides:
            if isinstance(side, Operand):
                written.append(side.sql)
                continue
            for item in side:
                kind = _literal_kind(item)
                if not (kind == target.item_kind or {kind, target.item_kind} <= NUMERIC):
                    raise InvalidInput(
                        f"filter: {op.upper()}: {_token(item)} is {kind}, "
                        f"{target.token} holds {target.item_kind} values"
                    )
            written.append(self.bind(list(side), target.sql_type))
        return SQL("({} {} {})").format(written[0], SQL(ARRAYS[op]), written[1])


def _check_geometry(geojson: dict[str, Any], token: str, geographic: bool = True) -> None:
    """Refuse a geometry literal PostGIS could not read, or off the globe, naming it."""
    try:
        geometry = shapely.geometry.shape(geojson)
    except Exception as error:  # shapely raises several kinds for malformed coordinates
        raise InvalidInput(f"filter: geometry {token} is malformed: {error}") from None
    if geometry.is_empty:
        raise InvalidInput(f"filter: geometry {token} is empty")
    for ring in _rings(geojson):
        if len(ring) < 4 or ring[0] != ring[-1]:
            raise InvalidInput(
                f"filter: geometry {token} has a ring that is not closed (4 points or more, "
                "the last equal to the first)"
            )
    minx, miny, maxx, maxy = geometry.bounds
    if not all(math.isfinite(value) for value in (minx, miny, maxx, maxy)):
        raise InvalidInput(f"filter: geometry {token} has a coordinate that is not finite")
    if geographic and not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InvalidInput(
            f"filter: geometry {token} is outside longitude -180..180 / latitude -90..90 "
            "(filter-crs EPSG:4326 reads latitude first)"
        )


def _rings(geojson: dict[str, Any]) -> list[list[Any]]:
    """The polygon rings of a GeoJSON geometry."""
    kind = geojson.get("type")
    if kind == "GeometryCollection":
        return [ring for part in geojson.get("geometries", []) for ring in _rings(part)]
    if kind == "Polygon":
        return list(geojson.get("coordinates") or [])
    if kind == "MultiPolygon":
        return [ring for polygon in geojson.get("coordinates") or [] for ring in polygon]
    return []


def _literal_kind(value: Any) -> str:
    """The kind of a plain literal inside an array."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidInput("filter: a string holds a NUL character")
        return "string"
    return "value"


def _number(value: float) -> int | float:
    """An integral number as int (cql2 reads every number as a float)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _swapped(geometry: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON geometry with each position's first two axes exchanged (lat,lon -> lon,lat)."""
    if geometry.get("type") == "GeometryCollection":
        return {**geometry, "geometries": [_swapped(g) for g in geometry.get("geometries", [])]}

    def swap(node: Any) -> Any:
        if isinstance(node, list) and node and isinstance(node[0], int | float):
            return [node[1], node[0], *node[2:]]
        if isinstance(node, list):
            return [swap(child) for child in node]
        return node

    return {**geometry, "coordinates": swap(geometry.get("coordinates"))}


def _token(node: Any) -> str:
    """A short text of a tree node for error messages."""
    if isinstance(node, dict) and "property" in node:
        return str(node["property"])
    if isinstance(node, str):
        return "'" + node.replace("'", "''") + "'"
    text = orjson.dumps(node).decode() if not isinstance(node, bool) else str(node).upper()
    return text if len(text) <= 80 else text[:77] + "..."


def translate(tree: Any, queryables: dict[str, Queryable], crs: Crs = CRS84) -> Condition:
    """The SQL condition of a CQL2 JSON tree over `queryables`; InvalidInput naming a bad token."""
    translator = Translator(queryables, crs)
    condition = translator.predicate(tree)
    return Condition(condition, translator.params, translator.spatial)


PLAIN_TRUE = re.compile(r"^(true|1|yes)$", re.IGNORECASE)
PLAIN_FALSE = re.compile(r"^(false|0|no)$", re.IGNORECASE)


def plain(name: str, value: str, queryable: Queryable) -> Any:
    """The CQL2 JSON tree of a queryable given as a query parameter (`?name=value`).

    Equality; for an array property, every comma-separated value contained (A_CONTAINS).
    """
    prop = {"property": name}
    kind = queryable.kind
    if kind == "array":
        items: list[Any] = [item.strip() for item in value.split(",") if item.strip()]
        if queryable.item_kind in NUMERIC:
            items = [_plain_number(name, item) for item in items]
        if not items:
            raise InvalidInput(f"{name}: give at least one value")
        return {"op": "a_contains", "args": [prop, items]}
    if kind in NUMERIC:
        literal: Any = _plain_number(name, value)
    elif kind == "boolean":
        if PLAIN_TRUE.match(value):
            literal = True
        elif PLAIN_FALSE.match(value):
            literal = False
        else:
            raise InvalidInput(f"{name} {value!r} is not true or false")
    elif kind == "timestamp":
        literal = {"timestamp": value}
    elif kind == "date":
        literal = {"date": value}
    elif kind == GEOMETRY:
        raise InvalidInput(f"{name}: filter the geometry with bbox or a filter, not a parameter")
    else:
        literal = value
    return {"op": "=", "args": [prop, literal]}


def _plain_number(name: str, value: str) -> float:
    """A number from a query parameter."""
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(f"{name} {value!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise InvalidInput(f"{name} {value!r} is not a finite number")
    return number
