"""Fixtures of the API tests: five hand-made services in Campania and Sicily."""

from __future__ import annotations

import pytest

from tests.helpers import add_service

NAPOLI = (14.2681, 40.8518)
POZZUOLI = (14.0980, 40.8230)  # about 14.5 km west of Napoli centre
CASERTA = (14.3329, 41.0746)  # about 25 km north
PALERMO = (13.3615, 38.1157)


@pytest.fixture
def services(session):
    """Five services in Campania and Sicily, committed into the test's savepoint."""
    seeded = {
        "sportello": add_service(
            session, *NAPOLI, name="Sportello immigrazione", organization_name="Comune di Napoli",
            category_code="DOC-SUI", municipality_code=63049, address_1="Via Medina 1",
            postal_code="80133", languages=["it", "en", "ar"], phone="+39 081 000000",
            email="sportello@example.org", url="https://example.org/sportello",
            schedule=[{"byday": "MO,WE", "opens_at": "09:00", "closes_at": "13:00"}],
            mediation_available=True, step_free_access=True, access_modes=["walk_in"],
            documents_required="Passaporto", cost="gratuito",
        ),
        "asl": add_service(
            session, *NAPOLI[:1], NAPOLI[1] + 0.01, name="ASL sportello stranieri",
            category_code="SAN-ASL", municipality_code=63049, languages=["fr"],
            opening_hours="lun-ven 9-12",
        ),
        "private": add_service(
            session, *POZZUOLI, name="Mediatrice volontaria", organization_name="Maria Rossi",
            category_code="MED", municipality_code=63060, phone="333 1234567",
            email="maria.rossi@example.org", address_1="Via Privata 9",
            access_modes=["appointment"],
            private_fields=["phone", "email", "organization_name", "address_1", "access_modes"],
        ),
        "caserta": add_service(
            session, *CASERTA, name="=HYPERLINK(\"http://evil\")", category_code="LAV-CPI",
            municipality_code=61022, languages=["en"], email="info(at)cpi.example",
            url="www.cpi.example",
        ),
        "palermo": add_service(
            session, *PALERMO, name="Centro antiviolenza", category_code="TRA-CAV",
            municipality_code=82053, languages=["ar"], status="suspended",
        ),
    }
    session.commit()
    return seeded

