import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.deps import get_session
from api.main import create_app
from ingest.pipeline import IngestOptions, ingest_file
from observatory import keys
from observatory.settings import get_settings
from tests.helpers import assert_problem, run_cli

CSV = "text/csv"
HEADER = "nome;indirizzo;comune;cap;latitudine;longitudine;lingue\n"
NAPOLI_ROW = "Sportello migranti;Via Toledo 1;Napoli;80134;40.8450;14.2480;it,ar\n"
PALERMO_ROW = "Centro Palermo;Via Roma 1;Palermo;90133;38.1157;13.3615;it\n"
SURVEY = (HEADER + NAPOLI_ROW + PALERMO_ROW).encode()


@pytest.fixture
def napoli_key(session):
    _, key = keys.create_key(session, "GdLL Napoli", "operator", ["napoli"])
    session.commit()
    return key


def _upload(client, headers=None, name="survey.csv", content=SURVEY, ctype=CSV, **form):
    return client.post(
        "/ingest/upload",
        headers=headers or {},
        files={"file": (name, content, ctype)},
        data={"source": "test-upload", **form},
    )


def test_upload_without_key_is_401_with_bearer_challenge(client):
    response = _upload(client)
    assert_problem(response, 401, "API key is required")
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer osv_00000000_notakey"},
        {"Authorization": "Bearer garbage"},
        {"X-API-Key": "osv_deadbeef_also-not-a-key"},
    ],
)
def test_upload_with_wrong_key_is_401(client, napoli_key, headers):
    assert_problem(_upload(client, headers), 401)


def test_upload_with_revoked_key_is_403(client, session, napoli_key):
    keys.revoke_key(session, napoli_key.split("_")[1])
    session.commit()
    response = _upload(client, {"Authorization": f"Bearer {napoli_key}"})
    assert_problem(response, 403, "revoked")


def test_upload_with_other_area_key_is_forbidden(client, napoli_key):
    response = _upload(client, {"Authorization": f"Bearer {napoli_key}"}, area="palermo")
    assert_problem(response, 403, "may write napoli", "not area 'palermo'")


@pytest.mark.parametrize(
    ("name", "content", "ctype", "fragment"),
    [
        ("survey.exe", b"MZ\x90\x00", "application/octet-stream", "reads .csv"),
        ("survey.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png", "declared as"),
        ("survey.csv", b"\x00\x01\x02garbage\x00", "text/csv", "binary data"),
        ("survey.xlsx", b"not a zip", "application/octet-stream", "not an Excel"),
    ],
)
def test_upload_with_right_key_and_unsupported_file_is_415(
    client, napoli_key, name, content, ctype, fragment
):
    response = _upload(
        client, {"X-API-Key": napoli_key}, name=name, content=content, ctype=ctype
    )
    assert_problem(response, 415, fragment)


def test_upload_field_with_a_nul_byte_is_400(client, napoli_key):
    response = _upload(client, {"X-API-Key": napoli_key}, area="napoli\x00")
    assert_problem(response, 400, "area")


def test_upload_column_map_must_be_a_json_object(client, napoli_key):
    response = _upload(client, {"X-API-Key": napoli_key}, column_map="[1, 2]")
    assert_problem(response, 400, "column_map")


def test_upload_above_the_size_limit_is_413(monkeypatch, session, use_database, napoli_key):
    monkeypatch.setenv("UPLOAD_MAX_BYTES", "2000")
    get_settings.cache_clear()
    app = create_app()
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app) as client:
        response = _upload(client, {"X-API-Key": napoli_key}, content=SURVEY * 50)
    assert_problem(response, 413)


def test_upload_without_declared_size_is_411(client, napoli_key):
    response = client.post(
        "/ingest/upload",
        headers={"X-API-Key": napoli_key, "Content-Type": "multipart/form-data; boundary=b"},
        content=(chunk for chunk in [b"--b\r\n", b"chunked\r\n--b--\r\n"]),
    )
    assert_problem(response, 411, "Content-Length")


def test_upload_without_source_is_400(client, napoli_key):
    response = client.post(
        "/ingest/upload",
        headers={"X-API-Key": napoli_key},
        files={"file": ("survey.csv", SURVEY, CSV)},
    )
    assert_problem(response, 400, "source")


# The two tests below need the real ingest pipeline (`ingest.pipeline`, ingest branch):
# they fail until it is merged.
def test_upload_runs_the_pipeline_and_writes_only_the_key_area(client, session, napoli_key):
    response = _upload(client, {"Authorization": f"Bearer {napoli_key}"}, category="INF")
    assert response.status_code == 200, response.text
    report = response.json()
    assert {"run_id", "counts", "rejections"} <= report.keys()
    assert (report["key_prefix"], report["key_name"]) == (napoli_key.split("_")[1], "GdLL Napoli")
    [palermo] = report["rejections"]
    assert [reason["code"] for reason in palermo["reasons"]] == ["outside_allowed_areas"]
    stored = session.execute(
        text(
            "SELECT a.area_code FROM service s "
            "LEFT JOIN area_municipality a ON a.municipality_code = s.municipality_code "
            "WHERE s.source = 'test-upload'"
        )
    ).scalars().all()
    assert stored == ["napoli"]


def test_upload_with_no_row_in_the_key_areas_is_403_and_stores_nothing(
    client, session, napoli_key
):
    content = (HEADER + PALERMO_ROW).encode()
    response = _upload(client, {"X-API-Key": napoli_key}, content=content, category="INF")
    assert_problem(response, 403, "none of the 1 rows", "napoli")
    runs = session.execute(text("SELECT count(*) FROM ingest_run WHERE source = 'test-upload'"))
    assert runs.scalar_one() == 0


