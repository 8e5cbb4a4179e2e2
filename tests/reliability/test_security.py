"""Security: personal fields stay private, names are escaped, CSV cells cannot run, the
researchers' role reads only public data, CORS is closed by default, errors hide their details."""

from __future__ import annotations

import csv
import hmac
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import psycopg
import pytest
import shapely
from fastapi.testclient import TestClient
from psycopg import errors
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from api.deps import get_session
from api.main import create_app
from ingest.pipeline import IngestOptions, ingest_file
from observatory import db, keys, roles
from observatory.db import libpq_url
from observatory.exports import write_export
from observatory.hsds_tabular import write_folder
from observatory.service_export import export_services
from observatory.settings import get_settings
from tests.clusters import cluster_url
from tests.helpers import assert_problem, run_cli
from tests.ingest.helpers import write_sheet

SCRIPT = '<script>alert("xss")</script>'
PERSONAL = ("333 7654321", "3337654321", "mario.rossi@example.org", "Mario Rossi")
FORMULA_STARTS = ("=", "+", "-", "@")
NEAR_POTENZA = "15.79,40.63,15.82,40.65"
HEADER = ["nome", "categoria", "indirizzo", "comune", "provincia", "lat", "lon", "telefono",
          "email", "ente", "riservato"]
ROWS = [
    [f"{SCRIPT} Sportello", "SAN", "Via Pretoria 1", "Potenza", "PZ", "40,6404", "15,8056",
     "+39 333 7654321", "mario.rossi@example.org", "Mario Rossi", "telefono, e-mail, ente"],
    ['=HYPERLINK("http://evil.example","clic")', "SAN", "@Via Roma 2", "Potenza", "PZ",
     "40,6410", "15,8000", "", "", "-2+3", ""],
    ["+Sportello fantasma", "SAN", "=Via 3", "=Atlantide", "PZ", "", "", "", "", "", ""],
]


@pytest.fixture(scope="module")
def published(live_cluster, tmp_path_factory) -> Iterator[Path]:
    """The hostile sheet ingested (committed) into the cluster; yields its rejection report."""
    folder = tmp_path_factory.mktemp("hostile")
    sheet = write_sheet(folder / "ostile.csv", ROWS, header=HEADER, encoding="utf-8")
    report = folder / "ostile.rejections.csv"
    engine = create_engine(cluster_url(live_cluster))
    with Session(engine) as session, session.begin():
        ingest_file(session, sheet, IngestOptions(source="ostile", report_path=report))
    engine.dispose()
    yield report


def _service_ids(url: str) -> list[int]:
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute("SELECT id FROM service WHERE source = 'ostile' ORDER BY id")
        return [row[0] for row in rows]


