"""GeoJSON and GeoPackage point layers without GDAL: RFC 7946 JSON, SQLite read-only.

Each feature becomes a row whose point (WGS84) goes in two leading columns; a feature whose
geometry is not a point, or is broken, is a row refused with its reason, never placed at the
comune. A GeoPackage is opened read-only and immutable; only feature tables listed in
`gpkg_contents` are read, never a view or a virtual table, and no SQL of the file is run.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import orjson

from ingest.columns import GEOMETRY_LAT, GEOMETRY_LON
from ingest.read import SQLITE_MAGIC, Reading, Table, cell_text
from ingest.record import Reason
from observatory.projection import lon_lat_transformer

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

WGS84_NAMES = {
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:OGC::CRS84",
    "urn:ogc:def:crs:EPSG::4326",
    "EPSG:4326",
    "OGC:CRS84",
}
ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
SQLITE_MAX_VALUE = 16 << 20
"""Longest string or blob SQLite may build while reading a GeoPackage."""

Point = tuple[float, float]


class _Rows:
    """Rows of a vector layer being built: lon/lat columns, properties, refusals."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading
        self.columns: dict[str, None] = {}
        self.rows: list[tuple[int, dict[str, str]]] = []
        self.refusals: dict[int, list[Reason]] = {}

    def add(self, number: int, properties: dict[str, str], point: Point | None) -> None:
        """One feature; a new property name widens the table (within the column limit)."""
        self.reading.check_rows(len(self.rows) + 1)
        for name in properties:
            if name not in self.columns:
                self.columns[name] = None
                self.reading.check_width(number, len(self.columns) + 2)
        row = {
            GEOMETRY_LON: "" if point is None else repr(point[0]),
            GEOMETRY_LAT: "" if point is None else repr(point[1]),
            **properties,
        }
        self.rows.append((number, row))

    def refuse(self, number: int, code: str, value: str, message: str) -> None:
        """Record why feature `number` cannot be stored."""
        self.refusals.setdefault(number, []).append(Reason(code, "geometry", value, message))

    def table(self, empty: str) -> Table:
        """The Table; every row holds every column."""
        if not self.rows:
            raise self.reading.fail(empty)
        headers = [GEOMETRY_LON, GEOMETRY_LAT, *self.columns]
        for _, row in self.rows:
            for name in self.columns:
                row.setdefault(name, "")
        return Table(headers, self.rows, refusals=self.refusals)


def _not_point(rows: _Rows, number: int, kind: str) -> None:
    rows.refuse(
        number, "geometry_not_point", kind,
        f"the geometry is a {kind}, not a Point: a service is placed at one point",
    )


# GeoJSON -------------------------------------------------------------------------------


def _property(value: Any) -> str:
    """A GeoJSON property as text; objects and lists as compact JSON."""
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if isinstance(value, bool):
        return "true" if value else "false"
    return cell_text(value)


