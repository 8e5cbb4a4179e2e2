"""OGC API - Tiles: matrix sets, tilesets, TileJSON, vector tiles, privacy, ETags, caching."""

from __future__ import annotations

import mapbox_vector_tile
import morecantile
import pytest

from tests.api.tiles.conftest import NAPOLI, PRIVATE
from tests.helpers import assert_problem, run_sql

TMS = morecantile.tms.get("WebMercatorQuad")
MVT = "application/vnd.mapbox-vector-tile"


def tile_of(lon: float, lat: float, z: int) -> morecantile.Tile:
    return TMS.tile(lon, lat, z)


def tile_url(collection: str, tile: morecantile.Tile, query: str = "") -> str:
    return f"/collections/{collection}/tiles/WebMercatorQuad/{tile.z}/{tile.y}/{tile.x}{query}"


def decode(body: bytes) -> dict:
    return mapbox_vector_tile.decode(body)


def to_tile_units(tile: morecantile.Tile, lon: float, lat: float) -> tuple[float, float]:
    """Where (lon, lat) falls in the tile's 4096 grid, y upwards (the decoder's default)."""
    bounds = TMS.xy_bounds(tile)
    x, y = TMS.xy(lon, lat)
    width = bounds.right - bounds.left
    return (x - bounds.left) / width * 4096, (y - bounds.bottom) / width * 4096


def points(layer: dict) -> list[tuple[int, float, float]]:
    return [
        (feature["id"], *feature["geometry"]["coordinates"])
        for feature in layer["features"]
    ]


def test_tile_matrix_sets(tiles_client):
    listed = tiles_client.get("/tileMatrixSets").json()
    assert [s["id"] for s in listed["tileMatrixSets"]] == ["WebMercatorQuad"]
    definition = tiles_client.get("/tileMatrixSets/WebMercatorQuad").json()
    assert definition["id"] == "WebMercatorQuad"
    assert len(definition["tileMatrices"]) == 25
    assert_problem(tiles_client.get("/tileMatrixSets/WorldCRS84Quad"), 404, "WorldCRS84Quad")


def test_conformance_and_links(tiles_client):
    conforms = tiles_client.get("/conformance").json()["conformsTo"]
    for name in ("core", "tileset", "tilesets-list", "geodata-tilesets", "mvt"):
        assert f"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{name}" in conforms
    services = tiles_client.get("/collections/services").json()
    rels = {link["rel"]: link["href"] for link in services["links"]}
    assert rels["http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"].endswith(
        "/collections/services/tiles"
    )
    regions = tiles_client.get("/collections/regions").json()
    assert all("tilesets" not in link["rel"] for link in regions["links"])


@pytest.mark.parametrize("collection", ["services", "municipalities", "areas"])
def test_tilesets_tileset_and_tilejson(tiles_client, collection):
    listed = tiles_client.get(f"/collections/{collection}/tiles").json()
    assert listed["tilesets"][0]["dataType"] == "vector"
    tileset = tiles_client.get(f"/collections/{collection}/tiles/WebMercatorQuad").json()
    assert tileset["tileMatrixSetURI"].endswith("/WebMercatorQuad")
    item = next(link for link in tileset["links"] if link["rel"] == "item")
    assert item["href"].endswith("/{tileMatrix}/{tileRow}/{tileCol}") and item["templated"]
    assert tileset["layers"][0]["id"] == collection
    tilejson = tiles_client.get(
        f"/collections/{collection}/tiles/WebMercatorQuad/tilejson.json?category=SAN"
    ).json()
    assert tilejson["tilejson"] == "3.0.0"
    assert tilejson["tiles"][0].endswith(
        f"/collections/{collection}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}?category=SAN"
    )
    assert tilejson["vector_layers"][0]["id"] == collection
    assert "name" in tilejson["vector_layers"][0]["fields"]


def test_services_tile_decodes_with_public_fields(tiles_client):
    tile = tile_of(*NAPOLI, 14)
    response = tiles_client.get(tile_url("services", tile))
    assert response.status_code == 200
    assert response.headers["content-type"] == MVT
    layer = decode(response.content)["services"]
    found = {f["properties"]["name"]: f for f in layer["features"]}
    sportello = found["Sportello immigrazione"]["properties"]
    assert sportello["category"] == "DOC-SUI" and sportello["top_category"] == "DOC"
    assert sportello["address"] == "Via Medina 1" and sportello["languages"] == "it,ar"
    assert sportello["organization_name"] == "Comune di Napoli"
    x, y = found["Sportello immigrazione"]["geometry"]["coordinates"]
    expected = to_tile_units(tile, *NAPOLI)
    assert abs(x - expected[0]) <= 1 and abs(y - expected[1]) <= 1


