"""Mapbox Vector Tiles from PostGIS on WebMercatorQuad, cached until the data change.

Each tiled collection is one layer: `services` (the public view: public point, public
fields), `municipalities` (comuni with the values of the analysis run their parameters
address) and `areas` (each territorial area the union of its comuni). Tiles are built by
`ST_AsMVT` over `ST_AsMVTGeom` of the features meeting `ST_TileEnvelope`; polygons are
clipped to the tile (plus its buffer) and simplified to about a quarter of a screen pixel of
the zoom before they are projected. Tile bytes are kept in an in-process LRU keyed by the
collection, the tile, the parameters and the data version (migration 0008), so any
committed change of the data makes the next request build the tile afresh.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection, sql

from observatory.errors import InvalidInput, NotFound
from observatory.models import APPROXIMATE_PRECISIONS
from observatory.pool import fetch_row

TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
CRS_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
MVT = "application/vnd.mapbox-vector-tile"
TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
TILING_SCHEMES = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
EXTENT = 4096
BUFFER = 64
MIN_ZOOM = 0
MAX_ZOOM = 24  # the deepest tile matrix of WebMercatorQuad
CACHE_BYTES = 64 * 1024 * 1024
CONFORMANCE = [
    f"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{name}"
    for name in ("core", "tileset", "tilesets-list", "geodata-tilesets", "mvt")
]

SQL = sql.SQL
# the tile in EPSG:3857, and the tile plus its buffer in EPSG:4326 (where the indexes are)
BOUNDS = SQL(
    "WITH b AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env, "
    "ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), 4326) AS box) "
)


def _mvt_geom(geometry: sql.Composable) -> sql.Composable:
    return SQL("ST_AsMVTGeom(ST_Transform({}, 3857), b.env, {}, {}, true)").format(
        geometry, sql.Literal(EXTENT), sql.Literal(BUFFER)
    )


def _polygon(column: sql.Composable) -> sql.Composable:
    """A polygon clipped to the buffered tile and simplified for the zoom, as tile geometry."""
    return _mvt_geom(
        SQL("ST_SimplifyPreserveTopology(ST_ClipByBox2D({}, b.box), %(tolerance)s)").format(column)
    )


SERVICE_DETAIL_ZOOM = 12
"""From this zoom on a service carries every public field; below, a tile over a city holds tens
of thousands of services, so each carries only what draws and names it (`OVERVIEW_FIELDS`):
a client asks `/collections/services/items/{id}` (the feature id) for the rest."""
OVERVIEW_FIELDS = (
    "name", "category", "top_category", "municipality_code", "status", "geocode_precision",
    "location_approximate", "is_example",
)
SERVICE_COLUMNS = {
    "name": "s.name", "organization_name": "s.organization_name",
    "category": "s.category_code", "top_category": "coalesce(c.parent_code, c.code)",
    "municipality_code": "s.municipality_code", "address": "s.address_1",
    "postal_code": "s.postal_code", "phone": "s.phone", "email": "s.email", "url": "s.url",
    "opening_hours": "s.opening_hours", "languages": "array_to_string(s.languages, ',')",
    "target_groups": "array_to_string(s.target_groups, ',')", "status": "s.status",
    "geocode_precision": "s.geocode_precision",
    "location_approximate": "s.geocode_precision = ANY({approximate})",
    "is_example": "s.is_example",
}


def _services_sql(fields: tuple[str, ...]) -> sql.Composable:
    """The services tile with `fields`, from the public view: `service_public` puts a private
    location on its comune's point and blanks the private fields, so neither reaches a tile."""
    columns = SQL(", ").join(
        SQL(SERVICE_COLUMNS[name] + " AS {}").format(
            sql.Identifier(name), approximate=sql.Literal(list(APPROXIMATE_PRECISIONS))
        )
        for name in fields
    )
    return BOUNDS + SQL(
        "SELECT ST_AsMVT(t, 'services', {extent}, 'geom', 'id') FROM ("
        "SELECT s.id, {columns}, {geom} AS geom "
        "FROM service_public s LEFT JOIN service_category c ON c.code = s.category_code, b "
        "WHERE s.geom && b.box "
        "AND (%(category)s::text IS NULL "
        "OR s.category_code = ANY(ARRAY(SELECT category_and_children(%(category)s))))"
        ") t WHERE t.geom IS NOT NULL"
    ).format(extent=sql.Literal(EXTENT), columns=columns, geom=_mvt_geom(SQL("s.geom")))


