"""OGC API - Tiles: tile matrix sets, tilesets, Mapbox Vector Tiles and TileJSON.

Tiles of `services`, `municipalities` (with the values of the analysis their parameters
address) and `areas` on WebMercatorQuad. Every tile carries a strong ETag made of the
collection, the tile, its parameters and the data version: `If-None-Match` answers 304, and
the bytes are kept in an in-process LRU under the same key, so a data change invalidates both.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from psycopg import sql

from api.analysis import AnalysisDep, Category
from api.deps import ConnectionDep, app_session
from api.params import parse_category
from api.responses import JSON, json_response, link
from observatory import features, tiles
from observatory.errors import InvalidInput
from observatory.geography import CREDIT
from observatory.pool import fetch_row
from observatory.tiles import MVT, TMS_ID, TMS_URI, Layer

router = APIRouter(tags=["OGC API - Tiles"])
CACHE = tiles.TileCache()
TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
TILEJSON = "application/vnd.mapbox.tile+json"
CACHE_CONTROL = "no-cache"  # revalidate with the ETag: a data change shows at once
CATEGORY_EXISTS = sql.SQL("SELECT 1 FROM service_category WHERE code = %(category)s")
TILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {MVT: {}}, "description": "a Mapbox Vector Tile"},
    204: {"description": "no feature meets the tile"},
    304: {"description": "not modified (If-None-Match holds the tile's ETag)"},
}
_building: dict[str, asyncio.Future[bytes]] = {}
"""Tiles being built in this process, by ETag: the same tile is never built twice at once."""
_runs: dict[tuple[Any, ...], int] = {}
"""Run of each (analysis parameters, data version) already resolved by this process."""
MAX_RUNS = 1024

TileMatrix = Annotated[str, Path(description="zoom level, 0-24", examples=["12"])]
TileRow = Annotated[str, Path(description="row (y), from the top", examples=["1537"])]
TileCol = Annotated[str, Path(description="column (x), from the left", examples=["2210"])]
IDENTIFIER = r"^[A-Za-z0-9_.-]{1,64}$"
TmsId = Annotated[
    str, Path(description="tile matrix set: WebMercatorQuad", pattern=IDENTIFIER)
]
TiledCollection = Annotated[
    str,
    Path(description="services, municipalities or areas", examples=["services"],
         pattern=IDENTIFIER),
]
IfNoneMatch = Annotated[str | None, Header(description="ETag of a tile already held")]
Kind = Annotated[
    Literal["access", "coverage", "gaps", "density"],
    Query(description="analysis whose values the comuni carry (default access)"),
]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@functools.cache
def _tms_definition() -> dict[str, Any]:
    """The WebMercatorQuad definition (OGC Two Dimensional Tile Matrix Set 2.0) of morecantile."""
    import morecantile

    return morecantile.tms.get(TMS_ID).model_dump(exclude_none=True, mode="json")


@router.get("/tileMatrixSets", summary="Tile matrix sets")
async def tile_matrix_sets(request: Request) -> Response:
    """The tile matrix sets of the tiles: WebMercatorQuad."""
    base = _base(request)
    definition = _tms_definition()
    return json_response({
        "tileMatrixSets": [{
            "id": TMS_ID,
            "title": definition.get("title", TMS_ID),
            "uri": TMS_URI,
            "crs": definition.get("crs"),
            "links": [link(f"{base}/tileMatrixSets/{TMS_ID}", "self", JSON, TMS_ID)],
        }],
        "links": [link(f"{base}/tileMatrixSets", "self", JSON, "tile matrix sets")],
    })


@router.get("/tileMatrixSets/{tileMatrixSetId}", summary="One tile matrix set")
async def tile_matrix_set(
    tile_matrix_set_id: Annotated[TmsId, Path(alias="tileMatrixSetId")],
) -> Response:
    """The definition of WebMercatorQuad (from `morecantile`)."""
    tiles.check_tms(tile_matrix_set_id)
    return json_response(_tms_definition())


def _query(request: Request) -> str:
    """The request's query string (the tiles' parameters), to carry into tile URLs."""
    query = request.url.query
    return f"?{query}" if query else ""


def _tileset_links(request: Request, layer: Layer) -> list[dict[str, Any]]:
    base = _base(request)
    href = f"{base}/collections/{layer.id}/tiles/{TMS_ID}"
    template = {
        **link(f"{href}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}{_query(request)}", "item", MVT,
               "Mapbox Vector Tile"),
        "templated": True,
    }
    return [
        link(f"{href}{_query(request)}", "self", JSON, "tileset"),
        link(f"{base}/tileMatrixSets/{TMS_ID}", TILING_SCHEME, JSON, TMS_ID),
        link(f"{href}/tilejson.json{_query(request)}", "describedby", TILEJSON, "TileJSON"),
        template,
    ]


async def _tileset_target(
    conn: ConnectionDep,
    collection_id: TiledCollection,
    tile_matrix_set_id: Annotated[TmsId, Path(alias="tileMatrixSetId")],
) -> tuple[Layer, list[float]]:
    """The tiled collection and the bounds (CRS84) of the loaded geography; 404 for others."""
    layer = tiles.get_layer(collection_id)
    tiles.check_tms(tile_matrix_set_id)
    extent = await features.extent(conn)
    return layer, list(extent) if extent else [-180.0, -85.0511, 180.0, 85.0511]


TilesetTarget = Annotated[tuple[Layer, list[float]], Depends(_tileset_target)]


@router.get("/collections/{collection_id}/tiles", summary="Tilesets of a collection")
async def tilesets(
    request: Request, collection_id: TiledCollection
) -> Response:
    """The vector tilesets of a collection: one, on WebMercatorQuad."""
    layer = tiles.get_layer(collection_id)
    links = _tileset_links(request, layer)
    return json_response({
        "tilesets": [{
            "title": layer.title,
            "dataType": "vector",
            "crs": tiles.CRS_3857,
            "tileMatrixSetURI": TMS_URI,
            "links": links[:2],
        }],
        "links": [link(str(request.url), "self", JSON, "tilesets")],
    })


@router.get("/collections/{collection_id}/tiles/{tileMatrixSetId}", summary="A tileset")
async def tileset(request: Request, target: TilesetTarget) -> Response:
    """The tileset's metadata: its layer, fields, tile URL template and bounding box."""
    layer, bounds = target
    dimension = 0 if layer.geometry_type == "points" else 2
    return json_response({
        "title": layer.title,
        "description": layer.description,
        "dataType": "vector",
        "crs": tiles.CRS_3857,
        "tileMatrixSetURI": TMS_URI,
        "links": _tileset_links(request, layer),
        "boundingBox": {
            "lowerLeft": bounds[:2], "upperRight": bounds[2:],
            "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        },
        "layers": [{
            "id": layer.id,
            "title": layer.title,
            "dataType": "vector",
            "geometryDimension": dimension,
            "minTileMatrix": str(tiles.MIN_ZOOM),
            "maxTileMatrix": str(tiles.MAX_ZOOM),
            "propertiesSchema": {
                "type": "object",
                "properties": {
                    name: {"type": _json_type(kind)} for name, kind in layer.fields.items()
                },
            },
        }],
    })


def _json_type(tilejson_type: str) -> str:
    return {"Number": "number", "Boolean": "boolean"}.get(tilejson_type, "string")


@router.get(
    "/collections/{collection_id}/tiles/{tileMatrixSetId}/tilejson.json", summary="TileJSON 3.0"
)
async def tilejson(request: Request, target: TilesetTarget) -> Response:
    """The tileset as TileJSON 3.0 (MapLibre, QGIS), its tile URL carrying the query."""
    layer, bounds = target
    href = f"{_base(request)}/collections/{layer.id}/tiles/{TMS_ID}"
    return json_response(
        {
            "tilejson": "3.0.0",
            "name": layer.id,
            "description": layer.description,
            "version": "1.0.0",
            "attribution": CREDIT,
            "scheme": "xyz",
            "tiles": [f"{href}/{{z}}/{{y}}/{{x}}{_query(request)}"],
            "minzoom": tiles.MIN_ZOOM,
            "maxzoom": tiles.MAX_ZOOM,
            "bounds": bounds,
            "center": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 7],
            "vector_layers": [{
                "id": layer.id,
                "description": layer.title,
                "minzoom": tiles.MIN_ZOOM,
                "maxzoom": tiles.MAX_ZOOM,
                "fields": layer.fields,
            }],
        },
        media_type=JSON,
    )


