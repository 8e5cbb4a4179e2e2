"""OGC API - Features Part 4 on services: writes through the ingest, under the upload's keys."""

from collections.abc import Iterator
from datetime import date

import orjson
import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from observatory import geography, keys
from tests.conftest import create_database, drop_database, load_seeded_data
from tests.helpers import app_client, assert_problem
from tests.reliability.conftest import fingerprint

ITEMS = "/collections/services/items"
MERGE = {"Content-Type": "application/merge-patch+json"}
GEOJSON = {"Content-Type": "application/geo+json"}
NAPOLI = 63049  # comune of Napoli, area napoli


@pytest.fixture(scope="module")
def edit_url(geopop_south: geography.GeopopData) -> Iterator[str]:
    """A database of its own (the edits commit), with the geography and 300 services."""
    url = create_database("osservatorio_edit")
    try:
        load_seeded_data(url, geopop_south, 300)
        yield url
    finally:
        drop_database(url)


@pytest.fixture(scope="module")
def edit_client(edit_url: str) -> Iterator[TestClient]:
    """A TestClient whose pool and sessions use the module's database (writes commit)."""
    with app_client(edit_url) as client:
        yield client


def _sql(url: str, statement: str, **params):
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def keys_of(edit_url: str) -> dict[str, dict[str, str]]:
    """Bearer headers of an operator key for napoli and one for palermo."""
    engine = create_engine(edit_url)
    made = {}
    with Session(engine) as session, session.begin():
        for area in ("napoli", "palermo"):
            _, key = keys.create_key(session, f"GdLL {area}", "operator", [area])
            made[area] = {"Authorization": f"Bearer {key}"}
    engine.dispose()
    return made


def _service_in(url: str, area: str, skip: int = 0) -> int:
    return _sql(
        url,
        "SELECT s.id FROM service s JOIN area_municipality a "
        "ON a.municipality_code = s.municipality_code WHERE a.area_code = :area "
        "AND s.status = 'active' ORDER BY s.id OFFSET :skip LIMIT 1",
        area=area, skip=skip,
    )[0][0]


def _json(document) -> bytes:
    return orjson.dumps(document)


def test_operator_fixes_a_phone_with_patch_and_sees_it_in_items(edit_client, edit_url, keys_of):
    service_id = _service_in(edit_url, "napoli")
    before = edit_client.get(f"{ITEMS}/{service_id}").json()
    response = edit_client.patch(
        f"{ITEMS}/{service_id}", content=_json({"properties": {"phone": "081 555 0101"}}),
        headers={**keys_of["napoli"], **MERGE},
    )
    assert response.status_code == 200, response.text
    written = response.json()
    assert written["id"] == service_id and written["counts"]["updated"] == 1
    after = edit_client.get(f"{ITEMS}/{service_id}").json()
    assert after["properties"]["phone"] == "+390815550101"  # normalised as an upload's
    edited = ("phone", "updated_at", "last_verified", "stale")  # an edit verifies the service
    unchanged = {k: v for k, v in before["properties"].items() if k not in edited}
    assert {k: after["properties"][k] for k in unchanged} == unchanged
    assert after["properties"]["last_verified"] == date.today().isoformat()
    assert after["properties"]["stale"] is False
    assert after["properties"]["updated_at"] > before["properties"]["updated_at"]
    assert after["geometry"] == before["geometry"]
    code = before["properties"]["municipality_code"]
    page = edit_client.get(ITEMS, params={"municipality_code": code, "limit": 1000}).json()
    [listed] = [f for f in page["features"] if f["id"] == service_id]
    assert listed["properties"]["phone"] == "+390815550101"
    [(file_name, key_name, status, counts)] = _sql(
        edit_url,
        "SELECT file_name, key_name, status, counts FROM ingest_run WHERE id = :id",
        id=written["run_id"],
    )
    assert (file_name, key_name, status) == (f"PATCH services/{service_id}", "GdLL napoli",
                                             "succeeded")
    assert counts["updated"] == 1


