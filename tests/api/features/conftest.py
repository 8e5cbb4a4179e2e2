"""API fixtures: a database with committed services and analyses, the app, a real server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from observatory import geography
from tests.conftest import create_database, drop_database, load_seeded_data
from tests.helpers import app_client, uvicorn_server

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
    with app_client(api_database_url) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def server_url(api_database_url: str) -> Iterator[str]:
    """A real uvicorn server on a free loopback port, serving the API database."""
    with uvicorn_server(api_database_url) as url:
        yield url