def test_low_zoom_services_carry_only_what_draws_them(tiles_client):
    overview = decode(tiles_client.get(tile_url("services", tile_of(*NAPOLI, 11))).content)
    detail = decode(tiles_client.get(tile_url("services", tile_of(*NAPOLI, 12))).content)

    def sportello(layer: dict) -> dict:
        return next(
            f for f in layer["services"]["features"]
            if f["properties"]["name"] == "Sportello immigrazione"
        )

    low, high = sportello(overview), sportello(detail)
    assert low["id"] == high["id"]
    assert set(low["properties"]) == {
        "name", "category", "top_category", "municipality_code", "status",
        "geocode_precision", "location_approximate", "is_example",
    }
    assert high["properties"]["address"] == "Via Medina 1"


def test_category_filter(tiles_client):
    tile = tile_of(*NAPOLI, 8)
    layer = decode(tiles_client.get(tile_url("services", tile, "?category=doc")).content)
    categories = {f["properties"]["category"] for f in layer["services"]["features"]}
    assert categories and all(code.startswith("DOC") for code in categories)
    assert_problem(tiles_client.get(tile_url("services", tile, "?category=ZZZ")), 400, "ZZZ")
    assert_problem(tiles_client.get(tile_url("services", tile, "?category=1;x")), 400, "1;x")


def test_no_private_point_in_any_tile(tiles_client, tiles_database_url):
    """The private-address service is drawn at its comune's point, never at its own."""
    private_id, comune_lon, comune_lat = run_sql(
        tiles_database_url,
        "SELECT ARRAY[s.id::float, ST_X(m.point), ST_Y(m.point)] FROM service s "
        "JOIN municipality m ON m.code = s.municipality_code "
        "WHERE s.name = 'Mediatrice volontaria'",
    )[0]
    for z in range(6, 19):
        tile = tile_of(*PRIVATE, z)
        response = tiles_client.get(tile_url("services", tile))
        if response.status_code == 204:
            continue
        here = to_tile_units(tile, *PRIVATE)
        for feature_id, x, y in points(decode(response.content)["services"]):
            near = abs(x - here[0]) <= 2 and abs(y - here[1]) <= 2
            assert not near, f"z{z}: service {feature_id} drawn on the private point"
        public_tile = tile_of(comune_lon, comune_lat, z)
        layer = decode(tiles_client.get(tile_url("services", public_tile)).content)["services"]
        drawn = {f["id"]: f for f in layer["features"]}
        assert int(private_id) in drawn, f"z{z}: private service missing at its comune"
        properties = drawn[int(private_id)]["properties"]
        assert "address" not in properties and "phone" not in properties
        assert "organization_name" not in properties
        assert properties["geocode_precision"] == "municipality"
        assert properties["location_approximate"] is True


def test_municipalities_carry_the_addressed_analysis(tiles_client):
    tile = tile_of(*NAPOLI, 9)
    url = tile_url("municipalities", tile)
    access = decode(tiles_client.get(url).content)["municipalities"]["features"]
    napoli = next(f["properties"] for f in access if f["properties"]["name"] == "Napoli")
    assert napoli["municipality_code"] == "063049" and napoli["area"]
    assert napoli["services_count"] >= 1 and napoli["access_per_10k"] > 0
    assert all(f["geometry"]["type"] in {"Polygon", "MultiPolygon"} for f in access)
    residents = decode(tiles_client.get(url + "?demand=residents").content)
    napoli_residents = next(
        f["properties"] for f in residents["municipalities"]["features"]
        if f["properties"]["name"] == "Napoli"
    )
    assert napoli_residents["demand"] > napoli["demand"]  # all residents > foreign residents
    assert napoli_residents["run_id"] != napoli["run_id"]
    gaps = decode(tiles_client.get(url + "?kind=gaps&category=SAN").content)
    flags = {f["properties"].get("is_gap") for f in gaps["municipalities"]["features"]}
    assert flags <= {True, False} and flags
    assert_problem(tiles_client.get(url + "?demand=tourists"), 400, "demand")