def _attempts(napoli_id: int):
    """Writes a palermo key may not make, and a napoli key moving its service to Palermo."""
    moved = {"geometry": {"type": "Point", "coordinates": [13.3615, 38.1157]},
             "properties": {"municipality_code": 82053, "address": "Via Roma 1"}}
    feature = {"type": "Feature", "geometry": None,
               "properties": {"name": "Preso", "municipality_code": NAPOLI}}
    return [
        ("palermo", "patch", f"{ITEMS}/{napoli_id}", _json({"properties": {"phone": "1"}}),
         MERGE, "not in the areas"),
        ("palermo", "put", f"{ITEMS}/{napoli_id}", _json(feature), GEOJSON, "not in the areas"),
        ("palermo", "delete", f"{ITEMS}/{napoli_id}", None, {}, "not in the areas"),
        ("palermo", "post", ITEMS, _json(feature), GEOJSON, "not in the areas"),
        ("napoli", "patch", f"{ITEMS}/{napoli_id}", _json(moved), MERGE, "Palermo"),
    ]


@pytest.mark.parametrize("attempt", range(5))
def test_a_key_writing_outside_its_areas_is_403_and_nothing_changes(
    edit_client, edit_url, keys_of, attempt
):
    napoli_id = _service_in(edit_url, "napoli", skip=1)
    area, method, path, body, headers, fragment = _attempts(napoli_id)[attempt]
    before = fingerprint(edit_url)
    response = edit_client.request(
        method.upper(), path, content=body, headers={**keys_of[area], **headers}
    )
    assert_problem(response, 403, fragment, "nothing")
    assert fingerprint(edit_url) == before


def test_another_keys_source_is_403(edit_client, edit_url, keys_of):
    created = edit_client.post(
        ITEMS, headers={**keys_of["palermo"], **GEOJSON},
        content=_json({"type": "Feature", "geometry": None, "properties": {
            "name": "Sportello Palermo", "municipality_code": 82053, "category": "INF"}}),
    )
    assert created.status_code == 201, created.text
    source = _sql(edit_url, "SELECT source FROM service WHERE id = :id", id=created.json()["id"])
    before = fingerprint(edit_url)
    response = edit_client.post(
        ITEMS, headers={**keys_of["napoli"], **GEOJSON},
        content=_json({"type": "Feature", "geometry": None, "properties": {
            "name": "Intruso", "municipality_code": NAPOLI, "source": source[0][0]}}),
    )
    assert_problem(response, 403, "belongs to 'GdLL palermo'")
    assert fingerprint(edit_url) == before