SERVICES_SQL = _services_sql(tuple(SERVICE_COLUMNS))
SERVICES_OVERVIEW_SQL = _services_sql(OVERVIEW_FIELDS)

MUNICIPALITIES_SQL = BOUNDS + SQL(
    "SELECT ST_AsMVT(t, 'municipalities', {extent}, 'geom', 'code') FROM ("
    "SELECT m.code, lpad(m.code::text, 6, '0') AS municipality_code, m.name, "
    "m.province_code, m.region_code, am.area_code AS area, r.run_id, r.demand, "
    "r.services_count, r.nearest_km, r.services_within, r.covered, r.access_per_10k, "
    "r.unmet_demand, r.is_gap, (r.\"values\" ->> 'gap_rank')::int AS gap_rank, "
    "{geom} AS geom "
    "FROM municipality m "
    "LEFT JOIN area_municipality am ON am.municipality_code = m.code "
    "LEFT JOIN analysis_result r ON r.run_id = %(run)s AND r.municipality_code = m.code, b "
    "WHERE m.geom && b.box"
    ") t WHERE t.geom IS NOT NULL"
).format(extent=sql.Literal(EXTENT), geom=_polygon(SQL("m.geom")))

AREAS_SQL = BOUNDS + SQL(
    "SELECT ST_AsMVT(t, 'areas', {extent}, 'geom') FROM ("
    "SELECT a.code, a.name, a.region_code, a.status, u.municipalities, {geom} AS geom "
    "FROM territorial_area a, b, LATERAL ("
    "SELECT ST_Union(ST_ClipByBox2D(m.geom, b.box)) AS geom, count(*) AS municipalities "
    "FROM area_municipality am JOIN municipality m ON m.code = am.municipality_code "
    "WHERE am.area_code = a.code AND m.geom && b.box) u "
    "WHERE u.geom IS NOT NULL"
    ") t WHERE t.geom IS NOT NULL"
).format(
    extent=sql.Literal(EXTENT),
    geom=_mvt_geom(SQL("ST_SimplifyPreserveTopology(u.geom, %(tolerance)s)")),
)

# the database's name too: a process serving (or testing) two databases never mixes them
VERSION_SQL = SQL(
    "SELECT current_database() || ':' || version FROM data_version WHERE id = 1"
)
AREAS_VERSION_SQL = SQL(
    "SELECT current_database() || ':' || (SELECT version FROM data_version WHERE id = 1) || ':' || "
    "(SELECT md5(coalesce(string_agg(code || '|' || name || '|' || status, ',' ORDER BY code), "
    "'')) FROM territorial_area)"
)
"""Area tiles also show the areas' names and status, which the data version does not count."""


@dataclass(frozen=True)
class Layer:
    """A tiled collection: its one MVT layer, what it holds and how it is read."""

    id: str
    title: str
    description: str
    geometry_type: str
    fields: dict[str, str]
    query: sql.Composable
    version_query: sql.Composable = field(default_factory=lambda: VERSION_SQL)
    overview: sql.Composable | None = None
    """The query below `detail_zoom`, when the layer thins its fields there."""
    detail_zoom: int = MIN_ZOOM

    def query_at(self, z: int) -> sql.Composable:
        """The query of a tile at zoom `z`."""
        return self.overview if self.overview is not None and z < self.detail_zoom else self.query


LAYERS: dict[str, Layer] = {
    "services": Layer(
        "services",
        "Servizi / Services",
        "Servizi: punto pubblico (comune per gli indirizzi privati), campi pubblici; sotto lo "
        "zoom 12 solo nome, categoria, comune, stato e precisione / services: public point, "
        "public fields only; below zoom 12 only name, category, comune, status and precision "
        "(the rest at /collections/services/items/{id}).",
        "points",
        {
            "name": "String", "organization_name": "String",
            "category": "String", "top_category": "String", "municipality_code": "Number",
            "address": "String", "postal_code": "String", "phone": "String", "email": "String",
            "url": "String", "opening_hours": "String", "languages": "String",
            "target_groups": "String", "status": "String", "geocode_precision": "String",
            "location_approximate": "Boolean", "is_example": "Boolean",
        },
        SERVICES_SQL,
        overview=SERVICES_OVERVIEW_SQL,
        detail_zoom=SERVICE_DETAIL_ZOOM,
    ),
    "municipalities": Layer(
        "municipalities",
        "Comuni / Municipalities",
        "Comuni ISTAT con i valori dell'analisi dei parametri richiesti / ISTAT comuni with "
        "the values of the analysis their parameters address.",
        "polygons",
        {
            "municipality_code": "String", "name": "String",
            "province_code": "Number", "region_code": "Number", "area": "String",
            "run_id": "Number", "demand": "Number", "services_count": "Number",
            "nearest_km": "Number", "services_within": "Number", "covered": "Boolean",
            "access_per_10k": "Number", "unmet_demand": "Number", "is_gap": "Boolean",
            "gap_rank": "Number",
        },
        MUNICIPALITIES_SQL,
    ),
    "areas": Layer(
        "areas",
        "Aree territoriali / Territorial areas",
        "Aree dei gruppi di lavoro locali, unione dei loro comuni / territorial areas.",
        "polygons",
        {
            "code": "String", "name": "String", "region_code": "Number", "status": "String",
            "municipalities": "Number",
        },
        AREAS_SQL,
        AREAS_VERSION_SQL,
    ),
}


