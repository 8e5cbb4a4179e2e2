"""Test helpers: one service, SQL, GeoJSON and problem checks, the CLI in process."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from observatory.models import Service


def assert_problem(response: Any, status: int, *fragments: str) -> dict[str, Any]:
    """Check a problem-details answer with `status` whose detail holds every fragment."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    for fragment in fragments:
        assert fragment in body["detail"], body["detail"]
    return body


def add_service(session: Session, lon: float, lat: float, **fields: Any) -> Service:
    """Insert a service at (lon, lat) with sensible defaults, flushed so it has an id."""
    values: dict[str, Any] = {
        "source": "test",
        "source_key": f"{lon},{lat},{fields.get('name', 'Servizio')}",
        "name": "Servizio",
        "geocode_precision": "provided",
        "geocode_source": "test",
    }
    values.update(fields)
    service = Service(geom=f"SRID=4326;POINT({lon} {lat})", **values)
    session.add(service)
    session.flush()
    return service


def run_sql(url: str, statement: str, params: dict[str, Any] | None = None) -> list[Any]:
    """Run one statement in its own committed transaction; return the first column."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            return list(conn.execute(text(statement), params or {}).scalars())
    finally:
        engine.dispose()


def assert_valid_feature_collection(body: dict[str, Any]) -> None:
    """Check the GeoJSON and OGC members of a FeatureCollection (RFC 7946, no crs)."""
    assert body["type"] == "FeatureCollection"
    assert "crs" not in body
    assert body["numberReturned"] == len(body["features"]) <= body["numberMatched"]
    assert body["timeStamp"].endswith("Z")
    assert any(link["rel"] == "self" for link in body["links"])
    for feature in body["features"]:
        assert feature["type"] == "Feature" and "id" in feature
        assert feature["geometry"]["type"] in {"Point", "MultiPolygon", "Polygon"}
        assert "id" not in feature["properties"] and "links" not in feature


def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str
) -> tuple[int, str, str]:
    """Run `observatory ARGS` in this process; return the exit code, stdout and stderr."""
    from observatory.cli import main

    monkeypatch.setattr(sys, "argv", ["observatory", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    captured = capsys.readouterr()
    return exit_info.value.code or 0, captured.out, captured.err


def wait_until_answering(process: subprocess.Popen, url: str, within_s: float = 30) -> None:
    """Ask `url` until it answers 200; fail if the server process exits or `within_s` passes."""
    import httpx

    deadline = time.monotonic() + within_s
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"the API server did not start: {url}")
        time.sleep(0.2)


@contextmanager
def app_client(database_url: str) -> Iterator[Any]:
    """A TestClient whose app (pool and sessions) uses `database_url`; settings put back."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from observatory import db
    from observatory.features.base import forget_counts
    from observatory.settings import get_settings

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", database_url)
        get_settings.cache_clear()
        db.get_engine.cache_clear()
        test_client = TestClient(create_app())
        test_client.__enter__()
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    try:
        yield test_client
    finally:
        test_client.__exit__(None, None, None)
        forget_counts()  # the cached counts (per process, not per database) were of this one


@contextmanager
def uvicorn_server(database_url: str) -> Iterator[str]:
    """A real uvicorn server of the API on a free loopback port, serving `database_url`."""
    import os

    from observatory.settings import PROJECT_ROOT
    from tests.clusters import free_port

    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url}
    command = [
        sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(process, f"{url}/readyz")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
