"""Hostile files: each is refused with its reason by `ingest_file` and the CLI, storing nothing.

The files (built in tests/reliability/hostile.py and here): GDAL VRTs disguised as GeoJSON
(a local file read, a /vsicurl request), an xlsx bomb, a 2M-row CSV, a 200k-column header,
a polygon, wrong extensions, a GeoPackage with a view and a trigger. Peak memory is measured
in a subprocess.
"""

from __future__ import annotations

import hashlib
import re
import socket
import sqlite3
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.deps import get_session
from api.main import create_app
from ingest.columns import GEOMETRY_LAT, GEOMETRY_LON
from ingest.limits import Limits
from ingest.read import read_table
from observatory import keys
from observatory.errors import InvalidInput, LimitExceeded
from observatory.settings import get_settings
from tests.helpers import assert_problem, run_cli
from tests.ingest.helpers import reasons, run, services
from tests.reliability.conftest import fingerprint
from tests.reliability.hostile import (
    OS_RELEASE,
    csv_named_xlsx,
    features_geojson,
    million_rows_csv,
    os_release_vrt,
    vsicurl_vrt,
    wide_header_csv,
    xlsx_bomb,
    xlsx_named_csv,
)

UPLOAD_ROWS = get_settings().upload_max_rows


def _gpkg_point(lon: float, lat: float) -> bytes:
    """A GeoPackage geometry blob of a point, no envelope, little-endian, SRS 4326."""
    return b"GP\x00\x01" + struct.pack("<i", 4326) + struct.pack("<BIdd", 1, 1, lon, lat)


def gpkg_with_view_and_trigger(path: Path) -> Path:
    """A GeoPackage whose `servizi` table has a trigger and whose `vista` layer is a view."""
    connection = sqlite3.connect(path)
    connection.executescript(
        """
        PRAGMA application_id = 1196444487;
        CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY,
            organization TEXT, organization_coordsys_id INTEGER, definition TEXT,
            description TEXT);
        INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84', 4326, 'EPSG', 4326, '', '');
        CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT,
            identifier TEXT, description TEXT, last_change TEXT, min_x REAL, min_y REAL,
            max_x REAL, max_y REAL, srs_id INTEGER);
        CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT,
            geometry_type_name TEXT, srs_id INTEGER, z TINYINT, m TINYINT);
        CREATE TABLE servizi (fid INTEGER PRIMARY KEY, geom BLOB, nome TEXT, comune TEXT,
            categoria TEXT);
        CREATE TABLE audit (note TEXT);
        CREATE TRIGGER spy AFTER UPDATE ON servizi BEGIN INSERT INTO audit VALUES ('x'); END;
        CREATE VIEW vista AS SELECT fid, geom, nome || ' (vista)' AS nome, comune, categoria
            FROM servizi;
        INSERT INTO gpkg_contents (table_name, data_type, srs_id)
            VALUES ('servizi', 'features', 4326), ('vista', 'features', 4326);
        INSERT INTO gpkg_geometry_columns
            VALUES ('servizi', 'geom', 'POINT', 4326, 0, 0), ('vista', 'geom', 'POINT', 4326, 0, 0);
        """
    )
    connection.execute(
        "INSERT INTO servizi (geom, nome, comune, categoria) VALUES (?, ?, ?, ?)",
        (_gpkg_point(14.2681, 40.8518), "Sportello GPKG", "Napoli", "INF"),
    )
    connection.commit()
    connection.close()
    return path


REFUSED: list[tuple[str, Callable[[Path], Path], list[str], str, type[Exception]]] = [
    ("servizi.geojson", os_release_vrt, [], "not valid JSON", InvalidInput),
    ("servizi.vrt", os_release_vrt, [], "files only", InvalidInput),
    ("bomb.xlsx", xlsx_bomb, [], "expands", LimitExceeded),
    ("righe.csv", million_rows_csv, ["--max-rows", "50000"], "more than 50,000 rows",
     LimitExceeded),
    ("larga.csv", wide_header_csv, [], "the first line is longer than", LimitExceeded),
    ("larga.csv", wide_header_csv, ["--max-header-bytes", "2000000"],
     "row 1 has 200,000 columns", LimitExceeded),
    ("foglio.csv", xlsx_named_csv, [], "name it .xlsx", InvalidInput),
    ("testo.xlsx", csv_named_xlsx, [], "not an .xlsx (zip) file", InvalidInput),
]
IDS = [f"{name}{''.join(options)}" for name, _, options, _, _ in REFUSED]


def _counts(session) -> tuple[int, int]:
    return tuple(
        session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
        for table in ("service", "ingest_run")
    )


