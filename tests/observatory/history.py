"""Seeding the registry's history: a service's states over given periods (service_version)."""

from sqlalchemy import text
from sqlalchemy.orm import Session


def backdate(session: Session, service_id: int, *periods: tuple[str, str | None, str]) -> None:
    """Replace the history of a service by (from, to, status) periods (to None: open)."""
    session.execute(text("DELETE FROM service_version WHERE service_id = :id"), {"id": service_id})
    for start, end, status in periods:
        session.execute(text(
            "INSERT INTO service_version (service_id, valid, source, source_key, name, "
            "category_code, municipality_code, geom, public_geom, geocode_precision, "
            "geocode_source, status, private_fields, created_at, updated_at) "
            "SELECT id, tstzrange(CAST(:start AS timestamptz), CAST(:end AS timestamptz)), "
            "source, source_key, name, category_code, municipality_code, geom, public_geom, "
            "geocode_precision, geocode_source, :status, private_fields, created_at, updated_at "
            "FROM service WHERE id = :id"),
            {"id": service_id, "start": start, "end": end, "status": status})
