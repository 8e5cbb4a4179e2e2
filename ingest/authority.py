"""What an upload key may write: which sources, and which rows (stated, placed and stored comune).

The rule (README, "Authority over sources and rows"):
- a source belongs to the key that created it (`source_owner`, written by the first run);
  a source created by the command line or an admin key is shared;
- a key may write a source it owns, a shared source, or a source whose stored services all
  lie in the areas of the upload; an admin key and the command line (no key) may write any;
- within a source it may write, a row is stored only when its stated comune, its placed
  comune and, for an update, the stored service's comune all lie in those areas.
Every check reads the database on the run's own transaction.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from ingest.gazetteer import Gazetteer
from ingest.place import locate
from ingest.record import Record
from observatory.errors import PermissionDenied
from observatory.keys import Operator

OUTSIDE_AREAS = "outside_allowed_areas"
"""A row whose stated or placed comune lies outside the upload's areas."""
SERVICE_OUTSIDE_AREAS = "service_outside_allowed_areas"
"""A row that would update a stored service lying outside the upload's areas."""
OUTSIDE_CODES = frozenset({OUTSIDE_AREAS, SERVICE_OUTSIDE_AREAS})

CLAIM_SQL = text(
    "INSERT INTO source_owner (source, key_prefix) "
    "SELECT CAST(:source AS varchar), CASE WHEN EXISTS "
    "(SELECT 1 FROM service WHERE source = CAST(:source AS varchar)) "
    "THEN NULL ELSE CAST(:prefix AS varchar) END "
    "ON CONFLICT (source) DO NOTHING"
)
OWNER_SQL = text(
    "SELECT o.key_prefix, o.created_at, k.name, k.role FROM source_owner o "
    "LEFT JOIN api_key k ON k.prefix = o.key_prefix WHERE o.source = :source"
)
SOURCE_OUTSIDE_SQL = text(
    "SELECT s.name, s.municipality_code, m.name AS comune, a.area_code FROM service s "
    "LEFT JOIN municipality m ON m.code = s.municipality_code "
    "LEFT JOIN area_municipality a ON a.municipality_code = s.municipality_code "
    "WHERE s.source = :source AND NOT coalesce(a.area_code = ANY(:areas), false) "
    "ORDER BY s.id LIMIT 1"
)
STORED_OUTSIDE_SQL = text(
    "SELECT s.source_key, s.name, s.municipality_code, a.area_code FROM service s "
    "LEFT JOIN area_municipality a ON a.municipality_code = s.municipality_code "
    "WHERE s.source = :source AND s.source_key = ANY(:keys) "
    "AND NOT coalesce(a.area_code = ANY(:areas), false)"
)


def _listed(areas: set[str]) -> str:
    return ", ".join(sorted(areas))


def claim_source(
    session: Session, source: str, key: Operator | None, areas: set[str] | None
) -> None:
    """Record the creator of a new source; refuse (403) a key that may not write `source`."""
    session.execute(CLAIM_SQL, {"source": source, "prefix": key.key_prefix if key else None})
    owner = session.execute(OWNER_SQL, {"source": source}).one()
    if key is None or key.areas is None or areas is None:
        return  # the command line or an admin key
    if owner.key_prefix is None or owner.role == "admin" or owner.key_prefix == key.key_prefix:
        return  # shared, or this key's own
    outside = session.execute(
        SOURCE_OUTSIDE_SQL, {"source": source, "areas": sorted(areas)}
    ).first()
    if outside is None:
        return  # every stored service lies in this upload's areas
    owner_name = owner.name or "a deleted key"
    where = outside.comune or f"comune {outside.municipality_code}"
    raise PermissionDenied(
        f"source {source!r} belongs to {owner_name!r}, whose key created it on "
        f"{owner.created_at:%Y-%m-%d}: another key may write it only while every service "
        f"of it lies in its areas ({_listed(areas)}), and {outside.name!r} is in {where}, "
        f"area {outside.area_code or 'none'}; nothing was stored"
    )


def _refuse_outside(record: Record, code: int, field: str, value: str, what: str,
                    gazetteer: Gazetteer, areas: set[str]) -> bool:
    """Refuse `record` when comune `code` lies outside `areas`; True when refused."""
    comune = gazetteer.comuni.get(code)
    area = comune.area if comune else None
    if area in areas:
        return False
    label = comune.label if comune else f"comune {code}"
    record.refuse(
        OUTSIDE_AREAS, field, value,
        f"{what} {label}, area {area or 'none'}, not in the areas this upload may write: "
        f"{_listed(areas)}",
    )
    return True


