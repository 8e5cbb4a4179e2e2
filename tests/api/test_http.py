"""HTTP hygiene: links never from `Host`, HEAD on GET routes, problem documents for every error,
the upload key checked before its body, request-head limits and uploads off the event loop.

The last ones run against a real `observatory serve` (uvicorn, httptools, our protocol).
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, delete
from sqlalchemy.orm import Session

from api.main import create_app
from observatory import db, keys
from observatory.models import ApiKey
from observatory.settings import PROJECT_ROOT, get_settings
from tests.clusters import free_port
from tests.helpers import assert_problem, wait_until_answering

EVIL = "evil.example"
# Sample values for the path and required query parameters of the GET routes.
PATH_VALUES = {
    "collection_id": "regions",
    "feature_id": "15",
    "service_id": "00000000-0000-0000-0000-000000000000",
    "region": "basilicata",
    "area": "potenza",
    "kind": "coverage",
    "category": "SAN",
    "level": "area",
    "code": "potenza",
    "metric": "coverage_share",
    "tileMatrixSetId": "WebMercatorQuad",
    "tileMatrix": "8",
    "tileRow": "96",
    "tileCol": "138",
}
QUERIES = {
    "/collections/{collection_id}/items": {"limit": 1, "offset": 1},
    "/services/nearest": {"lat": 40.64, "lon": 15.8},
    "/services/within": {"area": "potenza", "limit": 1},
    "/maps/{region}/{kind}": {"tiles": "false"},
    "/maps/{region}/{area}/{kind}": {"tiles": "false"},
    "/change": {"from": "2024-12-31", "to": "2025-12-31", "area": "potenza"},
    "/change/map.svg": {"from": "2024-12-31", "to": "2025-12-31", "area": "potenza"},
}
SKIPPED_GETS = {"/hsds/datapackage.zip"}  # writes the whole directory; its HEAD is below


@pytest.fixture
def app_client(use_database: str) -> Iterator[TestClient]:
    """A TestClient on an app reading the committed test database (regions, comuni, areas)."""
    with TestClient(create_app()) as client:
        yield client


def _get_routes(client: TestClient) -> list[tuple[str, dict[str, Any]]]:
    """Every GET path of the OpenAPI document (plus the undocumented pages), filled in."""
    paths = [
        path
        for path, item in client.get("/openapi.json").json()["paths"].items()
        if "get" in item and path not in SKIPPED_GETS
    ]
    filled = []
    for path in [*paths, "/docs", "/openapi.json"]:
        url = path.format(**PATH_VALUES)
        filled.append((url, QUERIES.get(path, {})))
    return filled


def _reflected(response: httpx.Response) -> list[str]:
    """Where the forged host shows up: header values and body."""
    places = [f"header {name}" for name, value in response.headers.items() if EVIL in value]
    if EVIL.encode() in response.content:
        places.append("body")
    return places


def test_a_forged_host_never_appears_in_any_link_body_or_header(app_client):
    routes = _get_routes(app_client)
    assert len(routes) >= 20, routes
    for url, params in [*routes, ("/hsds", {}), ("/collections/regions/items", {"f": "html"})]:
        for extra in ({}, {"f": "html"}):
            response = app_client.get(
                url,
                params={**params, **extra},
                headers={"Host": EVIL, "X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "https"},
                follow_redirects=False,
            )
            assert response.status_code < 500, (url, response.text)
            assert not _reflected(response), (url, _reflected(response), response.text[:300])


def test_links_without_a_public_url_use_the_server_address(app_client):
    page = app_client.get(
        "/collections/regions/items", params={"limit": 1, "offset": 1}, headers={"Host": EVIL}
    ).json()
    hrefs = {link["rel"]: link["href"] for link in page["links"]}
    assert {"self", "next", "prev", "collection", "alternate"} <= hrefs.keys()
    assert all(href.startswith("http://testserver/") for href in hrefs.values()), hrefs
    redirect = app_client.get("/hsds", headers={"Host": EVIL}, follow_redirects=False)
    assert redirect.headers["location"] == "http://testserver/hsds/"


def test_every_link_starts_with_the_configured_public_base_url(monkeypatch, use_database):
    base = "https://osservatorio.example.org/api"
    monkeypatch.setenv("PUBLIC_BASE_URL", base + "/")
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        for prefix in ("", "/api"):  # a proxy that strips the prefix, and one that keeps it
            landing = client.get(f"{prefix}/", headers={"Host": EVIL}).json()
            assert {link["href"] for link in landing["links"]} >= {
                f"{base}/",
                f"{base}/collections",
                f"{base}/openapi.json",
            }
            page = client.get(
                f"{prefix}/collections/regions/items", params={"limit": 1, "offset": 1}
            ).json()
            hrefs = [link["href"] for link in page["links"]]
            assert all(href.startswith(f"{base}/collections/regions") for href in hrefs), hrefs
            assert f"{base}/collections/regions/items?offset=2&limit=1" in hrefs
        assert client.get("/hsds/").json()["openapi_url"] == f"{base}/openapi.json"
        assert client.get("/openapi.json").json()["servers"] == [{"url": base}]
        docs = client.get("/docs").text
        assert "/api/openapi.json" in docs and 'src="/api/assets/swagger-ui/' in docs
        redirect = client.get("/hsds", follow_redirects=False)
        assert redirect.headers["location"] == f"{base}/hsds/"


@pytest.mark.parametrize(
    "url",
    ["http://host/api?x=1", "ftp://host/api", "/api", "https:///api"],
)
def test_a_public_base_url_must_be_an_absolute_http_url(monkeypatch, url):
    monkeypatch.setenv("PUBLIC_BASE_URL", url)
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="PUBLIC_BASE_URL"):
        get_settings()
    get_settings.cache_clear()


def test_every_get_route_answers_head_with_the_get_status_and_headers(app_client):
    for url, params in [*_get_routes(app_client), ("/hsds/datapackage.zip", {})]:
        get = app_client.get(url, params=params)
        head = app_client.head(url, params=params)
        assert head.status_code == get.status_code, url
        assert head.content == b"", url
        assert head.headers.get("content-type") == get.headers.get("content-type"), url  # 204: none
        if "content-length" in get.headers and not url.endswith(".zip"):
            assert head.headers["content-length"] == get.headers["content-length"], url


@pytest.mark.parametrize(
    ("method", "url", "status", "fragment"),
    [
        ("GET", "/nowhere", 404, "Not Found"),
        ("DELETE", "/collections", 405, "Method Not Allowed"),
        ("GET", "/collections/regions/items?limit=abc", 400, "limit"),
        ("GET", "/services/nearest?lat=95&lon=10", 400, "lat"),
        ("POST", "/ingest/upload", 401, "API key is required"),
    ],
)
def test_every_error_is_a_problem_document(app_client, method, url, status, fragment):
    response = app_client.request(method, url)
    body = assert_problem(response, status, fragment)
    for hint in ("Traceback", "/tmp", "pydantic", "starlette", "fastapi"):
        assert hint not in orjson.dumps(body).decode()


# A real server ------------------------------------------------------------------------------

HEADER_TIMEOUT_S = 2.0


@pytest.fixture(scope="module")
def served(database_url: str) -> Iterator[tuple[str, int]]:
    """`observatory serve` (one worker) on a free port over the test database."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HTTP_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
        "HTTP_MAX_URL_BYTES": "4096",
        "HTTP_MAX_HEADER_BYTES": "16384",
    }
    command = [sys.executable, "-c", "from observatory.cli import main; main()",
               "serve", "--port", str(port), "--workers", "1"]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until_answering(process, f"http://127.0.0.1:{port}/healthz", within_s=60)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        process.wait(timeout=30)


