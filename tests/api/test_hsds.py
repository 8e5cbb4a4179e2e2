import csv
import io
import json
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from api.deps import get_session
from api.main import create_app
from observatory import hsds, keys
from observatory.cli import app as cli_app
from observatory.hsds_tabular import TABLES
from observatory.settings import get_settings
from tests.api.conftest import NAPOLI, POZZUOLI
from tests.helpers import add_service, assert_problem
from tests.hsds_expect import MEMBERS as HSDS_MEMBERS
from tests.hsds_expect import TABLES as HSDS_TABLES
from tests.hsds_expect import assert_hsds


def _names(page):
    return {item["name"] for item in page["contents"]}


def test_hsds_root_gives_version_profile_and_openapi(client):
    body = client.get("/hsds/").json()
    assert body["version"] == "3.1"
    assert body["profile"].startswith("https://")
    assert body["openapi_url"].endswith("/openapi.json")


def test_service_detail_validates_against_hsds_compiled_service(client, services):
    service_id = hsds.entity_uuid("service", services["sportello"].id)
    response = client.get(f"/hsds/services/{service_id}")
    assert response.status_code == 200
    body = response.json()
    assert_hsds(body, "service")
    assert body["id"] == service_id
    assert body["organization"]["name"] == "Comune di Napoli"
    assert {lang["code"] for lang in body["languages"]} == {"it", "en", "ar"}
    assert body["phones"][0]["number"] == "+39 081 000000"
    assert body["schedules"][0]["byday"] == "MO,WE" and body["schedules"][0]["freq"] == "WEEKLY"
    term = body["attributes"][0]["taxonomy_term"]
    assert term["code"] == "DOC-SUI" and term["parent_id"] == hsds.name_uuid("taxonomy_term", "DOC")
    location = body["service_at_locations"][0]["location"]
    assert location["latitude"] == pytest.approx(NAPOLI[1])
    assert location["addresses"][0]["city"] == "Napoli"
    assert location["addresses"][0]["state_province"] == "NA"


def test_malformed_email_and_url_are_left_out_so_hsds_stays_valid(client, services):
    service_id = hsds.entity_uuid("service", services["caserta"].id)
    body = client.get(f"/hsds/services/{service_id}").json()
    assert_hsds(body, "service")
    assert "email" not in body and "url" not in body


def test_services_list_items_validate_and_page_envelope_is_hsds(client, services):
    body = client.get("/hsds/services", params={"per_page": 2}).json()
    assert body["total_items"] == 5 and body["total_pages"] == 3
    assert body["page_number"] == 1 and body["size"] == 2
    assert body["first_page"] and not body["last_page"] and not body["empty"]
    for item in body["contents"]:
        assert_hsds(item, "service")


def test_services_pages_cover_every_service_once(client, services):
    seen = []
    for page in (1, 2, 3):
        body = client.get("/hsds/services", params={"per_page": 2, "page": page}).json()
        seen += [item["id"] for item in body["contents"]]
    assert len(seen) == len(set(seen)) == 5
    assert body["last_page"]


def test_service_ids_are_stable_uuids_of_the_row(client, services):
    first = client.get("/hsds/services").json()["contents"]
    second = client.get("/hsds/services").json()["contents"]
    assert [s["id"] for s in first] == [s["id"] for s in second]
    assert {hsds.entity_number("service", s["id"]) for s in first} == {
        s.id for s in services.values()
    }


def test_services_filter_by_language_spoken(client, services):
    body = client.get("/hsds/services", params={"language": "ar"}).json()
    assert _names(body) == {"Sportello immigrazione", "Centro antiviolenza"}
    sal = client.get("/hsds/service_at_locations", params={"language": "fr"}).json()
    assert [item["service"]["name"] for item in sal["contents"]] == ["ASL sportello stranieri"]


def test_services_filter_by_taxonomy_term_id_includes_children(client, services):
    parent = hsds.name_uuid("taxonomy_term", "SAN")
    body = client.get("/hsds/services", params={"taxonomy_term_id": parent}).json()
    assert _names(body) == {"ASL sportello stranieri"}
    by_code = client.get("/hsds/services", params={"taxonomy_term_id": "DOC-SUI"}).json()
    assert _names(by_code) == {"Sportello immigrazione"}


def test_services_search_matches_name_and_never_private_fields(client, services):
    assert _names(client.get("/hsds/services", params={"search": "sportello"}).json()) == {
        "Sportello immigrazione", "ASL sportello stranieri",
    }
    assert client.get("/hsds/services", params={"search": "Rossi"}).json()["total_items"] == 0
    assert client.get("/hsds/services", params={"search": "100%_"}).json()["total_items"] == 0
    injection = {"search": "'; DROP TABLE service; --"}
    assert client.get("/hsds/services", params=injection).json()["total_items"] == 0