def refuse_rows_outside(
    session: Session, records: list[Record], gazetteer: Gazetteer, areas: set[str]
) -> None:
    """Refuse every row whose stated or placed comune lies outside `areas`, whatever else it has.

    A placed row is judged by its comune; a row refused before placing by the comune its
    point falls in, when it has one.
    """
    unplaced = [
        r for r in records
        if r.municipality_code is None and r.lon is not None and r.lat is not None
    ]
    found = {n: p.found_code for n, p in locate(session, unplaced).items()} if unplaced else {}
    for record in records:
        if record.comune is not None and _refuse_outside(
            record, record.comune.code, "municipality",
            record.municipality or str(record.istat_code or ""), "the stated comune is",
            gazetteer, areas,
        ):
            continue
        code = record.municipality_code or found.get(record.row_number)
        if code is not None:
            _refuse_outside(
                record, code, "lat/lon", f"{record.lat}, {record.lon}", "the service is in",
                gazetteer, areas,
            )


def refuse_updates_outside(
    session: Session, source: str, records: list[Record], gazetteer: Gazetteer, areas: set[str]
) -> None:
    """Refuse every row whose (source, source key) is a stored service outside `areas`."""
    by_key = {r.source_key: r for r in records if not r.reasons}
    if not by_key:
        return
    stored = session.execute(
        STORED_OUTSIDE_SQL, {"source": source, "keys": list(by_key), "areas": sorted(areas)}
    )
    for row in stored:
        comune = gazetteer.comuni.get(row.municipality_code)
        where = comune.label if comune else "no loaded comune"
        by_key[row.source_key].refuse(
            SERVICE_OUTSIDE_AREAS, "source_key", row.source_key,
            f"this row would update the stored service {row.name!r} in {where}, area "
            f"{row.area_code or 'none'}, not in the areas this upload may write: "
            f"{_listed(areas)}",
        )


def check_some_row_allowed(records: list[Record], areas: set[str]) -> None:
    """Refuse (403) a file every row of which was refused as outside `areas`."""
    outside = [
        (record.row_number, reason.message)
        for record in records
        for reason in record.reasons
        if reason.code in OUTSIDE_CODES
    ]
    if records and len({number for number, _ in outside}) == len(records):
        number, message = min(outside)
        raise PermissionDenied(
            f"none of the {len(records)} rows lies in the areas this key may write "
            f"({_listed(areas)}); row {number}: {message}; nothing was stored"
        )


RUN_OUTSIDE_SQL = text(
    "SELECT s.id, s.name, s.municipality_code FROM service s "
    "WHERE s.ingest_run_id = :run_id AND NOT EXISTS ("
    "  SELECT 1 FROM area_municipality a"
    "  WHERE a.municipality_code = s.municipality_code AND a.area_code = ANY(:areas)"
    ") ORDER BY s.id LIMIT 1"
)


def check_run_within_areas(session: Session, run_id: int, areas: set[str] | None) -> None:
    """Refuse, in SQL, a run that wrote any service outside `areas` (None = every area)."""
    if areas is None:
        return
    outside = session.execute(RUN_OUTSIDE_SQL, {"run_id": run_id, "areas": sorted(areas)}).first()
    if outside is not None:
        raise PermissionDenied(
            f"service {outside.name!r} (comune {outside.municipality_code}) is outside the "
            f"areas this key may write ({', '.join(sorted(areas))}); nothing was stored"
        )


def check_service_within(session: Session, source: str, source_key: str, areas: set[str]) -> None:
    """Refuse (403) a change to the stored service (source, source_key) lying outside `areas`."""
    row = session.execute(
        STORED_OUTSIDE_SQL, {"source": source, "keys": [source_key], "areas": sorted(areas)}
    ).first()
    if row is not None:
        raise PermissionDenied(
            f"the service {row.name!r} lies in comune {row.municipality_code}, area "
            f"{row.area_code or 'none'}, not in the areas this key may write "
            f"({_listed(areas)}); nothing was changed"
        )
