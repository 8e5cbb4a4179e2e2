"""API fixtures: a database with committed services and analyses, the app, a real server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from observatory import db, geography
from observatory.settings import PROJECT_ROOT, get_settings
from tests.clusters import free_port
from tests.conftest import create_database, drop_database, load_seeded_data
from tests.helpers import wait_until_answering

SERVICES = 3000
GAPS_CATEGORY = "PRO-SAI"


@pytest.fixture(scope="session")
def api_database_url(geopop_south: geography.GeopopData) -> Iterator[str]:
    """A database with the geography, seeded services and a gaps and a coverage run."""
    url = create_database("osservatorio_api")
    try:
        load_seeded_data(
            url, geopop_south, SERVICES, (f"gaps:{GAPS_CATEGORY}", f"coverage:{GAPS_CATEGORY}")
        )
        yield url
    finally:
        drop_database(url)


@pytest.fixture(scope="session")
def api_client(api_database_url: str) -> Iterator[TestClient]:
    """A TestClient, once per run, whose app's pool opened on the seeded API database."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", api_database_url)
        get_settings.cache_clear()
        db.get_engine.cache_clear()
        test_client = TestClient(create_app())
        test_client.__enter__()
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    yield test_client
    test_client.__exit__(None, None, None)


@pytest.fixture(scope="session")
def server_url(api_database_url: str) -> Iterator[str]:
    """A real uvicorn server on a free loopback port, serving the API database."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": api_database_url}
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