@pytest.mark.parametrize(
    ("method", "body", "headers", "status", "fragments"),
    [
        ("patch", b"{not json", MERGE, 400, ("not JSON",)),
        ("patch", b"[1, 2]", MERGE, 400, ("Feature object",)),
        ("patch", _json({"properties": {"phon": "1"}}), MERGE, 400, ("'phon'",)),
        ("patch", _json({"properties": {"languages": {"it": 1}}}), MERGE, 400, ("'languages'",)),
        ("patch", _json({"properties": {"category": "XYZ"}}), MERGE, 400, ("'category'", "XYZ")),
        ("patch", _json({"properties": {"name": None}}), MERGE, 400, ("'name'",)),
        ("patch", _json({"geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}}),
         MERGE, 400, ("geometry", "Point")),
        ("patch", _json({"geometry": {"type": "Point", "coordinates": [14.25, 95]}}), MERGE,
         400, ("lat",)),
        ("patch", _json({"properties": {"source": "other"}}), MERGE, 400, ("'source'",)),
        ("patch", _json({"properties": {"phone": "1"}}), GEOJSON, 415, ("merge-patch",)),
        ("put", _json({"type": "Feature", "properties": {"name": "x"}}), GEOJSON, 400,
         ("geometry",)),
        ("put", _json({"type": "FeatureCollection", "features": []}), GEOJSON, 400,
         ("'features'",)),
        ("put", _json({"type": "Feature", "geometry": None, "properties": {"name": "x"}}),
         GEOJSON, 400, ("place",)),
    ],
)
def test_invalid_bodies_are_400_naming_the_field_and_change_nothing(
    edit_client, edit_url, keys_of, method, body, headers, status, fragments
):
    service_id = _service_in(edit_url, "napoli", skip=2)
    before = fingerprint(edit_url)
    response = edit_client.request(
        method.upper(), f"{ITEMS}/{service_id}", content=body,
        headers={**keys_of["napoli"], **headers},
    )
    assert_problem(response, status, *fragments)
    assert fingerprint(edit_url) == before


def test_post_creates_with_location_and_a_second_post_conflicts(edit_client, edit_url, keys_of):
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [14.2480, 40.8450]},
               "properties": {"name": "Sportello migranti Toledo", "category": "INF",
                              "address": "Via Toledo 1", "municipality_code": NAPOLI,
                              "languages": ["it", "ar"], "mediation_available": True}}
    response = edit_client.post(ITEMS, content=_json(feature),
                                headers={**keys_of["napoli"], **GEOJSON})
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    assert location.endswith(f"{ITEMS}/{response.json()['id']}")
    created = edit_client.get(location).json()
    assert created["properties"]["name"] == "Sportello migranti Toledo"
    assert created["properties"]["languages"] == ["it", "ar"]
    assert created["properties"]["mediation_available"] is True
    assert created["geometry"]["coordinates"] == pytest.approx([14.248, 40.845])
    [(source, key_name)] = _sql(
        edit_url, "SELECT s.source, r.key_name FROM service s JOIN ingest_run r "
        "ON r.id = s.ingest_run_id WHERE s.id = :id", id=response.json()["id"])
    assert source.startswith("api-") and key_name == "GdLL napoli"
    again = edit_client.post(ITEMS, content=_json(feature),
                             headers={**keys_of["napoli"], **GEOJSON})
    assert_problem(again, 409, "already has this service")


def test_put_replaces_the_fields_and_keeps_the_private_flags(edit_client, edit_url, keys_of):
    service_id = _service_in(edit_url, "napoli", skip=3)
    _sql(edit_url, "UPDATE service SET private_fields = ARRAY['phone'] WHERE id = :id",
         id=service_id)
    stored = edit_client.get(f"{ITEMS}/{service_id}").json()
    stored["properties"] = {"name": "Nuovo nome", "category": stored["properties"]["category"],
                            "municipality_code": stored["properties"]["municipality_code"],
                            "phone": "081 000 0000"}
    response = edit_client.put(f"{ITEMS}/{service_id}", content=_json(stored),
                               headers={**keys_of["napoli"], **GEOJSON})
    assert response.status_code == 200, response.text
    public = edit_client.get(f"{ITEMS}/{service_id}").json()["properties"]
    assert public["name"] == "Nuovo nome"
    assert public["languages"] == [] and public["email"] is None  # replaced: not given
    assert public["phone"] is None  # still private
    [(phone, private)] = _sql(edit_url, "SELECT phone, private_fields FROM service "
                              "WHERE id = :id", id=service_id)
    assert (phone, private) == ("+390810000000", ["phone"])


def test_delete_closes_the_service_and_keeps_the_row(edit_client, edit_url, keys_of):
    service_id = _service_in(edit_url, "napoli", skip=4)
    total = edit_client.get(ITEMS, params={"limit": 1}).json()["numberMatched"]
    response = edit_client.delete(f"{ITEMS}/{service_id}", headers=keys_of["napoli"])
    assert response.status_code == 200, response.text
    assert_problem(edit_client.get(f"{ITEMS}/{service_id}"), 404)
    page = edit_client.get(ITEMS, params={"limit": 1000}).json()
    assert service_id not in {f["id"] for f in page["features"]}
    assert edit_client.get(ITEMS, params={"limit": 1}).json()["numberMatched"] == total - 1
    [(status, file_name)] = _sql(
        edit_url, "SELECT s.status, r.file_name FROM service s JOIN ingest_run r "
        "ON r.id = s.ingest_run_id WHERE s.id = :id", id=service_id)
    assert (status, file_name) == ("closed", f"DELETE services/{service_id}")
    assert_problem(edit_client.delete(f"{ITEMS}/{service_id}", headers=keys_of["napoli"]), 404)
    patched = edit_client.patch(f"{ITEMS}/{service_id}", content=b"{}",
                                headers={**keys_of["napoli"], **MERGE})
    assert_problem(patched, 404)


