"""The only writing step: COPY the services into a temp table and upsert on (source, source_key).

A row whose content hash is unchanged is left alone, so re-ingesting a file updates nothing,
except its verification date when that moved, and a closed service the file lists again,
which is reopened. A snapshot closes (never deletes) the services the file no longer lists.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from ingest.place import ewkt
from ingest.record import Record
from observatory.db import copy_rows
from observatory.errors import PermissionDenied
from observatory.models import Service

STAGE_SQL = "CREATE TEMP TABLE stage_service ON COMMIT DROP AS SELECT * FROM service WITH NO DATA"

RUN_COLUMNS = ("content_hash", "ingest_run_id", "source_row", "last_verified")
"""Written by each run, outside the content hash."""
KEY_COLUMNS = ("source", "source_key")
"""The upsert's conflict target: a service of a source, by the source's key."""
STORED_COLUMNS = tuple(
    column.name
    for column in Service.__table__.columns
    if not column.primary_key
    and column.server_default is None  # filled by the database (defaults, triggers)
    and column.name not in RUN_COLUMNS
)
"""The service columns the ingest writes and hashes, in the model's order."""
WRITTEN_COLUMNS = STORED_COLUMNS + RUN_COLUMNS
_COLUMN_LIST = ", ".join(WRITTEN_COLUMNS)

COPY_SQL = f"COPY stage_service ({_COLUMN_LIST}) FROM STDIN"

_UPDATE_SET = ", ".join(
    f"{name} = EXCLUDED.{name}" for name in WRITTEN_COLUMNS if name not in KEY_COLUMNS
)
_CHANGED = "s.content_hash IS DISTINCT FROM EXCLUDED.content_hash OR s.status = 'closed'"
# column names from the model, not input: the statement is built once, at import.
# `prior` reads the rows before the statement writes: what changed, what was closed.
UPSERT_SQL = f"""
WITH prior AS MATERIALIZED (
    SELECT s.id, s.content_hash, s.status FROM service s
    JOIN stage_service st ON st.source = s.source AND st.source_key = s.source_key
), upserted AS (
    INSERT INTO service AS s ({_COLUMN_LIST})
    SELECT {_COLUMN_LIST} FROM stage_service
    ON CONFLICT ({", ".join(KEY_COLUMNS)}) DO UPDATE SET {_UPDATE_SET},
        status = CASE WHEN s.status = 'closed' THEN 'active' ELSE s.status END,
        updated_at = CASE WHEN {_CHANGED} THEN now() ELSE s.updated_at END
    WHERE {_CHANGED} OR s.last_verified IS DISTINCT FROM EXCLUDED.last_verified
    RETURNING s.id, s.content_hash, (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE u.inserted),
       count(*) FILTER (WHERE NOT u.inserted AND p.content_hash IS DISTINCT FROM u.content_hash),
       count(*) FILTER (WHERE p.status = 'closed')
FROM upserted u LEFT JOIN prior p ON p.id = u.id
"""  # noqa: S608

# A snapshot: the open services of the source (inside the areas) whose key the file lacks.
CLOSE_ABSENT_SQL = """
UPDATE service s SET status = 'closed', updated_at = now()
WHERE s.source = :source AND s.status <> 'closed'
  AND NOT EXISTS (SELECT 1 FROM unnest(CAST(:listed AS text[])) k(key) WHERE k.key = s.source_key)
  AND (CAST(:areas AS text[]) IS NULL OR s.municipality_code IN
       (SELECT municipality_code FROM area_municipality WHERE area_code = ANY(:areas)))
RETURNING s.id, s.source_key, s.name, s.municipality_code
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
WHERE s.source = :source AND s.status <> 'closed'
  AND NOT EXISTS (SELECT 1 FROM stage_service st WHERE st.source_key = s.source_key)
  AND (CAST(:areas AS text[]) IS NULL OR a.area_code = ANY(:areas))
"""


def service_values(source: str, record: Record) -> dict[str, Any]:
    """The stored fields of a record by column name, in `STORED_COLUMNS` order."""
    extra = record.extra | ({"unparsed": record.unparsed} if record.unparsed else {})
    values = {
        "source": source,
        "source_key": record.source_key,
        "name": record.name,
        "organization_name": record.organization,
        "description": record.description,
        "category_code": record.category_code,
        "address_1": record.address,
        "postal_code": record.postcode,
        "stated_municipality": record.municipality or None,
        "stated_province": record.province[:40] or None,
        "municipality_code": record.municipality_code,
        "geom": ewkt(record.lon, record.lat),
        "geocode_precision": record.precision,
        "geocode_source": record.geocode_source,
        "location_flags": sorted(set(record.flags)),
        "languages": record.languages,
        "target_groups": record.target_groups,
        "access_modes": record.access_modes,
        "mediation_available": record.mediation_available,
        "step_free_access": record.step_free_access,
        "documents_required": record.documents_required,
        "cost": record.cost,
        "phone": record.phone,
        "email": record.email,
        "url": record.url,
        "opening_hours": record.opening_hours,
        "schedule": None if record.schedule is None else orjson.dumps(record.schedule).decode(),
        "eligibility_description": record.eligibility_description,
        "capacity": record.capacity,
        "is_example": record.is_example,
        "extra": orjson.dumps(extra, option=orjson.OPT_SORT_KEYS).decode(),
        "private_fields": record.private_fields,
    }
    return {name: values[name] for name in STORED_COLUMNS}


def content_hash(values: dict[str, Any]) -> str:
    """sha256 of the stored fields in column order: equal hash, nothing to update."""
    return hashlib.sha256(orjson.dumps(list(values.values()))).hexdigest()


@dataclass(frozen=True)
class Loaded:
    """What the upsert did.

    `absent`: open services of the source in the areas that the file does not list (closed
    by a snapshot: then also in `closed`, as dicts of id, source_key, name and comune);
    `reopened`: closed services the file lists again.
    """

    inserted: int
    updated: int
    absent: int
    reopened: int = 0
    closed: list[dict[str, Any]] = field(default_factory=list)


def load_services(
    session: Session,
    source: str,
    run_id: int,
    records: list[Record],
    areas: set[str] | None = None,
    listed: set[str] | None = None,
    verified_on: date | None = None,
) -> Loaded:
    """Upsert the records (unchanged rows are not written) inside `areas`; nothing is deleted.

    `verified_on` (default today) is the verification date of records whose sheet gives
    none. `listed`: the source keys of every row of a file declared a complete snapshot of
    its source (rejected rows included: a row the file lists is not closed because it was
    refused this time); the open services of the source inside `areas` that it lacks are
    closed. None: no snapshot, nothing is closed.
    """
    today = verified_on or date.today()
    session.execute(text("DROP TABLE IF EXISTS stage_service"))
    session.execute(text(STAGE_SQL))

    def rows():
        for record in records:
            values = service_values(source, record)
            verified = record.last_verified or today
            yield (*values.values(), content_hash(values), run_id, record.row_number, verified)

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
    inserted, updated, reopened = session.execute(text(UPSERT_SQL)).one()
    session.execute(text("DROP TABLE stage_service"))
    closed: list[dict[str, Any]] = []
    if listed is not None:
        rows = session.execute(text(CLOSE_ABSENT_SQL), bound | {"listed": sorted(listed)})
        closed = sorted((dict(row) for row in rows.mappings()), key=lambda row: row["id"])
    return Loaded(inserted, updated, absent, reopened, closed)


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
