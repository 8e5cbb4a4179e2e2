"""Issue 10, "Done when": the hostile-upload corpus against a real `observatory serve` and the CLI.

One server (`observatory serve --workers 1`, so its one process is the worker) over a
database of its own with the geography, a Palermo service of the shared source `esempio`
and an operator key of the Napoli area. Each hostile file is uploaded with that key:
- it is refused with its reason (status and problem document naming the limit or reason;
  the polygon is a rejected row, the cross-area overwrite a 403 naming the row);
- the database is unchanged (rows of service, ingest_run, ingest_rejection, source_owner;
  the polygon's run records its rejected row and nothing else) and so is the Palermo service;
- the worker's RSS, sampled every 20 ms and by the kernel's high-water mark, stays under
  300 MiB;
- /healthz, polled every 100 ms during the whole corpus, answers 200 within 2 s each time;
- the /vsicurl VRT makes no connection to a local listener.
The same files then go through `observatory ingest` (a process each, exit 2 and the reason,
the database unchanged, peak RSS reported). Last, the largest files the upload limits admit
(UPLOAD_MAX_ROWS rows of CSV and of xlsx) are uploaded and measured. Run with `-s` to see
the peaks.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from psycopg import sql
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from ingest.pipeline import IngestOptions, ingest_file
from ingest.sample import read_places, service_rows, write_sheet, write_workbook
from observatory import keys
from observatory.db import libpq_url
from observatory.settings import PROJECT_ROOT, get_settings
from tests.conftest import create_database, drop_database, load_reference_data
from tests.reliability.hostile import (
    CSV_HEADER,
    CSV_ROW,
    OS_RELEASE,
    csv_named_xlsx,
    million_rows_csv,
    os_release_vrt,
    polygon_geojson,
    vsicurl_vrt,
    wide_header_csv,
    xlsx_bomb,
    xlsx_named_csv,
)
from tests.served import HealthPoller, PeakRss, Served, observatory_serve

pytestmark = pytest.mark.db

MEMORY_LIMIT_MIB = 300
HEALTH_BOUND_S = 2.0
SETTINGS = get_settings()
BODY_LIMIT = SETTINGS.upload_max_bytes
ROW_LIMIT = SETTINGS.upload_max_rows
TABLES = ("service", "ingest_run", "ingest_rejection", "source_owner")
PALERMO_CSV = (
    "id;nome;indirizzo;comune;cap;latitudine;longitudine;lingue\n"
    "P1;Centro Palermo;Via Roma 1;Palermo;90133;38.1157;13.3615;it\n"
)
MOVED_TO_NAPOLI = (
    "id;nome;indirizzo;comune;cap;latitudine;longitudine;lingue\n"
    "P1;Rinominato;Via Toledo 1;Napoli;80134;40.8450;14.2480;it\n"
)
PALERMO_SERVICE = (
    "SELECT name, municipality_code, ST_AsText(geom), updated_at::text FROM service "
    "WHERE source = 'esempio' AND source_key = 'id:P1'"
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _query(url: str, statement: str | sql.Composable) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(libpq_url(url)) as conn:
        return conn.execute(statement).fetchall()


def fingerprint(url: str) -> dict[str, str]:
    """Count, latest change and md5 of every row of the tables an upload writes."""
    latest = {"service": "max(updated_at)", "ingest_run": "max(started_at)",
              "ingest_rejection": "NULL", "source_owner": "max(created_at)"}
    prints = {}
    for table in TABLES:
        statement = sql.SQL(
            "SELECT count(*) || ' ' || coalesce({}::text, '-') || ' ' "
            "|| coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {} t"
        ).format(sql.SQL(latest[table]), sql.Identifier(table))
        prints[table] = _query(url, statement)[0][0]
    prints["palermo service"] = repr(_query(url, PALERMO_SERVICE))
    return prints


@pytest.fixture(scope="module")
def hostile_database(geopop_south, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """A database of its own: geography, the Palermo service P1 of `esempio`, a Napoli key."""
    url = create_database("osservatorio_hostile")
    try:
        load_reference_data(url, geopop_south)
        engine = create_engine(url)
        with Session(engine) as session, session.begin():
            path = tmp_path_factory.mktemp("palermo") / "palermo.csv"
            path.write_text(PALERMO_CSV)
            ingest_file(session, path, IngestOptions(source="esempio", category="INF"))
            _, key = keys.create_key(session, "GdLL Napoli (ostile)", "operator", ["napoli"])
        engine.dispose()
        yield url, key
    finally:
        drop_database(url)


@pytest.fixture(scope="module")
def served(hostile_database, tmp_path_factory) -> Iterator[Served]:
    """`observatory serve --workers 1` over the hostile database."""
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with observatory_serve(hostile_database[0], log) as server:
        yield server


@dataclass(frozen=True)
class Case:
    """A hostile upload: the file, the form, and the answer expected."""

    label: str
    name: str
    build: Callable[[Path], Path]
    status: int
    fragments: tuple[str, ...]
    content_type: str = "text/csv"
    source: str = "ostile"


def _largest_csv_under_the_body_limit(path: Path) -> Path:
    """As many rows as the body limit admits, with room for the multipart envelope."""
    rows = (BODY_LIMIT - 4096 - len(CSV_HEADER)) // len(CSV_ROW)
    return million_rows_csv(path, rows)


def _listener() -> tuple[socket.socket, list[tuple[str, int]]]:
    """A local listener on a free port and the list of connections it accepted (in a thread)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[tuple[str, int]] = []

    def accept() -> None:
        while True:
            try:
                connection, address = listener.accept()
            except OSError:
                return  # closed
            accepted.append(address)
            connection.close()

    threading.Thread(target=accept, daemon=True).start()
    return listener, accepted


