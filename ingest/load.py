"""The only writing step: COPY the services into a temp table and upsert on (source, source_key).

A row whose content hash is unchanged is left alone, so re-ingesting a file updates nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from ingest.place import ewkt
from ingest.record import Record
from observatory.db import copy_rows
from observatory.errors import PermissionDenied

STAGE_SQL = "CREATE TEMP TABLE stage_service ON COMMIT DROP AS SELECT * FROM service WITH NO DATA"

COPY_SQL = """
COPY stage_service (
    source, source_key, name, organization_name, description, category_code, address_1,
    postal_code, stated_municipality, stated_province, municipality_code, geom,
    geocode_precision, geocode_source, location_flags, languages, target_groups, access_modes,
    mediation_available, step_free_access, documents_required, cost, phone, email, url,
    opening_hours, schedule, eligibility_description, capacity, is_example, extra,
    private_fields, content_hash, ingest_run_id, source_row
) FROM STDIN
"""

UPSERT_SQL = """
WITH upserted AS (
    INSERT INTO service AS s (
        source, source_key, name, organization_name, description, category_code, address_1,
        postal_code, stated_municipality, stated_province, municipality_code, geom,
        geocode_precision, geocode_source, location_flags, languages, target_groups,
        access_modes, mediation_available, step_free_access, documents_required, cost, phone,
        email, url, opening_hours, schedule, eligibility_description, capacity, is_example,
        extra, private_fields, content_hash, ingest_run_id, source_row
    )
    SELECT source, source_key, name, organization_name, description, category_code, address_1,
        postal_code, stated_municipality, stated_province, municipality_code, geom,
        geocode_precision, geocode_source, location_flags, languages, target_groups,
        access_modes, mediation_available, step_free_access, documents_required, cost, phone,
        email, url, opening_hours, schedule, eligibility_description, capacity, is_example,
        extra, private_fields, content_hash, ingest_run_id, source_row
    FROM stage_service
    ON CONFLICT (source, source_key) DO UPDATE SET
        name = EXCLUDED.name, organization_name = EXCLUDED.organization_name,
        description = EXCLUDED.description, category_code = EXCLUDED.category_code,
        address_1 = EXCLUDED.address_1, postal_code = EXCLUDED.postal_code,
        stated_municipality = EXCLUDED.stated_municipality,
        stated_province = EXCLUDED.stated_province,
        municipality_code = EXCLUDED.municipality_code, geom = EXCLUDED.geom,
        geocode_precision = EXCLUDED.geocode_precision,
        geocode_source = EXCLUDED.geocode_source, location_flags = EXCLUDED.location_flags,
        languages = EXCLUDED.languages, target_groups = EXCLUDED.target_groups,
        access_modes = EXCLUDED.access_modes,
        mediation_available = EXCLUDED.mediation_available,
        step_free_access = EXCLUDED.step_free_access,
        documents_required = EXCLUDED.documents_required, cost = EXCLUDED.cost,
        phone = EXCLUDED.phone, email = EXCLUDED.email, url = EXCLUDED.url,
        opening_hours = EXCLUDED.opening_hours, schedule = EXCLUDED.schedule,
        eligibility_description = EXCLUDED.eligibility_description,
        capacity = EXCLUDED.capacity, is_example = EXCLUDED.is_example, extra = EXCLUDED.extra,
        private_fields = EXCLUDED.private_fields,
        content_hash = EXCLUDED.content_hash, ingest_run_id = EXCLUDED.ingest_run_id,
        source_row = EXCLUDED.source_row, updated_at = now()
    WHERE s.content_hash IS DISTINCT FROM EXCLUDED.content_hash
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted
"""

# The last word on authority, in the writing step itself: a staged row outside the areas,
# or one that would update a stored service outside them, stops the whole run.
STAGED_OUTSIDE_SQL = """
SELECT st.source_row, st.name, s.name AS stored_name,
       s.id IS NOT NULL AND NOT coalesce(stored.area_code = ANY(:areas), false) AS stored_outside
FROM stage_service st
LEFT JOIN area_municipality staged ON staged.municipality_code = st.municipality_code
LEFT JOIN service s ON s.source = st.source AND s.source_key = st.source_key
LEFT JOIN area_municipality stored ON stored.municipality_code = s.municipality_code
WHERE NOT coalesce(staged.area_code = ANY(:areas), false)
   OR (s.id IS NOT NULL AND NOT coalesce(stored.area_code = ANY(:areas), false))
ORDER BY st.source_row LIMIT 1
"""

# Services of the source that the file does not list, counted only inside the areas.
ABSENT_SQL = """
SELECT count(*) FROM service s
LEFT JOIN area_municipality a ON a.municipality_code = s.municipality_code
WHERE s.source = :source
  AND NOT EXISTS (SELECT 1 FROM stage_service st WHERE st.source_key = s.source_key)
  AND (CAST(:areas AS text[]) IS NULL OR a.area_code = ANY(:areas))
"""


def service_values(source: str, record: Record) -> tuple:
    """The stored fields of a record, in COPY order, without run id and row number."""
    extra = record.extra | ({"unparsed": record.unparsed} if record.unparsed else {})
    return (
        source, record.source_key, record.name, record.organization, record.description,
        record.category_code, record.address, record.postcode, record.municipality or None,
        record.province[:40] or None, record.municipality_code, ewkt(record.lon, record.lat),
        record.precision, record.geocode_source, sorted(set(record.flags)), record.languages,
        record.target_groups, record.access_modes, record.mediation_available,
        record.step_free_access, record.documents_required, record.cost, record.phone,
        record.email, record.url, record.opening_hours,
        None if record.schedule is None else orjson.dumps(record.schedule).decode(),
        record.eligibility_description, record.capacity, record.is_example,
        orjson.dumps(extra, option=orjson.OPT_SORT_KEYS).decode(), record.private_fields,
    )


def content_hash(values: tuple) -> str:
    """sha256 of the stored fields: equal hash, nothing to update."""
    return hashlib.sha256(orjson.dumps(values)).hexdigest()


@dataclass(frozen=True)
class Loaded:
    """What the upsert did; `absent`: services of the source in the areas, not in the file."""

    inserted: int
    updated: int
    absent: int


def load_services(
    session: Session,
    source: str,
    run_id: int,
    records: list[Record],
    areas: set[str] | None = None,
) -> Loaded:
    """Upsert the records (unchanged rows are not written) inside `areas`; nothing is deleted."""
    session.execute(text("DROP TABLE IF EXISTS stage_service"))
    session.execute(text(STAGE_SQL))

    def rows():
        for record in records:
            values = service_values(source, record)
            yield (*values, content_hash(values), run_id, record.row_number)

    copy_rows(session, COPY_SQL, rows())
    bound = {"source": source, "areas": None if areas is None else sorted(areas)}
    if areas is not None:
        outside = session.execute(text(STAGED_OUTSIDE_SQL), bound).first()
        if outside is not None:
            raise PermissionDenied(
                f"row {outside.source_row} ({outside.name!r}) would write outside the areas "
                f"this upload may write ({', '.join(sorted(areas))}): "
                + (f"it updates {outside.stored_name!r}, stored elsewhere"
                   if outside.stored_outside else "its comune lies elsewhere")
                + "; nothing was stored"
            )
    absent = session.execute(text(ABSENT_SQL), bound).scalar_one()
    inserted, updated = session.execute(text(UPSERT_SQL)).one()
    session.execute(text("DROP TABLE stage_service"))
    return Loaded(inserted, updated, absent)


def store_rejections(session: Session, run_id: int, records: list[Record]) -> None:
    """Keep every refused row with its raw values and reasons."""
    copy_rows(
        session,
        "COPY ingest_rejection (run_id, row_number, raw, reasons) FROM STDIN",
        (
            (
                run_id,
                r.row_number,
                orjson.dumps(r.raw).decode(),
                orjson.dumps([reason.to_dict() for reason in r.reasons]).decode(),
            )
            for r in records
        ),
    )