def test_areas_tile(tiles_client):
    tile = tile_of(*NAPOLI, 8)
    layer = decode(tiles_client.get(tile_url("areas", tile)).content)["areas"]
    codes = {f["properties"]["code"] for f in layer["features"]}
    assert "napoli" in codes


def test_polygons_are_simplified_per_zoom(tiles_client):
    low = tiles_client.get(tile_url("municipalities", tile_of(*NAPOLI, 7))).content
    high = tiles_client.get(tile_url("municipalities", tile_of(*NAPOLI, 12))).content

    def vertices(body: bytes) -> int:
        count = 0
        for feature in decode(body)["municipalities"]["features"]:
            geometry = feature["geometry"]
            rings = geometry["coordinates"]
            polygons = rings if geometry["type"] == "MultiPolygon" else [rings]
            count += sum(len(ring) for polygon in polygons for ring in polygon)
        return count

    assert len(low) < 400_000  # the whole of Campania in one tile, simplified
    assert vertices(low) > 0 and vertices(high) > 0


@pytest.mark.parametrize(
    ("path", "status", "fragment"),
    [
        ("/collections/services/tiles/WebMercatorQuad/25/0/0", 404, "tileMatrix 25"),
        ("/collections/services/tiles/WebMercatorQuad/-1/0/0", 404, "tileMatrix -1"),
        ("/collections/services/tiles/WebMercatorQuad/12/4096/0", 404, "tileRow 4096"),
        ("/collections/services/tiles/WebMercatorQuad/12/0/-3", 404, "tileCol -3"),
        ("/collections/services/tiles/WebMercatorQuad/abc/0/0", 400, "'abc'"),
        ("/collections/services/tiles/WebMercatorQuad/3/1.5/0", 400, "'1.5'"),
        ("/collections/services/tiles/WorldCRS84Quad/3/1/1", 404, "WorldCRS84Quad"),
        ("/collections/regions/tiles/WebMercatorQuad/3/1/1", 404, "regions"),
        ("/collections/regions/tiles", 404, "services, municipalities, areas"),
    ],
)
def test_bad_tiles_are_problems(tiles_client, path, status, fragment):
    assert_problem(tiles_client.get(path), status, fragment)


def test_empty_tile_is_204(tiles_client):
    response = tiles_client.get(tile_url("services", tile_of(-30.0, 40.0, 10)))  # the Atlantic
    assert response.status_code == 204 and response.content == b""
    assert response.headers["etag"]


def test_etag_304_and_invalidation(tiles_client, tiles_database_url):
    tile = tile_of(*NAPOLI, 15)
    url = tile_url("services", tile)
    first = tiles_client.get(url)
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    assert tiles_client.get(url).content == first.content  # from the cache, same bytes
    again = tiles_client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.headers["etag"] == tag and not again.content
    before = {f["properties"]["name"] for f in decode(first.content)["services"]["features"]}
    assert "Nuovo sportello" not in before
    run_sql(
        tiles_database_url,
        "INSERT INTO service (source, source_key, name, category_code, municipality_code, "
        "geocode_precision, geocode_source, geom) VALUES ('test', 'nuovo', 'Nuovo sportello', "
        "'LAV', 63049, 'provided', 'test', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) "
        "RETURNING id",
        {"lon": NAPOLI[0] + 0.0005, "lat": NAPOLI[1]},
    )
    try:
        changed = tiles_client.get(url, headers={"If-None-Match": tag})
        assert changed.status_code == 200 and changed.headers["etag"] != tag
        names = {f["properties"]["name"] for f in decode(changed.content)["services"]["features"]}
        assert "Nuovo sportello" in names
    finally:
        run_sql(tiles_database_url, "DELETE FROM service WHERE source_key = 'nuovo' RETURNING id")
    after = tiles_client.get(url, headers={"If-None-Match": changed.headers["etag"]})
    assert after.status_code == 200
    names = {f["properties"]["name"] for f in decode(after.content)["services"]["features"]}
    assert "Nuovo sportello" not in names


def test_a_tile_asked_for_at_once_is_built_once():
    import asyncio

    from api.routes import tiles as routes

    builds = []

    async def build() -> bytes:
        builds.append(1)
        await asyncio.sleep(0.05)
        return b"tile"

    async def together() -> list[bytes]:
        return await asyncio.gather(*(routes._built_once('"k"', build) for _ in range(8)))

    assert asyncio.run(together()) == [b"tile"] * 8
    assert len(builds) == 1 and routes.CACHE.get('"k"') == b"tile"
    routes.CACHE.clear()
