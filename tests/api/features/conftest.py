"""API fixtures: a database with committed services and analyses, the app, a real server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from observatory import geography
from observatory.settings import PROJECT_ROOT
from tests.clusters import free_port
from tests.conftest import create_database, drop_database, load_reference_data
from tests.factories import seed_analysis_run, seed_services
from tests.helpers import client_on, wait_until_answering

SERVICES = 3000
GAPS_CATEGORY = "PRO-SAI"


@pytest.fixture(scope="session")
def api_database_url(geopop_south: geography.GeopopData) -> Iterator[str]:
    """A database with the geography, seeded services and a gaps and a coverage run."""
    url = create_database("osservatorio_api")
    try:
        load_reference_data(url, geopop_south)
        engine = create_engine(url)
        with engine.begin() as conn:
            seed_services(conn, SERVICES)
            seed_analysis_run(conn, "gaps", GAPS_CATEGORY)
            seed_analysis_run(conn, "coverage", GAPS_CATEGORY)
        engine.dispose()
        yield url
    finally:
        drop_database(url)


@pytest.fixture(scope="session")
def api_client(api_database_url: str) -> Iterator[TestClient]:
    """A TestClient, once per run, whose app's pool opened on the seeded API database."""
    with client_on(api_database_url) as test_client:
        yield test_client


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