def _public_bodies(client: TestClient, service_id: int) -> dict[str, str]:
    """Every public answer that may show the services near Potenza."""
    paths = [
        f"/collections/services/items?bbox={NEAR_POTENZA}",
        f"/collections/services/items/{service_id}",
        "/services/nearest?lat=40.6404&lon=15.8056&k=5",
        "/services/within?lat=40.6404&lon=15.8056&radius_km=2",
        "/hsds/services?lat=40.6404&lon=15.8056&proximity=2000",
        "/hsds/service_at_locations?lat=40.6404&lon=15.8056&proximity=2000",
        "/maps/basilicata/coverage?tiles=false&standalone=true",  # served pages read tiles
        f"/trova/servizio/{service_id}",
    ]
    bodies = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        assert "Pretoria" in response.text, path
        bodies[path] = response.text
    archive = zipfile.ZipFile(io.BytesIO(client.get("/hsds/datapackage.zip").content))
    bodies |= {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    return bodies


def _exports(url: str, folder: Path) -> dict[str, str]:
    """The service registry as CSV (both dialects) and GeoJSON, and the HSDS datapackage."""
    engine = create_engine(url)
    with Session(engine) as session:
        for name, dialect in (("services.csv", "standard"), ("servizi.csv", "it"),
                              ("services.geojson", "standard")):
            export_services(session, folder / name, region="basilicata", csv_dialect=dialect)
        write_folder(session, folder / "hsds")
    engine.dispose()
    return {
        str(path.relative_to(folder)): path.read_text(encoding="utf-8-sig")
        for path in sorted(folder.rglob("*")) if path.is_file()
    }


def test_private_fields_are_stored_but_absent_from_every_public_surface(
    published, live_cluster, cluster_client, tmp_path
):
    url = cluster_url(live_cluster)
    with psycopg.connect(libpq_url(url)) as conn:
        phone, fields = conn.execute(
            "SELECT phone, private_fields FROM service WHERE source = 'ostile' AND phone > ''"
        ).fetchone()
    assert phone == "+393337654321"  # E.164, as the ingest stores phones
    assert fields == ["email", "organization_name", "phone"]
    bodies = _public_bodies(cluster_client, _service_ids(url)[0]) | _exports(url, tmp_path)
    assert any("Sportello" in body for body in bodies.values())
    for where, body in bodies.items():
        for personal in PERSONAL:
            assert personal not in body, (where, personal)


def test_private_option_marks_fields_of_every_row_and_unknown_names_exit_2(
    session, tmp_path, use_database, monkeypatch, capsys
):
    rows = [["Sportello A", "SAN", "Via Pretoria 1", "Potenza", "PZ", "40,6404", "15,8056",
             "0971 1", "a@example.org", "Ente", "url"]]
    sheet = write_sheet(tmp_path / "s.csv", rows, header=HEADER, encoding="utf-8")
    ingest_file(session, sheet, IngestOptions(source="opzione", private_fields={"phone"}))
    stored = session.execute(text("SELECT private_fields FROM service WHERE source = 'opzione'"))
    assert stored.scalar_one() == ["phone", "url"]
    code, _, err = run_cli(monkeypatch, capsys, "ingest", str(sheet), "--private", "segreto")
    assert code == 2 and "--private segreto" in err


def test_html_in_names_is_escaped_in_html_pages_and_maps(published, live_cluster, cluster_client):
    service_id = _service_ids(cluster_url(live_cluster))[0]
    for path in (f"/collections/services/items?f=html&bbox={NEAR_POTENZA}",
                 f"/collections/services/items/{service_id}?f=html",
                 "/maps/basilicata/coverage?tiles=false&standalone=true",
                 f"/trova/servizio/{service_id}"):
        page = cluster_client.get(path).text
        assert "alert(" in page, path
        assert SCRIPT not in page, path


def _cells(name: str, body: str) -> list[str]:
    delimiter = ";" if body.startswith("row;") or name.startswith("servizi") else ","
    return [cell for row in csv.reader(io.StringIO(body), delimiter=delimiter) for cell in row]


def test_every_csv_written_neutralises_formula_cells(published, live_cluster, tmp_path):
    frame = gpd.GeoDataFrame(
        {"comune": ["=cmd|' /C calc'!A0", "@SUM(A1)"], "note": ["+1", "-1"]},
        geometry=[shapely.Point(15.8, 40.6)] * 2, crs=4326,
    )
    write_export(frame, tmp_path / "analisi.csv", {"parameters": {"x": "=1"}}, "a", "it")
    write_export(frame, tmp_path / "analysis.csv", {"parameters": {}}, "a")
    written = _exports(cluster_url(live_cluster), tmp_path) | {
        "report": published.read_text(encoding="utf-8-sig"),
    }
    csvs = {name: body for name, body in written.items() if not name.endswith((".json", "geojson"))}
    assert len(csvs) > 5
    cells = [cell for name, body in csvs.items() for cell in _cells(name, body)]
    assert "'=HYPERLINK(\"http://evil.example\",\"clic\")" in cells
    assert "'=Atlantide" in cells and "'=cmd|' /C calc'!A0" in cells and "'-1" in cells
    assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)] == []


