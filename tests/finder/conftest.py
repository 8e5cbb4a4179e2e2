"""Finder fixtures: a database with hand-made services (one private, one example) beside
seeded ones, the app on it, and a real server for the browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from observatory import geography
from tests.conftest import create_database, drop_database, load_reference_data
from tests.factories import seed_services
from tests.helpers import add_service, app_client
from tests.served import observatory_serve

SEEDED = 600
NAPOLI = (14.2681, 40.8518)
POZZUOLI = (14.0980, 40.8230)
NAPOLI_CODE = 63049
POZZUOLI_CODE = 63060
PRIVATE_PHONE = "333 7654321"
PRIVATE_ADDRESS = "Vicolo Segreto 9"
PRIVATE_POINT = (14.1012, 40.8311)  # the private service's own point, never shown
HOSTILE_NAME = '<img src=x onerror="alert(1)">'



@dataclass
class Finder:
    """The finder database and the ids of its hand-made services."""

    url: str
    ids: dict[str, int]


@pytest.fixture(scope="session")
def finder_db(geopop_south: geography.GeopopData) -> Iterator[Finder]:
    """Geography, 600 seeded services, and five hand-made ones in Napoli and Pozzuoli."""
    url = create_database("osservatorio_finder")
    try:
        load_reference_data(url, geopop_south)
        engine = create_engine(url)
        with Session(engine) as session, session.begin():
            seed_services(session, SEEDED, precisions=["provided", "municipality"])
            ids = {
                "sportello": add_service(
                    session, *NAPOLI, name="Sportello immigrazione Medina",
                    organization_name="Comune di Napoli", category_code="DOC-SUI",
                    municipality_code=NAPOLI_CODE, address_1="Via Medina 1",
                    postal_code="80133", languages=["ar", "sq", "uk"], phone="+39 081 000000",
                    email="sportello@example.org", url="https://example.org/sportello",
                    schedule=[{"byday": "MO,TU,WE", "opens_at": "09:00", "closes_at": "13:00"},
                              {"byday": "TH", "opens_at": "15:00", "closes_at": "17:30"}],
                    mediation_available=True, step_free_access=True,
                    access_modes=["walk_in", "appointment"], target_groups=["asylum_seekers"],
                    documents_required="Passaporto", cost="gratuito",
                ).id,
                "private": add_service(
                    session, *PRIVATE_POINT, name="Mediatrice volontaria Pozzuoli",
                    organization_name="Maria Rossi", category_code="MED",
                    municipality_code=POZZUOLI_CODE, phone=PRIVATE_PHONE,
                    email="maria.rossi@example.org", address_1=PRIVATE_ADDRESS,
                    languages=["ar"], access_modes=["appointment"],
                    private_fields=["phone", "email", "organization_name", "address_1",
                                    "location"],
                ).id,
                "example": add_service(
                    session, NAPOLI[0] + 0.004, NAPOLI[1], name="CPIA esempio Napoli",
                    category_code="LIN-CPI", municipality_code=NAPOLI_CODE, is_example=True,
                    languages=["zh"], source_key="example-cpia",
                ).id,
                "hostile": add_service(
                    session, NAPOLI[0] - 0.002, NAPOLI[1], name=HOSTILE_NAME,
                    category_code="INF", municipality_code=NAPOLI_CODE,
                    url="javascript:alert(1)", source_key="hostile",
                ).id,
                "closed": add_service(
                    session, NAPOLI[0] + 0.001, NAPOLI[1], name="Sportello chiuso",
                    category_code="DOC-SUI", municipality_code=NAPOLI_CODE,
                    status="closed", source_key="closed",
                ).id,
            }
        engine.dispose()
        yield Finder(url, ids)
    finally:
        drop_database(url)


@pytest.fixture(scope="session")
def finder_client(finder_db: Finder) -> Iterator[TestClient]:
    """A TestClient whose app's pool opened on the finder database."""
    with app_client(finder_db.url) as client:
        yield client


@pytest.fixture(scope="session")
def finder_server(finder_db: Finder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`observatory serve` on a free loopback port over the finder database; it says where
    the finder is."""
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with observatory_serve(finder_db.url, log) as served:
        assert f"{served.url}/trova/" in log.read_text()
        yield served.url