def test_private_fields_are_absent_from_every_public_output(client, services):
    service_id = hsds.entity_uuid("service", services["private"].id)
    outputs = [
        client.get(f"/hsds/services/{service_id}").text,
        client.get("/hsds/services").text,
        client.get("/hsds/service_at_locations").text,
    ]
    archive = zipfile.ZipFile(io.BytesIO(client.get("/hsds/datapackage.zip").content))
    outputs += [archive.read(name).decode() for name in archive.namelist()]
    for output in outputs:
        for secret in ("333 1234567", "maria.rossi@example.org", "Maria Rossi", "Via Privata"):
            assert secret not in output
    detail = json.loads(outputs[0])
    assert "phones" not in detail and "email" not in detail and "organization" not in detail
    assert detail["name"] == "Mediatrice volontaria" and "application_process" not in detail


def test_service_at_locations_validate_against_hsds_list_schema(client, services):
    body = client.get("/hsds/service_at_locations").json()
    assert body["total_items"] == 5
    for item in body["contents"]:
        assert_hsds(item, "service_at_location")
        assert item["service_id"] == item["service"]["id"]


@pytest.mark.parametrize("radius_m", [5_000, 20_000, 30_000])
def test_proximity_returns_exactly_the_services_postgis_finds_nearest_first(
    client, session, services, radius_m
):
    lon, lat = NAPOLI
    body = client.get(
        "/hsds/service_at_locations",
        params={"lat": lat, "lon": lon, "proximity": radius_m, "per_page": 100},
    ).json()
    expected = session.execute(
        text(
            "SELECT id, ST_Distance(geom::geography, ST_MakePoint(:lon, :lat)::geography) AS d "
            "FROM service WHERE ST_Distance(geom::geography, "
            "ST_MakePoint(:lon, :lat)::geography) <= :r ORDER BY d"
        ),
        {"lon": lon, "lat": lat, "r": radius_m},
    ).all()
    got = [hsds.entity_number("service", item["service_id"]) for item in body["contents"]]
    assert got == [row.id for row in expected]
    assert body["total_items"] == len(expected)


def test_proximity_radius_boundary_follows_geodesic_distance(client, session, services):
    lon, lat = NAPOLI
    distance = session.execute(
        text("SELECT ST_Distance(geom::geography, ST_MakePoint(:lon, :lat)::geography) "
             "FROM service WHERE id = :id"),
        {"lon": lon, "lat": lat, "id": services["caserta"].id},
    ).scalar_one()
    params = {"lat": lat, "lon": lon, "taxonomy_term_id": "LAV"}
    inside = client.get("/hsds/service_at_locations", params={**params, "proximity": distance + 1})
    outside = client.get("/hsds/service_at_locations", params={**params, "proximity": distance - 1})
    assert inside.json()["total_items"] == 1 and outside.json()["total_items"] == 0


@pytest.mark.parametrize(
    ("params", "status", "fragment"),
    [
        ({"lat": 95, "lon": 14, "proximity": 1000}, 400, "invalid coordinates"),
        ({"lat": 40, "lon": 14}, 400, "together"),
        ({"lat": "nan", "lon": 14, "proximity": 1000}, 400, "finite"),
        ({"lat": 40, "lon": 14, "proximity": -5}, 400, "proximity"),
        ({"lat": 40, "lon": "x", "proximity": 10}, 400, "lon"),
        ({"per_page": 0}, 400, "per_page"),
        ({"page": 10**12}, 400, "page"),
        ({"search": "a\x00b"}, 400, "search"),
        ({"language": "arabic'; DROP TABLE service;--"}, 400, "language"),
        ({"taxonomy_term_id": "XYZ"}, 404, "unknown taxonomy term"),
    ],
)
def test_bad_list_parameters_answer_a_problem(client, params, status, fragment):
    assert_problem(client.get("/hsds/service_at_locations", params=params), status, fragment)


def test_unknown_service_id_is_404_problem(client, services):
    assert_problem(client.get("/hsds/services/not-a-uuid"), 404, "unknown service")
    location_id = hsds.entity_uuid("location", services["asl"].id)
    assert_problem(client.get(f"/hsds/services/{location_id}"), 404, "unknown service")


def _read_zip(content: bytes) -> tuple[dict, dict[str, list[dict[str, str]]]]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    package = json.loads(archive.read("datapackage.json"))
    tables = {}
    for resource in package["resources"]:
        reader = csv.DictReader(io.StringIO(archive.read(resource["path"]).decode("utf-8")))
        tables[resource["name"]] = (reader.fieldnames, list(reader))
    return package, tables