def _exchange(address: tuple[str, int], raw: bytes, timeout: float = 10) -> bytes:
    """Send `raw` on a new connection; return everything the server answers until it closes."""
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(raw)
        return _read_answer(sock)


def _read_answer(sock: socket.socket) -> bytes:
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        lengths = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-len")]
        if lengths and len(body) >= int(lengths[0].split(b":")[1]):
            break
    return answer


def _problem(answer: bytes, status: int) -> dict[str, Any]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), head
    assert b"content-type: application/problem+json" in head.lower(), head
    document = orjson.loads(body)
    assert document["status"] == status
    return document


def test_a_long_url_is_a_414_problem(served):
    answer = _exchange(served, b"GET /collections?q=" + b"a" * 100_000 + b" HTTP/1.1\r\n\r\n")
    assert "longer than 4096 bytes" in _problem(answer, 414)["detail"]


def test_large_headers_are_a_431_problem(served):
    headers = b"".join(b"X-Filler-%d: %s\r\n" % (n, b"a" * 100) for n in range(200))
    answer = _exchange(served, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert "larger than 16384 bytes" in _problem(answer, 431)["detail"]


def test_a_malformed_request_is_a_400_problem(served):
    answer = _exchange(served, b"NOT HTTP AT ALL\r\n\r\n")
    assert _problem(answer, 400)["detail"] == "malformed HTTP request"


def test_head_and_a_forged_host_on_the_real_server(served):
    raw = b"HEAD /collections HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    answer = _exchange(served, raw)
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"\r\n\r\n"), answer
    page = httpx.get(f"http://{served[0]}:{served[1]}/collections", headers={"Host": EVIL})
    assert EVIL not in page.text and f"http://127.0.0.1:{served[1]}/collections" in page.text