async def _tile_index(
    tile_matrix_set_id: Annotated[TmsId, Path(alias="tileMatrixSetId")],
    tile_matrix: Annotated[TileMatrix, Path(alias="tileMatrix")],
    tile_row: Annotated[TileRow, Path(alias="tileRow")],
    tile_col: Annotated[TileCol, Path(alias="tileCol")],
) -> tuple[int, int, int]:
    """The tile's zoom, row and column: 400 naming a non-integer, 404 naming one out of range."""
    tiles.check_tms(tile_matrix_set_id)
    z = tiles.parse_int("tileMatrix", tile_matrix)
    row = tiles.parse_int("tileRow", tile_row)
    col = tiles.parse_int("tileCol", tile_col)
    tiles.check_tile(z, row, col)
    return z, row, col


TileIndex = Annotated[tuple[int, int, int], Depends(_tile_index)]


async def _tile(
    conn: ConnectionDep,
    layer: Layer,
    tile: tuple[int, int, int],
    key: tuple[Any, ...],
    if_none_match: str | None,
    values: Any,
) -> Response:
    """Answer one tile: 304 on a matching ETag, else from the LRU, else built (and kept).

    `values` is an async callable giving the layer's bind values; it runs only to build.
    """
    z, row, col = tile
    version = await tiles.data_version(conn, layer)
    tag = tiles.etag(layer, z, row, col, key, version)
    headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
    if if_none_match is not None and tag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    body = CACHE.get(tag)
    if body is None:

        async def build() -> bytes:
            return await tiles.build_tile(conn, layer, z, row, col, await values(version))

        body = await _built_once(tag, build)
    if not body:
        return Response(status_code=204, headers=headers)
    return Response(body, media_type=MVT, headers=headers)