def test_datapackage_csvs_match_datapackage_json_and_hsds(client, services):
    response = client.get("/hsds/datapackage.zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    package, tables = _read_zip(response.content)
    assert package["profile"] == "tabular-data-package"
    for resource in package["resources"]:
        path, columns = HSDS_TABLES[resource["name"]]
        header, rows = tables[resource["name"]]
        assert resource["path"] == path
        assert header == [field["name"] for field in resource["schema"]["fields"]]
        assert columns <= set(header) <= HSDS_MEMBERS[resource["name"]].keys()
        assert resource["count"] == len(rows)
        assert len({row["id"] for row in rows}) == len(rows)
    ids = {name: {row["id"] for row in rows} for name, (_, rows) in tables.items()}
    _, services_rows = tables["service"]
    assert len(services_rows) == 5
    assert {r["organization_id"] for r in services_rows} - {""} <= ids["organization"]
    for row in tables["service_at_location"][1]:
        assert row["service_id"] in ids["service"] and row["location_id"] in ids["location"]
    for name in ("phone", "schedule", "language", "required_document"):
        assert {row["service_id"] for row in tables[name][1]} <= ids["service"]
    assert {row["taxonomy_term_id"] for row in tables["attribute"][1]} <= ids["taxonomy_term"]
    assert {row["location_id"] for row in tables["address"][1]} <= ids["location"]
    assert len(tables["language"][1]) == 3 + 1 + 1 + 1


def test_datapackage_neutralises_formula_cells(client, services):
    _, tables = _read_zip(client.get("/hsds/datapackage.zip").content)
    names = {row["name"] for row in tables["service"][1]}
    assert "'=HYPERLINK(\"http://evil\")" in names
    assert not any(name.startswith("=") for name in names)


def test_export_cli_writes_the_datapackage_folder_and_zip(use_database, tmp_path):
    runner = CliRunner()
    folder = runner.invoke(cli_app, ["export", "hsds", "--out", str(tmp_path / "pkg")])
    assert folder.exit_code == 0, folder.output
    written = {path.name for path in (tmp_path / "pkg").iterdir()}
    assert written == {"datapackage.json"} | {path for path, _ in TABLES.values()}
    archive = runner.invoke(cli_app, ["export", "hsds", "--out", str(tmp_path / "hsds.zip")])
    assert archive.exit_code == 0, archive.output
    assert set(zipfile.ZipFile(tmp_path / "hsds.zip").namelist()) == written
    assert "taxonomy_term" in archive.output


def test_reads_need_a_key_when_not_public(monkeypatch, session, use_database):
    _, key = keys.create_key(session, "lettore", "operator", ["napoli"])
    session.commit()
    monkeypatch.setenv("PUBLIC_READ", "false")
    get_settings.cache_clear()
    app = create_app()
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app) as client:
        assert_problem(client.get("/hsds/services"), 401, "API key is required")
        assert client.get("/hsds/services", headers={"X-API-Key": key}).status_code == 200


def test_private_opening_hours_hide_the_schedule_parsed_from_them(client, session):
    service = add_service(
        session, *POZZUOLI, name="Sportello a casa", municipality_code=63060,
        opening_hours="mar 15-18", private_fields=["opening_hours"],
        schedule=[{"byday": "TU", "opens_at": "15:00", "closes_at": "18:00"}],
    )
    detail = client.get(f"/hsds/services/{hsds.entity_uuid('service', service.id)}").json()
    assert "15:00" not in json.dumps(detail) and "mar 15-18" not in json.dumps(detail)


def test_ogc_and_hsds_read_languages_by_one_rule(client, session):
    mandinka = add_service(session, *NAPOLI, name="Mediazione mandinka", languages=["mnk"])
    session.commit()
    body = client.get("/hsds/services", params={"language": "MNK", "per_page": 100}).json()
    assert hsds.entity_uuid("service", mandinka.id) in [s["id"] for s in body["contents"]]
    assert client.get("/collections/services/items", params={"language": "mnk"}).status_code == 200
    bad = "arabic"
    ogc = assert_problem(client.get("/collections/services/items", params={"language": bad}), 400)
    answer = assert_problem(client.get("/hsds/services", params={"language": bad}), 400)
    assert ogc["detail"] == answer["detail"] and "ISO 639" in answer["detail"]


def test_ogc_and_hsds_refuse_half_a_circle_alike(client):
    ogc = client.get("/services/within", params={"lat": 40.8, "lon": 14.2})
    answer = client.get("/hsds/services", params={"lat": 40.8, "lon": 14.2})
    assert "a circle needs lat, lon and radius_km together" in assert_problem(ogc, 400)["detail"]
    assert "a circle needs lat, lon and proximity" in assert_problem(answer, 400)["detail"]