def test_number_matched_follows_a_change_made_elsewhere_at_once(edit_client, edit_url):
    """A count is cached by data version, not for a while: a change committed by another
    process (the CLI, the other worker) shows in the next page."""
    service_id = _service_in(edit_url, "napoli", skip=7)
    total = edit_client.get(ITEMS, params={"limit": 1}).json()["numberMatched"]
    assert edit_client.get(ITEMS, params={"limit": 1}).json()["numberMatched"] == total
    _sql(edit_url, "UPDATE service SET status = 'closed', closed_at = now() WHERE id = :id",
         id=service_id)
    assert edit_client.get(ITEMS, params={"limit": 1}).json()["numberMatched"] == total - 1


def test_writes_need_a_key(edit_client, edit_url):
    service_id = _service_in(edit_url, "napoli")
    assert_problem(edit_client.delete(f"{ITEMS}/{service_id}"), 401)
    assert_problem(edit_client.post(ITEMS, content=b"{}", headers=GEOJSON), 401)


def test_part_4_is_declared_and_documented(edit_client):
    classes = edit_client.get("/conformance").json()["conformsTo"]
    part4 = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/"
    assert {f"{part4}create-replace-delete", f"{part4}update"} <= set(classes)
    paths = edit_client.get("/openapi.json").json()["paths"]
    assert "requestBody" in paths[ITEMS]["post"]
    item = paths[f"{ITEMS}/{{feature_id}}"]
    assert {"put", "patch", "delete"} <= set(item)
    assert "application/merge-patch+json" in item["patch"]["requestBody"]["content"]