def test_reader_role_reads_public_data_and_nothing_else(published, live_cluster):
    url = libpq_url(cluster_url(live_cluster))
    with psycopg.connect(url) as conn:
        assert roles.create_reader(conn, "ricerca", "segreta") is True
    with psycopg.connect(url) as conn:
        assert roles.create_reader(conn, "ricerca", "nuova") is False
    reader = psycopg.connect(url.replace("postgres@", "ricerca:nuova@"), autocommit=True)
    with reader:
        phones = reader.execute(
            "SELECT phone, organization_name FROM service_public WHERE source = 'ostile'"
        ).fetchall()
        assert ("+39 333 7654321", "Mario Rossi") not in phones and len(phones) == 2
        assert reader.execute("SELECT count(*) FROM municipality").fetchone()[0] > 1000
        assert reader.execute(
            "SELECT type, srid FROM geometry_columns WHERE f_table_name = 'service_public'"
        ).fetchone() == ("POINT", 4326)  # QGIS lists it as a point layer
        assert reader.execute("SELECT count(*) FROM analysis_result").fetchone()[0] > 0
        for statement in (
            "SELECT * FROM service", "SELECT * FROM ingest_rejection", "SELECT * FROM api_key",
            "SELECT * FROM ingest_run", "SELECT * FROM geocode_cache",
            "DELETE FROM municipality", "UPDATE service_category SET label_it = 'x'",
            "INSERT INTO region (code, name) VALUES (99, 'x')", "CREATE TABLE mine (id int)",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                reader.execute(statement)


def test_create_reader_cli_prints_the_url_with_a_fresh_password_once(
    live_cluster, monkeypatch, capsys
):
    monkeypatch.setenv("DATABASE_URL", cluster_url(live_cluster))
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    code, out, err = run_cli(monkeypatch, capsys, "db", "create-reader", "lettore")
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    assert code == 0, err
    assert "role lettore created" in out
    url = out.splitlines()[-1]
    assert url.startswith("postgresql://lettore:") and "***" not in url
    with psycopg.connect(url) as reader, pytest.raises(errors.InsufficientPrivilege):
        reader.execute("SELECT phone FROM service")


def test_reader_role_name_must_be_a_plain_identifier(live_cluster):
    with psycopg.connect(libpq_url(cluster_url(live_cluster))) as conn, pytest.raises(
        Exception, match="lower-case letters"
    ):
        roles.create_reader(conn, 'x"; DROP ROLE postgres; --', "p")


@pytest.fixture
def app_with(monkeypatch, use_database) -> Iterator[callable]:
    """Build the app after setting environment variables (settings are read once)."""

    def build(**env: str) -> TestClient:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        db.get_engine.cache_clear()
        return TestClient(create_app(), raise_server_exceptions=False)

    return build


def test_cors_is_closed_by_default(app_with):
    response = app_with().get("/healthz", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_cors_allows_only_the_configured_origins(app_with):
    client = app_with(CORS_ORIGINS='["https://gis.example.org"]')
    allowed = client.get("/healthz", headers={"Origin": "https://gis.example.org"})
    assert allowed.headers["access-control-allow-origin"] == "https://gis.example.org"
    other = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = client.options(
        "/collections", headers={"Origin": "https://gis.example.org",
                                 "Access-Control-Request-Method": "DELETE"},
    )
    assert preflight.status_code == 400


def test_an_unexpected_error_is_a_500_problem_without_its_details(app_with):
    client = app_with()

    def broken_session() -> Iterator[Session]:
        raise RuntimeError("password=hunter2 in /etc/osservatorio/secret.env")
        yield

    client.app.dependency_overrides[get_session] = broken_session
    response = client.get("/hsds/services")
    body = assert_problem(response, 500, "internal error")
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert "RuntimeError" not in response.text and body["title"] == "Internal Server Error"


def test_keys_are_compared_in_constant_time_even_when_the_prefix_is_unknown(
    session, monkeypatch
):
    _, key = keys.create_key(session, "GdLL", "operator", ["napoli"])
    compared = []
    compare = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        compared.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(keys.hmac, "compare_digest", spy)
    keys.authenticate(session, key)
    with pytest.raises(Exception, match="unknown or wrong"):
        keys.authenticate(session, "osv_00000000_" + "a" * 43)
    assert len(compared) == 2 and all(len(a) == len(b) == 64 for a, b in compared)
    stored = session.execute(text("SELECT t::text FROM api_key t")).scalars().all()
    assert not any(key.split("_", 2)[2] in row for row in stored)