def _geojson_point(rows: _Rows, number: int, geometry: Any) -> Point | None:
    """The point of a GeoJSON geometry, or None with a refusal (None geometry: no point)."""
    if geometry is None:
        return None
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if not isinstance(kind, str):
        rows.refuse(number, "invalid_geometry", str(geometry)[:40], "not a GeoJSON geometry")
        return None
    if kind != "Point":
        _not_point(rows, number, kind)
        return None
    coordinates = geometry.get("coordinates")
    if not (
        isinstance(coordinates, list)
        and len(coordinates) in (2, 3)
        and all(isinstance(c, int | float) and not isinstance(c, bool) for c in coordinates)
    ):
        rows.refuse(
            number, "invalid_geometry", str(coordinates)[:40],
            "a Point's coordinates must be [longitude, latitude] numbers",
        )
        return None
    lon, lat = float(coordinates[0]), float(coordinates[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        rows.refuse(
            number, "invalid_coordinates", f"{lon}, {lat}",
            "not WGS84 longitude, latitude (RFC 7946: longitude first, in degrees)",
        )
        return None
    return lon, lat


def _check_crs(reading: Reading, crs: Any) -> None:
    """RFC 7946 coordinates are WGS84: refuse a `crs` member naming anything else."""
    if crs is None:
        return
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if not isinstance(name, str) or name not in WGS84_NAMES:
        raise reading.fail(
            f"GeoJSON with the coordinate system {str(name or crs)[:80]!r}: RFC 7946 GeoJSON "
            "is WGS84 longitude/latitude (EPSG:4326); reproject it, or send a GeoPackage"
        )


class _Coordinates:
    """A geometry's coordinates, kept only while they can be a Point's (at most 3 numbers)."""

    def __init__(self) -> None:
        self.depth = 0
        self.numbers: list[float] = []
        self.point_like = True

    def event(self, event: str, value: Any) -> bool:
        """Take one parse event; True once the coordinates value is complete."""
        if event == "start_array":
            self.depth += 1
            self.point_like = self.point_like and self.depth == 1
        elif event == "end_array":
            self.depth -= 1
        elif event == "number" and self.depth == 1 and len(self.numbers) < 3:
            self.numbers.append(value)
        else:
            self.point_like = False
        return self.depth == 0

    @property
    def value(self) -> list[float] | str:
        """The numbers of a flat array of 2 or 3, else a placeholder that is no Point's."""
        return self.numbers if self.point_like else "(not a position)"


def _stream_features(
    reading: Reading, rows: _Rows, item: str, top: dict[str, Any]
) -> None:
    """Add every feature found at `item` (a JSON path prefix), built one at a time.

    A geometry's coordinates are never built beyond a Point's three numbers, so a huge
    polygon costs no memory; top-level `type` and `crs` are collected into `top`.
    """
    import ijson

    geometry = f"{item}.geometry" if item else "geometry"
    builder: ijson.ObjectBuilder | None = None
    coordinates: _Coordinates | None = None
    number = 0
    with reading.path.open("rb") as handle:
        for prefix, event, value in ijson.parse(handle, use_float=True):
            if coordinates is not None:
                if coordinates.event(event, value):
                    builder.event("string", coordinates.value)
                    coordinates = None
                continue
            if builder is not None:
                if prefix == geometry and event == "map_key" and value == "coordinates":
                    builder.event(event, value)
                    coordinates = _Coordinates()
                    continue
                builder.event(event, value)
                if prefix == item and event == "end_map":
                    _add_feature(reading, rows, number, builder.value)
                    builder = None
                continue
            if prefix == item:
                number += 1
                if event != "start_map":
                    raise reading.fail(f"feature {number} is not a GeoJSON Feature object")
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
            elif prefix == "type" and event == "string":
                top["type"] = value
            elif prefix == "features" and event == "start_array":
                top["features"] = True
            elif prefix == "crs" and event == "start_map":
                top["crs"] = {}
            elif prefix == "crs.properties.name" and event == "string":
                top["crs"] = {"properties": {"name": value}}
            elif prefix == "crs" and event in ("string", "number", "boolean"):
                top["crs"] = value


def _add_feature(reading: Reading, rows: _Rows, number: int, feature: Any) -> None:
    """Check one feature (RFC 7946) and add it as a row."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise reading.fail(f"feature {number} is not a GeoJSON Feature object")
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise reading.fail(f"feature {number}: \"properties\" must be an object or null")
    point = _geojson_point(rows, number, feature.get("geometry"))
    rows.add(number, {str(k): _property(v) for k, v in properties.items()}, point)


def read_geojson(reading: Reading) -> Table:
    """Read the Point features of a GeoJSON file (RFC 7946), streaming; properties as columns."""
    import ijson

    rows = _Rows(reading)
    top: dict[str, Any] = {}
    try:
        _stream_features(reading, rows, "features.item", top)
        if top.get("type") == "Feature" and not rows.rows:
            _stream_features(reading, rows, "", {})
    except ijson.JSONError as error:
        raise reading.fail(f"not valid JSON (GeoJSON expected): {error}") from error
    _check_crs(reading, top.get("crs"))
    if top.get("type") not in ("FeatureCollection", "Feature") or (
        top["type"] == "FeatureCollection" and not top.get("features")
    ):
        raise reading.fail(
            "not RFC 7946 GeoJSON: expected an object with \"type\": \"FeatureCollection\" "
            "and a \"features\" list"
        )
    return rows.table("the GeoJSON holds no features")


# GeoPackage ----------------------------------------------------------------------------


def _quote(identifier: str) -> str:
    """An SQLite identifier, quoted."""
    return '"' + identifier.replace('"', '""') + '"'


def _connect(reading: Reading) -> sqlite3.Connection:
    """Open the file read-only and immutable; no trusted schema, bounded values."""
    with reading.path.open("rb") as handle:
        if handle.read(16) != SQLITE_MAGIC:
            raise reading.fail("not a GeoPackage (an SQLite database file)")
    uri = reading.path.resolve().as_uri() + "?mode=ro&immutable=1"
    connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
    connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, SQLITE_MAX_VALUE)
    connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    connection.execute("PRAGMA query_only = ON")
    connection.execute("PRAGMA trusted_schema = OFF")
    return connection


def _plain_tables(connection: sqlite3.Connection) -> set[str]:
    """Names of the ordinary tables (not views, not virtual tables) of the file."""
    return {
        name
        for name, sql in connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
        )
        if not (sql or "").lstrip().upper().startswith("CREATE VIRTUAL")
    }


LAYERS_SQL = (
    "SELECT c.table_name, g.column_name, g.srs_id, s.organization, s.organization_coordsys_id "
    "FROM gpkg_contents c JOIN gpkg_geometry_columns g ON g.table_name = c.table_name "
    "LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id "
    "WHERE c.data_type = 'features' ORDER BY c.table_name"
)


def _layer(
    reading: Reading, connection: sqlite3.Connection, name: str | None
) -> tuple[str, str, int | None]:
    """The chosen feature table, its geometry column and EPSG code (None: undefined)."""
    tables = _plain_tables(connection)
    needed = {"gpkg_contents", "gpkg_geometry_columns", "gpkg_spatial_ref_sys"}
    if not needed <= tables:
        raise reading.fail(
            "not a GeoPackage: no gpkg_contents, gpkg_geometry_columns and "
            "gpkg_spatial_ref_sys tables"
        )
    layers = {row[0]: row for row in connection.execute(LAYERS_SQL)}
    if not layers:
        raise reading.fail("the GeoPackage lists no feature table in gpkg_contents")
    if name is not None and name not in layers:
        raise reading.fail(f"no feature layer {name!r}; layers: {sorted(layers)}")
    table, column, srs_id, organization, code = layers[name or next(iter(layers))]
    if table not in tables:
        raise reading.fail(f"layer {table!r} is a view or a virtual table: only tables are read")
    if str(organization or "").upper() == "EPSG" and isinstance(code, int) and code > 0:
        return table, column, code
    if srs_id == 4326:
        return table, column, 4326
    raise reading.fail(
        f"layer {table!r}: coordinate system {srs_id} is not an EPSG code; "
        "save it in EPSG:4326 (WGS84)"
    )


def _transformer(epsg: int, reading: Reading) -> Callable[[float, float], Point]:
    """Lon/lat from the layer's EPSG code."""
    from pyproj.exceptions import CRSError

    try:
        return lon_lat_transformer(epsg)
    except CRSError as error:
        raise reading.fail(f"unknown coordinate system EPSG:{epsg}") from error


def gpkg_geometry(blob: bytes) -> BaseGeometry | None:
    """Parse a GeoPackage geometry blob (header + WKB); None when empty. ValueError if broken."""
    import shapely

    if len(blob) < 8 or blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob")
    flags = blob[3]
    if flags & 0b100000:
        raise ValueError("an extended GeoPackage geometry")
    envelope = ENVELOPE_BYTES.get((flags >> 1) & 0b111)
    if envelope is None:
        raise ValueError("a geometry header with an invalid envelope code")
    if flags & 0b10000:
        return None
    try:
        geometry = shapely.from_wkb(blob[8 + envelope :])
    except (shapely.errors.GEOSException, ValueError, TypeError) as error:
        raise ValueError(f"broken WKB: {error}") from error
    return None if geometry is None or geometry.is_empty else geometry


def _columns(connection: sqlite3.Connection, table: str) -> list[str]:
    """The stored columns of a table (generated virtual ones and the integer key left out)."""
    columns = []
    for _, name, kind, _, _, key, hidden in connection.execute(
        f"PRAGMA table_xinfo({_quote(table)})"
    ):
        if hidden in (0, 3) and not (key and str(kind).upper() == "INTEGER"):
            columns.append(name)
    return columns


def _gpkg_point(
    rows: _Rows, number: int, blob: Any, transform: Callable[[float, float], Point]
) -> Point | None:
    """The lon/lat of a feature's geometry blob, or None with a refusal."""
    if blob is None:
        return None
    try:
        if not isinstance(blob, bytes):
            raise ValueError(f"a {type(blob).__name__} value, not a geometry blob")
        geometry = gpkg_geometry(blob)
    except ValueError as error:
        rows.refuse(number, "invalid_geometry", "", f"the geometry cannot be read: {error}")
        return None
    if geometry is None:
        return None
    if geometry.geom_type != "Point":
        _not_point(rows, number, geometry.geom_type)
        return None
    return transform(geometry.x, geometry.y)


def _records(
    connection: sqlite3.Connection, table: str, columns: list[str]
) -> Iterable[tuple[Any, ...]]:
    """The rows of a plain table, a batch at a time."""
    cursor = connection.execute(
        f"SELECT {', '.join(map(_quote, columns))} FROM {_quote(table)}"  # noqa: S608
    )
    while batch := cursor.fetchmany(1000):
        yield from batch


def read_geopackage(reading: Reading, layer: str | None = None) -> Table:
    """Read the point feature table `layer` (default: the first) of a GeoPackage."""
    try:
        connection = _connect(reading)
    except sqlite3.Error as error:
        raise reading.fail(f"not a readable GeoPackage: {error}") from error
    try:
        table, geometry_column, epsg = _layer(reading, connection, layer)
        transform = _transformer(epsg, reading)
        columns = _columns(connection, table)
        reading.check_width(1, len(columns) + 1)
        properties = [c for c in columns if c != geometry_column]
        rows = _Rows(reading)
        for number, record in enumerate(_records(connection, table, columns), start=1):
            values = dict(zip(columns, record, strict=True))
            point = _gpkg_point(rows, number, values[geometry_column], transform)
            rows.add(number, {c: cell_text(values[c]) for c in properties}, point)
        return rows.table(f"layer {table!r} holds no features")
    except sqlite3.Error as error:
        raise reading.fail(f"not a readable GeoPackage: {error}") from error
    finally:
        connection.close()