ID_HEADER = "id;" + HEADER
PALERMO_SERVICE_SQL = text(
    "SELECT name, municipality_code, ST_AsText(geom) AS geom, updated_at FROM service "
    "WHERE source = 'esempio' AND source_key = 'id:P1'"
)
COUNTS_SQL = text(
    "SELECT (SELECT count(*) FROM service), (SELECT count(*) FROM ingest_run), "
    "(SELECT count(*) FROM ingest_rejection), (SELECT count(*) FROM source_owner)"
)


def _read(session, statement):
    """One row, read outside the route's transaction (ended so the route can begin its own)."""
    row = session.execute(statement).one()
    session.commit()
    return row


@pytest.fixture
def palermo_service(session, tmp_path):
    """Service P1 of source `esempio` in Palermo, stored by the command line; as stored."""
    path = tmp_path / "palermo.csv"
    path.write_text(ID_HEADER + "P1;" + PALERMO_ROW, encoding="utf-8")
    ingest_file(session, path, IngestOptions(source="esempio", category="INF"))
    session.commit()
    return _read(session, PALERMO_SERVICE_SQL)


def test_napoli_key_cannot_overwrite_a_palermo_service_of_the_same_source(
    client, session, napoli_key, palermo_service
):
    moved = "P1;Rinominato;Via Toledo 1;Napoli;80134;40.8450;14.2480;it\n"
    content = (ID_HEADER + moved + "N1;" + NAPOLI_ROW).encode()
    response = _upload(
        client, {"X-API-Key": napoli_key}, content=content, category="INF", source="esempio"
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["counts"]["updated"] == 0 and report["counts"]["inserted"] == 1
    [refused] = report["rejections"]
    assert refused["row"] == 2
    [reason] = refused["reasons"]
    assert reason["code"] == "service_outside_allowed_areas"
    assert "Palermo (PA), area palermo" in reason["message"]
    assert session.execute(PALERMO_SERVICE_SQL).one() == palermo_service
    stored = session.execute(
        text("SELECT row_number, reasons FROM ingest_rejection WHERE run_id = :run"),
        {"run": report["run_id"]},
    ).one()
    assert stored.row_number == 2
    assert stored.reasons[0]["code"] == "service_outside_allowed_areas"


def test_an_upload_that_only_overwrites_another_area_is_403_and_stores_nothing(
    client, session, napoli_key, palermo_service
):
    before = _read(session, COUNTS_SQL)
    content = (ID_HEADER + "P1;Rinominato;Via Toledo 1;Napoli;80134;40.8450;14.2480;it\n")
    response = _upload(
        client, {"X-API-Key": napoli_key}, content=content.encode(), category="INF",
        source="esempio",
    )
    assert_problem(response, 403, "none of the 1 rows", "Centro Palermo")
    assert session.execute(COUNTS_SQL).one() == before
    assert session.execute(PALERMO_SERVICE_SQL).one() == palermo_service


def test_rows_all_outside_with_one_also_invalid_is_403_and_stores_nothing(
    client, session, napoli_key
):
    before = _read(session, COUNTS_SQL)
    invalid = ";Via Roma 2;Palermo;90133;38.1157;13.3615;it\n"  # no name, and in Palermo
    content = (HEADER + PALERMO_ROW + invalid).encode()
    response = _upload(client, {"X-API-Key": napoli_key}, content=content, category="INF")
    assert_problem(response, 403, "none of the 2 rows", "napoli")
    assert session.execute(COUNTS_SQL).one() == before


def test_a_key_writing_a_source_another_key_created_is_403(client, session, napoli_key):
    assert _upload(client, {"X-API-Key": napoli_key}, category="INF").status_code == 200
    _, palermo_key = keys.create_key(session, "GdLL Palermo", "operator", ["palermo"])
    session.commit()
    before = _read(session, COUNTS_SQL)
    content = (HEADER + PALERMO_ROW).encode()
    response = _upload(client, {"X-API-Key": palermo_key}, content=content, category="INF")
    body = assert_problem(
        response, 403, "source 'test-upload' belongs to 'GdLL Napoli'", "area napoli"
    )
    assert napoli_key.split("_")[1] not in str(body)
    assert session.execute(COUNTS_SQL).one() == before


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        ("decimal", "x", "use '.' or ','"),
        ("delimiter", "ab", "delimiter 'ab'"),
        ("encoding", "rot13", "cannot decode the file as rot13"),
        ("sheet", " ", "sheet is blank"),
        ("category", "SAN\x00", "category holds a NUL byte"),
    ],
)
def test_a_bad_ingest_option_is_refused_alike_by_the_cli_and_the_upload(
    client, napoli_key, monkeypatch, capsys, tmp_path, option, value, fragment
):
    response = _upload(client, {"X-API-Key": napoli_key}, **{option: value})
    detail = assert_problem(response, 400, fragment)["detail"]
    path = tmp_path / "survey.csv"
    path.write_bytes(SURVEY)
    code, out, err = run_cli(monkeypatch, capsys, "ingest", str(path), f"--{option}", value)
    assert code != 0
    assert detail in " ".join((out + err).split()), out + err


def test_empty_option_fields_are_options_left_out(client, napoli_key):
    fields = {name: "" for name in ("category", "sheet", "delimiter", "encoding", "decimal")}
    response = _upload(client, {"X-API-Key": napoli_key}, **fields)
    assert response.status_code == 200, response.text  # read with every option detected
    assert response.json()["run_id"]