def get_layer(collection_id: str) -> Layer:
    """The tiled collection `collection_id`; NotFound naming those that have tiles."""
    if collection_id not in LAYERS:
        raise NotFound(
            f"collection {collection_id!r} has no tiles: the tiled collections are "
            f"{', '.join(LAYERS)}"
        )
    return LAYERS[collection_id]


def check_tms(tms_id: str) -> None:
    """Refuse any tile matrix set but WebMercatorQuad (404 naming it)."""
    if tms_id != TMS_ID:
        raise NotFound(f"unknown tile matrix set {tms_id!r}: the only one is {TMS_ID}")


def check_tile(z: int, row: int, col: int) -> None:
    """Refuse a tile outside WebMercatorQuad: NotFound naming the index out of range."""
    if not MIN_ZOOM <= z <= MAX_ZOOM:
        raise NotFound(f"tileMatrix {z} is not in {TMS_ID} (0 to {MAX_ZOOM})")
    size = 1 << z
    for name, value in (("tileRow", row), ("tileCol", col)):
        if not 0 <= value < size:
            raise NotFound(f"{name} {value} is outside tile matrix {z} (0 to {size - 1})")


def tolerance(z: int) -> float:
    """Simplification tolerance in degrees: a quarter of a 256-pixel screen pixel at zoom z."""
    return 360.0 / (1024 * (1 << z))


async def data_version(conn: AsyncConnection, layer: Layer) -> str:
    """The version the layer's tiles depend on (grows with every committed data change)."""
    row = await fetch_row(conn, layer.version_query, {})
    assert row is not None
    value = row[0]
    return value.decode() if isinstance(value, bytes) else str(value)


def etag(layer: Layer, z: int, row: int, col: int, key: tuple[Any, ...], version: str) -> str:
    """The strong ETag of a tile: the collection, the tile, its parameters and the version."""
    digest = hashlib.sha256(repr((layer.id, z, row, col, key, version)).encode()).hexdigest()
    return f'"{digest[:32]}"'


async def build_tile(
    conn: AsyncConnection, layer: Layer, z: int, row: int, col: int, values: dict[str, Any]
) -> bytes:
    """The MVT bytes of tile z/row/col of `layer` (empty when no feature meets the tile).

    `values` binds the layer's own parameters: `category` (services), `run` (municipalities).
    """
    params = {
        "z": z, "x": col, "y": row, "margin": BUFFER / EXTENT, "tolerance": tolerance(z),
        "category": None, "run": None, **values,
    }
    found = await fetch_row(conn, layer.query_at(z), params)
    return bytes(found[0]) if found and found[0] is not None else b""


class TileCache:
    """An LRU of tile bytes under a total size; a key holds the data version, so a data
    change makes every older tile unreachable (and soon evicted)."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._tiles: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        """The cached tile of `key`, marked recently used; None when absent."""
        with self._lock:
            tile = self._tiles.get(key)
            if tile is not None:
                self._tiles.move_to_end(key)
            return tile

    def put(self, key: str, tile: bytes) -> None:
        """Keep `tile`, evicting the least recently used tiles past the size."""
        if len(tile) > self.max_bytes:
            return
        with self._lock:
            old = self._tiles.pop(key, None)
            self.size -= len(old) if old is not None else 0
            self._tiles[key] = tile
            self.size += len(tile)
            while self.size > self.max_bytes:
                _, evicted = self._tiles.popitem(last=False)
                self.size -= len(evicted)

    def clear(self) -> None:
        """Forget every tile."""
        with self._lock:
            self._tiles.clear()
            self.size = 0


def parse_int(name: str, value: str) -> int:
    """A tile index from a path segment; InvalidInput naming it when it is not an integer."""
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"{name} {value!r} is not an integer") from None