def test_a_slow_loris_client_is_cut_off(served):
    started = time.monotonic()
    with socket.create_connection(served, timeout=30) as sock:
        try:
            for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000:
                sock.sendall(bytes([byte]))
                if select.select([sock], [], [], 0.2)[0]:
                    break
            answer = sock.recv(65536)
        except (BrokenPipeError, ConnectionResetError):
            answer = b""
    elapsed = time.monotonic() - started
    assert HEADER_TIMEOUT_S - 0.5 < elapsed < HEADER_TIMEOUT_S + 3, elapsed
    if answer:
        assert "not received within" in _problem(answer, 408)["detail"]


def test_a_keyless_upload_is_refused_before_its_body_is_sent(served):
    size = 20 * 1024 * 1024 - 1024
    head = (
        b"POST /ingest/upload HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: multipart/form-data; boundary=xyz\r\n"
        b"Content-Length: %d\r\n\r\n" % size
    )
    with socket.create_connection(served, timeout=10) as sock:
        sock.sendall(head)  # and not one byte of the body
        answer = _read_answer(sock)
    assert "API key is required" in _problem(answer, 401)["detail"]


@pytest.fixture
def potenza_key(database_url: str) -> Iterator[str]:
    """A committed operator key of the Potenza area, deleted after the test."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        row, key = keys.create_key(session, "GdLL Potenza (test_http)", "operator", ["potenza"])
        session.commit()
        prefix = row.prefix
    yield key
    with Session(engine) as session, session.begin():
        session.execute(delete(ApiKey).where(ApiKey.prefix == prefix))
    engine.dispose()
    db.get_engine.cache_clear()


def _multipart(content: bytes, boundary: str = "xyz") -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="source"\r\n\r\nslow-upload\r\n'
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
        f'filename="servizi.csv"\r\nContent-Type: text/csv\r\n\r\n'
    ).encode() + content + f"\r\n--{boundary}--\r\n".encode()


def test_healthz_answers_while_an_upload_is_processed(served, potenza_key):
    """The pipeline runs in the threadpool: the event loop answers /healthz meanwhile."""
    rows = "".join(f"Sportello {n};Via Roma {n};Palermo\n" for n in range(40_000))
    body = _multipart(("nome;indirizzo;comune\n" + rows).encode())
    head = (
        f"POST /ingest/upload HTTP/1.1\r\nHost: x\r\nX-API-Key: {potenza_key}\r\n"
        f"Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    events: list[str] = []
    with socket.create_connection(served, timeout=120) as upload:
        upload.sendall(head + body)
        events.append("upload sent")
        done = threading.Event()

        def wait_for_upload() -> None:
            events.append(f"upload answered {_read_answer(upload)[:12].decode()}")
            done.set()

        waiter = threading.Thread(target=wait_for_upload)
        waiter.start()
        while not done.is_set():
            health = httpx.get(f"http://{served[0]}:{served[1]}/healthz", timeout=10)
            if not done.is_set():
                events.append(f"healthz {health.status_code}")
            time.sleep(0.05)
        waiter.join()
    assert events[0] == "upload sent" and events[-1].startswith("upload answered"), events
    assert "healthz 200" in events[1:-1], events