def test_patch_keeps_private_fields_and_moves_the_point_it_is_given(
    edit_client, edit_url, keys_of
):
    service_id = _service_in(edit_url, "napoli", skip=5)
    _sql(edit_url, "UPDATE service SET private_fields = ARRAY['email'] WHERE id = :id",
         id=service_id)
    [(email, code)] = _sql(edit_url, "SELECT email, municipality_code FROM service "
                           "WHERE id = :id", id=service_id)
    [(lon, lat)] = _sql(edit_url, "SELECT ST_X(point), ST_Y(point) FROM municipality "
                        "WHERE code = :code", code=code)
    response = edit_client.patch(
        f"{ITEMS}/{service_id}", headers={**keys_of["napoli"], **MERGE},
        content=_json({"geometry": {"type": "Point", "coordinates": [lon, lat]},
                       "properties": {"opening_hours": None}}),
    )
    assert response.status_code == 200, response.text
    public = edit_client.get(f"{ITEMS}/{service_id}").json()
    assert public["properties"]["email"] is None and public["properties"]["opening_hours"] is None
    assert public["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-6)
    [(stored_email, private, hours)] = _sql(
        edit_url, "SELECT email, private_fields, opening_hours FROM service WHERE id = :id",
        id=service_id)
    assert (stored_email, private, hours) == (email, ["email"], None)


def _written_in(crs: str, lon: float, lat: float) -> list[float]:
    """lon, lat as written in `crs` (short form), in that CRS's axis order, by pyproj."""
    if crs == "CRS84":
        return [lon, lat]
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    return [y, x] if crs in ("EPSG:4326", "EPSG:6708") else [x, y]


@pytest.mark.parametrize(
    ("crs", "header"),
    [
        ("CRS84", "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"),
        ("EPSG:4326", "<http://www.opengis.net/def/crs/EPSG/0/4326>"),
        ("EPSG:3857", "EPSG:3857"),
        ("EPSG:32633", "<http://www.opengis.net/def/crs/EPSG/0/32633>"),
        ("EPSG:6708", "[EPSG:6708]"),
    ],
)
def test_a_point_written_in_each_crs_lands_where_it_says(
    edit_client, edit_url, keys_of, crs, header
):
    """Content-Crs names the body's CRS (Part 2 with Part 4); axes as that CRS defines."""
    service_id = _service_in(edit_url, "napoli", skip=8)
    [(lon, lat)] = _sql(edit_url, "SELECT ST_X(m.point), ST_Y(m.point) FROM municipality m "
                        "JOIN service s ON s.municipality_code = m.code WHERE s.id = :id",
                        id=service_id)
    lon, lat = lon + len(crs) / 10_000, lat - len(crs) / 20_000  # a new place for each CRS
    response = edit_client.patch(
        f"{ITEMS}/{service_id}",
        headers={**keys_of["napoli"], **MERGE, "Content-Crs": header},
        content=_json({"geometry": {"type": "Point", "coordinates": _written_in(crs, lon, lat)}}),
    )
    assert response.status_code == 200, response.text
    assert "swapped_coordinates" not in response.json()["counts"]  # read in its axis order
    fields = {r["field"] for w in response.json()["warnings"] for r in w["reasons"]}
    assert "lat/lon" not in fields  # e.g. not discarded as far from its comune
    [(x, y)] = _sql(edit_url, "SELECT ST_X(geom), ST_Y(geom) FROM service WHERE id = :id",
                    id=service_id)
    assert (x, y) == pytest.approx((lon, lat), abs=1e-7)


def test_post_and_put_read_the_body_in_the_content_crs(edit_client, edit_url, keys_of):
    lon, lat = 14.2530, 40.8400
    feature = {"type": "Feature",
               "geometry": {"type": "Point", "coordinates": _written_in("EPSG:32633", lon, lat)},
               "properties": {"name": "Sportello in UTM", "category": "INF",
                              "municipality_code": NAPOLI}}
    utm = {**keys_of["napoli"], **GEOJSON,
           "Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/32633>"}
    created = edit_client.post(ITEMS, content=_json(feature), headers=utm)
    assert created.status_code == 201, created.text
    item = edit_client.get(created.headers["location"]).json()
    assert item["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-6)
    feature["geometry"]["coordinates"] = [lat + 0.001, lon]  # EPSG:4326: latitude first
    replaced = edit_client.put(created.headers["location"], content=_json(feature),
                               headers={**utm, "Content-Crs": "EPSG:4326"})
    assert replaced.status_code == 200, replaced.text
    assert "swapped_coordinates" not in replaced.json()["counts"]
    item = edit_client.get(created.headers["location"]).json()
    assert item["geometry"]["coordinates"] == pytest.approx([lon, lat + 0.001], abs=1e-6)


@pytest.mark.parametrize(
    ("header", "coordinates", "fragments"),
    [
        ("EPSG:2154", [652_000, 6_862_000], ("Content-Crs", "EPSG:2154", "32633")),
        ("<http://www.opengis.net/def/crs/EPSG/0/9999999>", [1, 2], ("Content-Crs", "9999999")),
        ("EPSG:32633", [1e9, 1e9], ("not a place", "32633")),
        ("EPSG:4326", [95, 14.25], ("lat",)),  # latitude first: 95 is no latitude
    ],
)
def test_a_wrong_content_crs_is_400_and_changes_nothing(
    edit_client, edit_url, keys_of, header, coordinates, fragments
):
    service_id = _service_in(edit_url, "napoli", skip=9)
    before = fingerprint(edit_url)
    response = edit_client.patch(
        f"{ITEMS}/{service_id}",
        headers={**keys_of["napoli"], **MERGE, "Content-Crs": header},
        content=_json({"geometry": {"type": "Point", "coordinates": coordinates}}),
    )
    assert_problem(response, 400, *fragments)
    assert fingerprint(edit_url) == before


def test_content_crs_is_documented_on_every_write(edit_client):
    paths = edit_client.get("/openapi.json").json()["paths"]
    for path, method in ((ITEMS, "post"), (f"{ITEMS}/{{feature_id}}", "put"),
                         (f"{ITEMS}/{{feature_id}}", "patch")):
        [header] = [p for p in paths[path][method]["parameters"] if p["in"] == "header"]
        assert header["name"] == "Content-Crs" and "32633" in header["description"]
