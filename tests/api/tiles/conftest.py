"""Tile fixtures: a database of its own (tests change its data), seeded services, a client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from api.routes import tiles as tile_routes
from observatory import geography
from tests.conftest import create_database, drop_database, load_reference_data
from tests.factories import seed_services
from tests.helpers import add_service, app_client, uvicorn_server

NAPOLI = (14.2681, 40.8518)
PRIVATE = (14.1134, 40.8311)  # a house in Pozzuoli, far from the comune's point
SEEDED = 600


@pytest.fixture(scope="session")
def tiles_database_url(geopop_south: geography.GeopopData) -> Iterator[str]:
    """Geography, areas, SEEDED services, one public and one private-address service."""
    url = create_database("osservatorio_tiles")
    try:
        load_reference_data(url, geopop_south)
        engine = create_engine(url)
        with Session(engine) as session:
            seed_services(session, SEEDED)
            add_service(
                session, *NAPOLI, name="Sportello immigrazione", category_code="DOC-SUI",
                municipality_code=63049, organization_name="Comune di Napoli",
                address_1="Via Medina 1", phone="+39 081 000000", languages=["it", "ar"],
            )
            add_service(
                session, *PRIVATE, name="Mediatrice volontaria", category_code="MED",
                municipality_code=63060, organization_name="Maria Rossi",
                address_1="Via Privata 9", phone="333 1234567",
                private_fields=["address_1", "phone", "organization_name"],
            )
            session.commit()
        engine.dispose()
        yield url
    finally:
        drop_database(url)


@pytest.fixture(scope="session")
def tiles_client(tiles_database_url: str) -> Iterator[TestClient]:
    """A TestClient whose app reads the tiles database."""
    with app_client(tiles_database_url) as test_client:
        yield test_client
    tile_routes.CACHE.clear()


@pytest.fixture(scope="session")
def tiles_server_url(tiles_database_url: str) -> Iterator[str]:
    """A real uvicorn server on a free loopback port, serving the tiles database."""
    with uvicorn_server(tiles_database_url) as url:
        yield url
