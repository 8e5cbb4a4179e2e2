"""OGC API - Features Part 2: `crs`, `bbox-crs`, Content-Crs, checked against pyproj and GDAL."""

import pyogrio
import pytest
from owslib.ogcapi.features import Features
from pyproj import Transformer
from sqlalchemy import create_engine, text

from tests.helpers import assert_problem

ITEMS = "/collections/services/items"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CRS_CLASS = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"
# (parameter as given, canonical URI, first axis north)
CASES = [
    ("EPSG:3857", f"{EPSG}3857", False),
    (f"{EPSG}32633", f"{EPSG}32633", False),
    ("[EPSG:6708]", f"{EPSG}6708", True),
    ("EPSG:4326", f"{EPSG}4326", True),
]


def _rows(url, statement, params=None):
    """Every row of one read-only statement."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(statement), params or {})]
    finally:
        engine.dispose()


def _stored(url, ids):
    """The stored public points (full precision) of service ids: id -> (lon, lat)."""
    rows = _rows(
        url, "SELECT id, ST_X(geom), ST_Y(geom) FROM service_public WHERE id = ANY(:ids)",
        {"ids": ids},
    )
    return {row[0]: (row[1], row[2]) for row in rows}


@pytest.mark.parametrize(("given", "uri", "north_first"), CASES)
def test_items_in_a_crs_match_pyproj_with_its_axis_order(
    api_client, api_database_url, given, uri, north_first
):
    response = api_client.get(ITEMS, params={"limit": 50, "crs": given})
    assert response.status_code == 200, response.text
    assert response.headers["content-crs"] == f"<{uri}>"
    features = [f for f in response.json()["features"] if f["geometry"]]
    assert len(features) > 30
    stored = _stored(api_database_url, [f["id"] for f in features])
    to_crs = Transformer.from_crs("EPSG:4326", uri.rsplit("/", 1)[1], always_xy=True)
    tolerance = 1e-6 if uri.endswith("4326") else 0.01
    for feature in features:
        x, y = to_crs.transform(*stored[feature["id"]])
        first, second = feature["geometry"]["coordinates"]
        expected = (y, x) if north_first else (x, y)
        assert (first, second) == pytest.approx(expected, abs=tolerance)


def test_default_is_crs84_longitude_first(api_client, api_database_url):
    response = api_client.get(ITEMS, params={"limit": 5})
    assert response.headers["content-crs"] == f"<{CRS84}>"
    feature = response.json()["features"][0]
    lon, lat = _stored(api_database_url, [feature["id"]])[feature["id"]]
    assert feature["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-6)
    assert "crs" not in feature["geometry"]


def test_one_item_in_rdn2008_and_its_header(api_client, api_database_url):
    first = api_client.get(ITEMS, params={"limit": 1}).json()["features"][0]
    response = api_client.get(f"{ITEMS}/{first['id']}", params={"crs": f"{EPSG}6708"})
    assert response.status_code == 200
    assert response.headers["content-crs"] == f"<{EPSG}6708>"
    northing, easting = response.json()["geometry"]["coordinates"]
    lon, lat = _stored(api_database_url, [first["id"]])[first["id"]]
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:6708", always_xy=True).transform(lon, lat)
    assert (easting, northing) == pytest.approx((x, y), abs=0.01)
    html = api_client.get(f"{ITEMS}/{first['id']}", params={"crs": "EPSG:3857", "f": "html"})
    assert html.headers["content-crs"] == f"<{EPSG}3857>"


def _ids(api_client, **params):
    response = api_client.get(ITEMS, params={"limit": 10000, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["numberMatched"] == body["numberReturned"]
    return {f["id"] for f in body["features"]}


def test_bbox_in_utm_selects_what_pyproj_puts_inside_it(api_client, api_database_url):
    box = (420_000, 4_500_000, 470_000, 4_540_000)  # around Napoli, UTM 33N metres
    rows = _rows(
        api_database_url,
        "SELECT id, ST_X(geom), ST_Y(geom) FROM service_public "
        "WHERE status <> 'closed' AND geom && ST_MakeEnvelope(13, 40, 16, 42, 4326)",
    )
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32633", always_xy=True)
    expected = set()
    for service_id, lon, lat in rows:
        x, y = to_utm.transform(lon, lat)
        if box[0] <= x <= box[2] and box[1] <= y <= box[3]:
            expected.add(service_id)
    assert len(expected) > 10
    got = _ids(api_client, bbox=",".join(map(str, box)), **{"bbox-crs": "EPSG:32633"})
    assert got == expected
    north_first = (box[1], box[0], box[3], box[2])  # EPSG:6708 is northing, easting
    got = _ids(api_client, bbox=",".join(map(str, north_first)), **{"bbox-crs": f"{EPSG}6708"})
    assert got == expected


def test_bbox_in_epsg_4326_is_latitude_first(api_client):
    lon_lat = _ids(api_client, bbox="14.1,40.7,14.4,41.0")
    assert lon_lat
    lat_lon = _ids(api_client, bbox="40.7,14.1,41.0,14.4", **{"bbox-crs": "EPSG:4326"})
    assert lat_lon == lon_lat
    assert _ids(api_client, bbox="40.7,14.1,41.0,14.4") == set()
    to_mercator = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    corners = [*to_mercator.transform(14.1, 40.7), *to_mercator.transform(14.4, 41.0)]
    mercator = _ids(api_client, bbox=",".join(map(str, corners)), **{"bbox-crs": "EPSG:3857"})
    assert mercator == lon_lat  # Mercator's rectangles are lon/lat rectangles


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"crs": "EPSG:2154"}, "crs 'EPSG:2154'"),
        ({"crs": "http://www.opengis.net/def/crs/EPSG/0/9999999"}, "9999999"),
        ({"bbox-crs": "EPSG:27700", "bbox": "0,0,1,1"}, "bbox-crs 'EPSG:27700'"),
        ({"bbox-crs": "EPSG:32633", "bbox": "470000,4500000,420000,4540000"}, "exceeds"),
        ({"bbox-crs": "EPSG:3857", "bbox": "1,2,3"}, "four comma-separated"),
        ({"bbox-crs": "EPSG:4326", "bbox": "100,14,101,15"}, "outside"),
    ],
)
def test_unsupported_or_bad_crs_is_400_listing_the_supported(api_client, params, named):
    problem = assert_problem(api_client.get(ITEMS, params=params), 400, named)
    if "crs" in params or "EPSG:27700" in str(params):
        assert f"{EPSG}32633" in problem["detail"] and CRS84 in problem["detail"]


def test_unsupported_crs_on_one_item_is_400(api_client):
    assert_problem(api_client.get(f"{ITEMS}/1", params={"crs": "EPSG:2154"}), 400, "EPSG:2154")


def test_collections_list_crs_and_storage_crs_and_conformance_declares_crs(api_client):
    for collection in api_client.get("/collections").json()["collections"]:
        assert collection["storageCrs"] == CRS84
        assert set(collection["crs"]) == {CRS84, *(f"{EPSG}{c}" for c in (4326, 3857, 32633, 6708))}
    assert CRS_CLASS in api_client.get("/conformance").json()["conformsTo"]
    parameters = api_client.get("/openapi.json").json()["paths"][
        "/collections/{collection_id}/items"
    ]["get"]["parameters"]
    assert {"crs", "bbox-crs"} <= {p["name"] for p in parameters}


def test_owslib_and_gdal_read_a_reprojected_page(server_url, api_database_url):
    page = Features(server_url).collection_items("services", limit=20, crs="EPSG:32633")
    features = [f for f in page["features"] if f["geometry"]]
    stored = _stored(api_database_url, [f["id"] for f in features])
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32633", always_xy=True)
    for feature in features:
        expected = to_utm.transform(*stored[feature["id"]])
        assert feature["geometry"]["coordinates"] == pytest.approx(expected, abs=0.01)
    frame = pyogrio.read_dataframe(
        f"OAPIF:{server_url}/", layer="services", max_features=50,
        CRS="EPSG:32633"
    )
    assert frame.crs.to_epsg() == 32633
    minx, miny, maxx, maxy = frame.total_bounds
    assert 100_000 < minx and maxx < 1_100_000 and 4_000_000 < miny and maxy < 5_000_000
    lat_lon = pyogrio.read_dataframe(
        f"OAPIF:{server_url}/", layer="services", max_features=5,
        CRS="EPSG:6708"
    )
    assert lat_lon.crs.to_epsg() == 6708
    plain = pyogrio.read_dataframe(f"OAPIF:{server_url}/", layer="services", max_features=5)
    to_rdn = Transformer.from_crs("EPSG:4326", "EPSG:6708", always_xy=True)
    for point, lon_lat in zip(lat_lon.geometry, plain.geometry, strict=True):
        # GDAL turns the server's northing, easting back into x, y; CRS84 has 6 decimals
        assert (point.x, point.y) == pytest.approx(to_rdn.transform(lon_lat.x, lon_lat.y), abs=0.2)