async def _built_once(tag: str, build: Callable[[], Awaitable[bytes]]) -> bytes:
    """Build the tile of `tag` and keep it; requests for a tile being built wait for it."""
    pending = _building.get(tag)
    if pending is not None:
        return await asyncio.shield(pending)
    future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
    _building[tag] = future
    try:
        body = await build()
    except BaseException as error:
        future.set_exception(error)
        future.exception()  # retrieved: the waiters, if any, raise it too
        raise
    finally:
        _building.pop(tag, None)
    CACHE.put(tag, body)
    future.set_result(body)
    return body


def _tile_route(collection: str) -> Any:
    return router.get(
        f"/collections/{collection}/tiles/{{tileMatrixSetId}}/{{tileMatrix}}/{{tileRow}}/"
        "{tileCol}",
        summary=f"A vector tile of {collection}",
        response_class=Response,
        responses=TILE_RESPONSES,
    )


@_tile_route("services")
async def services_tile(
    conn: ConnectionDep,
    tile: TileIndex,
    category: Category = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Services (public point and fields), optionally of one category and its children."""
    code = parse_category(category) if category else None

    async def values(version: str) -> dict[str, Any]:
        if code and await fetch_row(conn, CATEGORY_EXISTS, {"category": code}) is None:
            raise InvalidInput(f"unknown category {code!r}")
        return {"category": code}

    layer = tiles.LAYERS["services"]
    return await _tile(conn, layer, tile, (code,), if_none_match, values)


@_tile_route("municipalities")
async def municipalities_tile(
    request: Request,
    conn: ConnectionDep,
    tile: TileIndex,
    analysis: AnalysisDep,
    kind: Kind = "access",
    category: Category = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Comuni with the values of the analysis its parameters address (computed once, stored).

    `kind` picks the analysis (access by default: access_per_10k, services_count,
    nearest_km; gaps: is_gap, unmet_demand, gap_rank); the other parameters are those of
    `/stats/{kind}`, with the same defaults.
    """
    params = analysis.parameters(kind, category)
    key = tuple(sorted(params.as_dict().items()))

    async def values(version: str) -> dict[str, Any]:
        run = _runs.get((key, version))
        if run is None:
            run = await run_in_threadpool(_resolve_run, request, params)
            if len(_runs) >= MAX_RUNS:  # older versions' runs are never asked for again
                _runs.clear()
            _runs[(key, version)] = run
        return {"run": run}

    layer = tiles.LAYERS["municipalities"]
    return await _tile(conn, layer, tile, key, if_none_match, values)


def _resolve_run(request: Request, params: Any) -> int:
    """The id of the run of `params` on the current data (computed and stored when new)."""
    from observatory.analysis.results import stored_or_computed

    with app_session(request) as session:
        return stored_or_computed(session, params, None, None)[0].id


@_tile_route("areas")
async def areas_tile(
    conn: ConnectionDep,
    tile: TileIndex,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Territorial areas, each the union of its comuni."""

    async def values(version: str) -> dict[str, Any]:
        return {}

    layer = tiles.LAYERS["areas"]
    return await _tile(conn, layer, tile, (), if_none_match, values)


@router.get(
    "/collections/{collection_id}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    include_in_schema=False,
)
async def untiled(collection_id: TiledCollection) -> Response:
    """A tile of a collection without tiles: 404 naming the tiled collections."""
    tiles.get_layer(collection_id)
    raise AssertionError("every tiled collection has its own route")