def _corpus(port: int) -> list[Case]:
    """The hostile uploads; the /vsicurl VRTs point at the listener on `port`."""
    refused_rows = f"more than {ROW_LIMIT:,} rows"
    return [
        Case("VRT reading /etc/os-release as .geojson", "servizi.geojson", os_release_vrt, 400,
             ("servizi.geojson: not valid JSON",), "application/geo+json"),
        Case("VRT /vsicurl as .geojson", "remoto.geojson", vsicurl_vrt(port), 400,
             ("remoto.geojson: not valid JSON",), "application/geo+json"),
        Case("VRT /vsicurl as .json", "remoto.json", vsicurl_vrt(port), 400,
             ("remoto.json: not valid JSON",), "application/json"),
        Case("cross-area overwrite of Palermo P1 by a Napoli key", "sovrascrivi.csv",
             lambda p: (p.write_text(MOVED_TO_NAPOLI), p)[1], 403,
             ("none of the 1 rows", "row 2", "'Centro Palermo'", "area palermo", "napoli"),
             source="esempio"),
        Case("xlsx bomb (1.1 GB of sheet XML)", "bomba.xlsx",
             lambda p: xlsx_bomb(p, expanded_mib=1100), 413,
             ("bomba.xlsx", "expands", "UPLOAD_MAX_XLSX"), XLSX),
        Case("2M-row CSV, over the body limit", "righe.csv", million_rows_csv, 413,
             (f"above the limit of {BODY_LIMIT:,} bytes",)),
        Case("largest CSV the body admits, over the row limit", "righe.csv",
             _largest_csv_under_the_body_limit, 413,
             (f"righe.csv: {refused_rows}", "UPLOAD_MAX_ROWS")),
        Case("200k-column header", "larga.csv", wide_header_csv, 413,
             ("larga.csv: the first line is longer than", "UPLOAD_MAX_HEADER_BYTES")),
        Case("polygon", "poligono.geojson", polygon_geojson, 200, ("geometry_not_point",),
             "application/geo+json", "poligoni"),
        Case("xlsx bytes named .csv", "foglio.csv", xlsx_named_csv, 415,
             ("'foglio.csv' holds binary data",)),
        Case("CSV text named .xlsx", "testo.xlsx", csv_named_xlsx, 415,
             ("'testo.xlsx' is not an Excel .xlsx workbook",), XLSX),
        Case("VRT (XML) named .csv", "servizi.csv", os_release_vrt, 400,
             ("servizi.csv: no rows below the header",)),
    ]


def _multipart(case: Case, content: bytes, boundary: str = "ostile") -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="source"\r\n\r\n{case.source}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\nINF\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{case.name}"'
        f"\r\nContent-Type: {case.content_type}\r\n\r\n"
    ).encode() + content + f"\r\n--{boundary}--\r\n".encode()