def _upload_limits(options: list[str]) -> Limits:
    """The upload limits, with a CLI flag of the case applied the same way."""
    flags = dict(zip(options[::2], options[1::2], strict=True))
    overrides = {k.removeprefix("--").replace("-", "_"): int(v) for k, v in flags.items()}
    return Limits(**{**Limits.for_upload().__dict__, **overrides})


@pytest.mark.parametrize(("name", "make", "options", "message", "error"), REFUSED, ids=IDS)
def test_hostile_file_is_refused_by_ingest_file_and_stores_nothing(
    session, tmp_path, name, make, options, message, error
):
    path = make(tmp_path / name)
    before = _counts(session)
    with pytest.raises(error, match=re.escape(message)) as refusal:
        run(session, path, "ostile", limits=_upload_limits(options))
    assert str(tmp_path) not in str(refusal.value)
    assert "GDAL" not in str(refusal.value) and "VERSION_ID" not in str(refusal.value)
    assert _counts(session) == before


@pytest.mark.parametrize(("name", "make", "options", "message", "error"), REFUSED, ids=IDS)
def test_hostile_file_is_refused_by_the_cli_with_exit_2(
    use_database, tmp_path, monkeypatch, capsys, name, make, options, message, error
):
    path = make(tmp_path / name)
    before = fingerprint(use_database)
    code, out, stderr = run_cli(monkeypatch, capsys, "ingest", str(path), "--source", "ostile",
                                *options)
    assert code == 2, (out, stderr)
    assert message in " ".join(stderr.split()), stderr
    assert "Traceback" not in stderr
    assert fingerprint(use_database) == before


def test_limit_message_names_the_value_the_setting_and_the_flag(tmp_path):
    path = million_rows_csv(tmp_path / "righe.csv", rows=2_000)
    limits = _upload_limits(["--max-rows", "1000"])
    with pytest.raises(LimitExceeded) as refusal:
        read_table(path, limits=limits)
    assert str(refusal.value) == (
        "righe.csv: more than 1,000 rows; the limit is 1,000 rows (setting UPLOAD_MAX_ROWS "
        "for uploads, `observatory ingest --max-rows N` on the command line)"
    )


def testvsicurl_vrt_sends_no_request(session, tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(1.0)
        port = listener.getsockname()[1]
        for name in ("x.geojson", "x.json", "x.gpkg", "x.csv"):
            path = vsicurl_vrt(port)(tmp_path / name)
            with pytest.raises(InvalidInput):
                run(session, path, "ostile")
        with pytest.raises(TimeoutError):
            listener.accept()


def test_os_release_lines_are_never_read(session, tmp_path):
    marker = Path(OS_RELEASE).read_text().splitlines()[0]
    for name in ("servizi.geojson", "servizi.json", "servizi.gpkg"):
        path = os_release_vrt(tmp_path / name)
        with pytest.raises(InvalidInput) as refusal:
            run(session, path, "ostile")
        assert marker not in str(refusal.value)
    assert services(session, "ostile") == []


def test_xlsx_member_above_the_ratio_is_refused_before_extraction(tmp_path):
    path = xlsx_bomb(tmp_path / "rapporto.xlsx", expanded_mib=8)
    with pytest.raises(LimitExceeded, match=r"member xl/worksheets/sheet1.xml expands [\d,]+ "
                       r"times.*UPLOAD_MAX_XLSX_RATIO"):
        read_table(path)


def test_polygon_feature_is_a_rejected_row_not_a_comune_point(session, tmp_path):
    square = [[[14.2, 40.8], [14.3, 40.8], [14.3, 40.9], [14.2, 40.8]]]
    features = [
        {"type": "Feature", "properties": {"nome": "Punto", "comune": "Napoli",
                                           "categoria": "INF"},
         "geometry": {"type": "Point", "coordinates": [14.2681, 40.8518]}},
        {"type": "Feature", "properties": {"nome": "Poligono", "comune": "Napoli",
                                           "categoria": "INF"},
         "geometry": {"type": "Polygon", "coordinates": square}},
        {"type": "Feature", "properties": {"nome": "Fuori", "comune": "Napoli",
                                           "categoria": "INF"},
         "geometry": {"type": "Point", "coordinates": [240.0, 40.85]}},
    ]
    path = tmp_path / "poligoni.geojson"
    path.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": features}))
    report = run(session, path, "poligoni")
    assert reasons(report) == {2: ["geometry_not_point"], 3: ["invalid_coordinates"]}
    assert "Polygon" in report.rejections[0]["reasons"][0]["message"]
    assert [s.name for s in services(session, "poligoni")] == ["Punto"]


def test_geojson_with_a_foreign_crs_is_refused(tmp_path):
    path = tmp_path / "utm.geojson"
    path.write_bytes(orjson.dumps({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32633"}},
        "features": [],
    }))
    with pytest.raises(InvalidInput, match="RFC 7946 GeoJSON is WGS84"):
        read_table(path)


def test_geopackage_view_is_refused_table_read_and_file_untouched(session, tmp_path):
    path = gpkg_with_view_and_trigger(tmp_path / "servizi.gpkg")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(InvalidInput, match="'vista' is a view"):
        read_table(path, sheet="vista")
    table = read_table(path)
    assert [row["nome"] for _, row in table.rows] == ["Sportello GPKG"]
    assert (table.rows[0][1][GEOMETRY_LON], table.rows[0][1][GEOMETRY_LAT]) == (
        "14.2681", "40.8518"
    )
    report = run(session, path, "gpkg")
    assert report.counts["inserted"] == 1
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["servizi.gpkg"]


def test_geopackage_polygon_is_a_rejected_row(tmp_path):
    path = gpkg_with_view_and_trigger(tmp_path / "poligono.gpkg")
    polygon = struct.pack("<BII", 1, 3, 1) + struct.pack("<I", 4) + struct.pack(
        "<8d", 14.2, 40.8, 14.3, 40.8, 14.3, 40.9, 14.2, 40.8
    )
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO servizi (geom, nome, comune) VALUES (?, 'Area', 'Napoli')",
            (b"GP\x00\x01" + struct.pack("<i", 4326) + polygon,),
        )
    table = read_table(path)
    assert [r.code for r in table.refusals[2]] == ["geometry_not_point"]
    assert table.rows[1][1][GEOMETRY_LON] == ""