def upload(served: Served, key: str, case: Case, content: bytes) -> tuple[int, dict[str, Any]]:
    """POST the file as a client would; a body over the limit stops after its first MiB.

    The server answers a declared size over the limit before reading the body, so the
    rest would only be pushed into a closed connection.
    """
    body = _multipart(case, content)
    port = int(served.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        connection.putrequest("POST", "/ingest/upload")
        connection.putheader("X-API-Key", key)
        connection.putheader("Content-Type", "multipart/form-data; boundary=ostile")
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        sent = body if len(body) <= BODY_LIMIT else body[: 1 << 20]
        try:
            connection.send(sent)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered and closed before the end of the body: read the answer
        response = connection.getresponse()
        document = orjson.loads(response.read())
        if response.status != 200:
            assert response.getheader("content-type") == "application/problem+json", document
        return response.status, document
    finally:
        connection.close()


def test_hostile_corpus_against_a_real_server(served, hostile_database, tmp_path):
    url, key = hostile_database
    listener, connections = _listener()
    figures = []
    with listener, HealthPoller(served.url) as health:
        for case in _corpus(listener.getsockname()[1]):
            path = case.build(tmp_path / case.name)
            content = path.read_bytes()
            before = fingerprint(url)
            with PeakRss(served.worker) as memory:
                status, document = upload(served, key, case, content)
            after = fingerprint(url)
            figures.append(
                f"{case.label}: {len(content) / 2**20:.1f} MiB, {status}, worker RSS "
                f"{memory.start_mib:.0f} -> peak {memory.peak_mib:.0f} MiB "
                f"({memory.samples} samples)"
            )
            print(figures[-1])
            assert status == case.status, (case.label, document)
            text = document["detail"] if status != 200 else orjson.dumps(document).decode()
            for fragment in case.fragments:
                assert fragment in text, (case.label, text)
            for leak in ("/tmp", "upload-", "GDAL", "Traceback", OS_RELEASE):
                assert leak not in text, (case.label, text)
            assert Path(OS_RELEASE).read_text().splitlines()[0] not in text
            if status == 200:  # the polygon: one rejected row, one run recording it
                assert document["counts"]["inserted"] == document["counts"]["updated"] == 0
                assert [r["reasons"][0]["code"] for r in document["rejections"]] == [
                    "geometry_not_point"
                ]
                changed = {t for t in TABLES if before[t] != after[t]}
                assert changed == {"ingest_run", "ingest_rejection", "source_owner"}, changed
                assert before["service"] == after["service"]
                assert before["palermo service"] == after["palermo service"]
            else:
                assert after == before, case.label
            assert memory.peak_mib < MEMORY_LIMIT_MIB, figures[-1]
    assert connections == [], "the /vsicurl VRT made the server connect to the listener"
    assert served.process.poll() is None, "the server died"
    assert len(health.answers) > 10
    assert health.failed == [], health.failed
    assert health.slowest_s < HEALTH_BOUND_S, health.slowest_s
    print(f"/healthz: {len(health.answers)} polls, all 200, slowest {health.slowest_s:.2f} s")


CLI_CASES: list[tuple[str, Callable[[Path], Path], int, str]] = [
    ("servizi.geojson", os_release_vrt, 2, "servizi.geojson: not valid JSON"),
    ("bomba.xlsx", lambda p: xlsx_bomb(p, expanded_mib=1100), 2, "expands"),
    ("righe.csv", million_rows_csv, 2, "righe.csv: more than 200,000 rows"),
    ("larga.csv", wide_header_csv, 2, "the first line is longer than"),
    ("foglio.csv", xlsx_named_csv, 2, "name it .xlsx"),
    ("testo.xlsx", csv_named_xlsx, 2, "not an .xlsx (zip) file"),
    ("servizi.csv", os_release_vrt, 2, "servizi.csv: no rows below the header"),
    ("poligono.geojson", polygon_geojson, 0, "rejected rows: 1"),
]
REJECTION_CODES = (
    "SELECT r.reasons -> 0 ->> 'code' FROM ingest_rejection r JOIN ingest_run u "
    "ON u.id = r.run_id WHERE u.source = 'ostile'"
)


CLI_WITH_PEAK = """
import atexit, os, sys
def peak():
    with open("/proc/self/status") as status, open(os.environ["PEAK_FILE"], "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM:")).split()[1])
atexit.register(peak)
from observatory.cli import main
main()
"""


def run_cli(url: str, *args: str, folder: Path) -> tuple[int, str, float]:
    """Run `observatory ARGS` in a process of its own: exit code, output, peak RSS in MiB.

    The process writes its own high-water mark when it exits (a forked child's rusage
    would count the parent's memory before the exec).
    """
    peak_file = folder / "peak.txt"
    result = subprocess.run(
        [sys.executable, "-c", CLI_WITH_PEAK, *args], cwd=PROJECT_ROOT, capture_output=True,
        text=True, env={**os.environ, "DATABASE_URL": url, "PEAK_FILE": str(peak_file),
                        "COLUMNS": "200"},
    )
    return result.returncode, result.stdout + result.stderr, int(peak_file.read_text()) / 1024


def test_hostile_corpus_through_the_cli(hostile_database, tmp_path):
    url, _ = hostile_database
    listener, connections = _listener()
    with listener:
        cases = [*CLI_CASES,
                 ("remoto.geojson", vsicurl_vrt(listener.getsockname()[1]), 2, "not valid JSON")]
        for name, build, code, message in cases:
            path = build(tmp_path / name)
            before = fingerprint(url)
            exit_code, output, peak = run_cli(
                url, "ingest", str(path), "--source", "ostile", folder=tmp_path
            )
            print(f"observatory ingest {name}: {path.stat().st_size / 2**20:.1f} MiB, "
                  f"exit {exit_code}, peak RSS {peak:.0f} MiB")
            assert exit_code == code, output
            assert message in " ".join(output.split()), output
            assert "Traceback" not in output, output
            after = fingerprint(url)
            if exit_code == 0:  # the polygon: one rejected row, one run recording it
                changed = {t for t in TABLES if before[t] != after[t]}
                assert changed == {"ingest_run", "ingest_rejection", "source_owner"}, changed
                assert _query(url, REJECTION_CODES) == [("geometry_not_point",)]
            else:
                assert after == before, name
            assert peak < MEMORY_LIMIT_MIB, (name, peak)
    assert connections == [], "the /vsicurl VRT made the CLI connect to the listener"


def _napoli_rows(count: int) -> list[list[str]]:
    """`count` sample services (ingest.sample) in comuni of the Napoli area."""
    places = [place for place in read_places() if place.area == "napoli"]
    return list(service_rows(places, count, coordinates_share=0.5))


def _written(write: Callable[[Path, list[list[str]]], None], rows: list[list[str]]
             ) -> Callable[[Path], Path]:
    """A file builder that writes `rows` with `write` (ingest.sample)."""
    return lambda path: (write(path, rows), path)[1]


def test_the_largest_admitted_uploads_stay_under_300_mib(served, hostile_database, tmp_path):
    """UPLOAD_MAX_ROWS rows of CSV and of xlsx: stored, the worker under the memory bound."""
    _, key = hostile_database
    rows = _napoli_rows(ROW_LIMIT)
    cases = [
        Case("largest admitted CSV", "massimo.csv", _written(write_sheet, rows), 200, (),
             source="massimo-csv"),
        Case("largest admitted xlsx", "massimo.xlsx", _written(write_workbook, rows), 200, (),
             XLSX, "massimo-xlsx"),
    ]
    with HealthPoller(served.url) as health:
        for case in cases:
            content = case.build(tmp_path / case.name).read_bytes()
            with PeakRss(served.worker) as memory:
                status, report = upload(served, key, case, content)
            print(f"{case.label} ({ROW_LIMIT:,} rows, {len(content) / 2**20:.1f} MiB): "
                  f"{status}, worker RSS {memory.start_mib:.0f} -> peak "
                  f"{memory.peak_mib:.0f} MiB; {report.get('counts')}")
            assert status == 200, report
            assert report["counts"]["read"] == ROW_LIMIT
            assert report["counts"]["inserted"] > ROW_LIMIT // 2, report["counts"]
            assert memory.peak_mib < MEMORY_LIMIT_MIB, memory.peak_mib
    assert health.failed == [] and health.slowest_s < HEALTH_BOUND_S, health.answers