PEAK_MEMORY = """
import sys
from pathlib import Path
from ingest.limits import Limits
from ingest.read import read_table
from observatory.errors import InvalidInput
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")
try:
    read_table(Path(sys.argv[1]), limits=Limits.for_upload())
except InvalidInput as error:
    print(error)
with open("/proc/self/status") as status:
    print(next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) // 1024)
"""


@pytest.mark.parametrize(
    ("make", "message", "suffix"),
    [
        (million_rows_csv, f"more than {UPLOAD_ROWS:,} rows", ".csv"),
        (features_geojson, f"more than {UPLOAD_ROWS:,} rows", ".geojson"),
        (xlsx_bomb, "expands to", ".xlsx"),
    ],
    ids=["2M-row CSV", "500k-feature GeoJSON", "xlsx bomb"],
)
def test_hostile_files_are_refused_in_bounded_memory(tmp_path, make, message, suffix):
    path = make(tmp_path / f"ostile{suffix}")
    result = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY, str(path)], capture_output=True, text=True,
        check=True,
    )
    refusal, peak_mb = result.stdout.splitlines()
    assert message in refusal
    assert int(peak_mb) < 300, peak_mb


@pytest.fixture
def upload_client(monkeypatch, session, use_database):
    """An app whose upload row limit is 100, on the test's session, and an operator key."""
    monkeypatch.setenv("UPLOAD_MAX_ROWS", "100")
    get_settings.cache_clear()
    _, key = keys.create_key(session, "GdLL ostile", "operator", ["napoli"])
    session.commit()
    app = create_app()
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app) as client:
        yield client, {"X-API-Key": key}
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("name", "make", "status", "fragments"),
    [
        ("righe.csv", lambda p: million_rows_csv(p, rows=1_000), 413,
         ["righe.csv: more than 100 rows", "UPLOAD_MAX_ROWS"]),
        ("larga.csv", wide_header_csv, 413, ["UPLOAD_MAX_HEADER_BYTES"]),
        ("servizi.geojson", os_release_vrt, 400, ["servizi.geojson: not valid JSON"]),
    ],
    ids=["rows", "header", "vrt"],
)
def test_upload_of_a_hostile_file_is_refused_with_a_problem_and_stores_nothing(
    upload_client, session, tmp_path, name, make, status, fragments
):
    client, headers = upload_client
    content = make(tmp_path / name).read_bytes()
    before = _counts(session)
    session.commit()  # the route begins its own transaction on this session
    response = client.post(
        "/ingest/upload", headers=headers, files={"file": (name, content, "text/plain")},
        data={"source": "ostile"},
    )
    body = assert_problem(response, status, *fragments)
    assert "/tmp" not in body["detail"] and "upload-" not in body["detail"]
    assert _counts(session) == before
