"""`ingest_file`: the one entry point of the CLI and the API upload.

read -> normalise -> validate -> place given points -> geocode -> place -> load, all on the
caller's session and transaction, so a failure anywhere leaves the database as it was.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from ingest import authority
from ingest.columns import map_columns
from ingest.gazetteer import load_gazetteer
from ingest.geocode import GeocodeCache, GeocoderSpec, OnlineGeocoder, geocode
from ingest.limits import CHECK_EVERY, Deadline, Limits
from ingest.load import load_services, store_rejections
from ingest.normalise import Rules, normalise
from ingest.options import (
    MAX_CATEGORY_CHARS,
    MAX_SHEET_CHARS,
    check_column_map,
    check_decimal,
    check_delimiter,
    check_encoding,
    check_name,
)
from ingest.parse import attribute_lookup, detect_decimal
from ingest.place import place
from ingest.read import read_table
from ingest.record import Record
from ingest.report import write_report
from ingest.validate import Categories, validate
from observatory.errors import GeographyNotLoaded, InvalidInput
from observatory.keys import Operator
from observatory.progress import track
from observatory.settings import get_settings
from observatory.taxonomy import read_synonyms

log = logging.getLogger(__name__)
LOCATION_FIELDS = {"lat", "lon", "municipality", "istat_code", "cadastral_code", "address"}
SOURCE_MAX_CHARS = 200


@dataclass
class IngestOptions:
    """How to read and store one file; `source` names it for provenance and the source key.

    The format comes from the file's extension (keep it on an uploaded temp file);
    `file_name` is the name to record and show when it differs (the client's name of an
    upload); `limits` bound the work (default: the upload limits of the settings).
    `key` is the API key of an upload (None: the command line), recorded on the run and
    checked against the source's owner; `allowed_areas` are the areas it may write.
    `snapshot`: the file lists every service of its source (within `allowed_areas`): those
    it no longer lists are closed, never deleted, and reopened if they come back.
    """

    source: str
    category: str | None = None
    column_map: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    decimal: str | None = None
    geocoder: GeocoderSpec | None = None
    allowed_areas: set[str] | None = None
    report_path: Path | None = None
    is_example: bool = False
    private_fields: set[str] = field(default_factory=set)
    comune_tolerance_km: float = 2.0
    file_name: str | None = None
    key: Operator | None = None
    limits: Limits = field(default_factory=Limits.for_upload)
    snapshot: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly options, as stored on the ingest run (the key has its own columns)."""
        options = asdict(self)
        del options["key"]
        options["allowed_areas"] = sorted(self.allowed_areas) if self.allowed_areas else None
        options["report_path"] = str(self.report_path) if self.report_path else None
        options["private_fields"] = sorted(self.private_fields)
        return options

    def __post_init__(self) -> None:
        """Check the reading options (`ingest.options`): the CLI and the upload share the rules."""
        self.decimal = check_decimal(self.decimal)
        self.delimiter = check_delimiter(self.delimiter)
        self.encoding = check_encoding(self.encoding)
        self.category = check_name("category", self.category, MAX_CATEGORY_CHARS)
        self.sheet = check_name("sheet", self.sheet, MAX_SHEET_CHARS)
        self.column_map = check_column_map(self.column_map)


@dataclass
class IngestReport:
    """What a run did: counts, and every refused row with its reasons."""

    run_id: int
    counts: dict[str, int]
    rejections: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    duration_s: float
    report_path: Path | None = None
    key_prefix: str | None = None
    key_name: str | None = None
    column_warnings: list[dict[str, Any]] = field(default_factory=list)
    closed: list[dict[str, Any]] = field(default_factory=list)
    """Services a snapshot closed: id, source_key, name, municipality_code."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly report."""
        return asdict(self) | {"report_path": str(self.report_path) if self.report_path else None}


def _rows_of(records: list[Record], attribute: str) -> list[dict[str, Any]]:
    return [
        {"row": r.row_number, "reasons": [x.to_dict() for x in getattr(r, attribute)]}
        for r in records
    ]


def _categories(session: Session) -> Categories:
    rows = session.execute(text("SELECT code, label_it, label_en FROM service_category"))
    return Categories(
        {code: (label_it, label_en) for code, label_it, label_en in rows},
        read_synonyms(get_settings().taxonomy_file),
    )


def _drop_duplicates(records: list[Record]) -> tuple[list[Record], list[Record]]:
    """Keep the first valid row of each source key; the others are refused as duplicates."""
    first: dict[str, int] = {}
    kept, duplicates = [], []
    for record in records:
        if record.reasons:
            kept.append(record)
        elif record.source_key in first:
            record.refuse(
                "duplicate_in_file", "source_key", record.source_key,
                f"same service as row {first[record.source_key]} (same id, or name + address "
                "+ comune)",
            )
            duplicates.append(record)
        else:
            first[record.source_key] = record.row_number
            kept.append(record)
    return kept, duplicates


def _placeholder_warnings(records: list[Record]) -> list[dict[str, Any]]:
    """One warning per column whose cells held placeholders ('N.D.', '-'), with their count."""
    counted = Counter(column for r in records for column in r.placeholders)
    return [
        {
            "column": column, "code": "placeholder", "rows": count,
            "message": f"{count:,} cells of column {column!r} hold a placeholder ('N.D.', "
            "'-', 'null'...): read as empty",
        }
        for column, count in counted.items()
    ]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _columns(path: Path, headers: list[str], overrides: dict[str, str]) -> dict[str, str]:
    """Map the headers; refuse a file without a name column or any location column."""
    columns = map_columns(headers, overrides)
    mapped = set(columns.values())
    if "name" not in mapped:
        raise InvalidInput(
            f"{path.name}: no column for the service name among {headers}; "
            "use --map COLUMN=name"
        )
    if not mapped & LOCATION_FIELDS:
        raise InvalidInput(
            f"{path.name}: no coordinates and no comune column (a name, an ISTAT or "
            f"cadastral code, or an address that names it) among {headers}; "
            "use --map COLUMN=municipality (or lat/lon)"
        )
    return columns


def _rules(columns: dict[str, str], categories: Categories, options: IngestOptions) -> Rules:
    """What normalising needs: the column map, the taxonomy lookups, the run's defaults."""
    if options.category and categories.resolve(options.category) is None:
        closest = ", ".join(categories.closest(options.category))
        raise InvalidInput(f"unknown category {options.category!r}; closest codes: {closest}")
    taxonomy = get_settings().taxonomy_file
    return Rules(
        columns=columns,
        target_groups=attribute_lookup(taxonomy, "target_groups"),
        access_modes=attribute_lookup(taxonomy, "access_modes"),
        category=options.category,
        is_example=options.is_example,
        private_fields=frozenset(options.private_fields),
    )


def _start_run(session: Session, path: Path, options: IngestOptions) -> int:
    """Insert the `ingest_run` row (committed only with the rest of the run)."""
    return session.execute(
        text(
            "INSERT INTO ingest_run (source, file_name, file_sha256, options, key_prefix, "
            "key_name) VALUES (:source, :file_name, :sha, CAST(:options AS jsonb), :prefix, "
            ":key_name) RETURNING id"
        ),
        {
            "prefix": options.key.key_prefix if options.key else None,
            "key_name": options.key.name if options.key else None,
            "source": options.source,
            "file_name": options.file_name or path.name,
            "sha": _sha256(path),
            "options": orjson.dumps(options.to_dict()).decode(),
        },
    ).scalar_one()


def _finish_run(session: Session, run_id: int, counts: dict[str, int], duration: float) -> None:
    """Mark the run succeeded with its counts and duration."""
    session.execute(
        text(
            "UPDATE ingest_run SET status = 'succeeded', counts = CAST(:counts AS jsonb), "
            "finished_at = now(), duration_s = :duration WHERE id = :id"
        ),
        {"counts": orjson.dumps(counts).decode(), "duration": duration, "id": run_id},
    )


def ingest_file(session: Session, path: Path, options: IngestOptions) -> IngestReport:
    """Read, check, geocode and upsert the services of `path`; record the run and rejections."""
    started = time.perf_counter()
    if not 0 < len(options.source) <= SOURCE_MAX_CHARS:
        raise InvalidInput(f"the source name must have 1 to {SOURCE_MAX_CHARS} characters")
    areas = options.allowed_areas
    authority.claim_source(session, options.source, options.key, areas)
    name = options.file_name or path.name
    deadline = Deadline(options.limits, name)
    table = read_table(
        path, options.sheet, options.delimiter, options.encoding,
        limits=options.limits, deadline=deadline, name=name,
    )
    if table.header_row > 1:
        log.info("%s: header on row %d, the rows above are titles", path.name, table.header_row)
    columns = _columns(path, table.headers, options.column_map)
    coordinates = [c for c, f in columns.items() if f in {"lat", "lon"}]
    decimal = options.decimal or detect_decimal(
        [row[c] for _, row in table.rows[:1000] for c in coordinates]
    )
    gazetteer = load_gazetteer(session)
    if not gazetteer.comuni:
        raise GeographyNotLoaded("no geography loaded: run `observatory geo load` first")
    categories = _categories(session)
    rules = _rules(columns, categories, options)
    run_id = _start_run(session, path, options)

    records = []
    for number, row in track(table.rows, len(table.rows), f"Lettura / reading {name}"):
        record = normalise(number, row, rules)
        record.reasons.extend(table.refusals.get(number, ()))
        records.append(validate(record, categories, gazetteer, decimal, options.limits))
        if len(records) % CHECK_EVERY == 0:
            deadline.check()
    deadline.check()
    records, duplicates = _drop_duplicates(records)
    accepted = [r for r in records if not r.reasons]
    online = OnlineGeocoder(options.geocoder) if options.geocoder else None
    tolerance = options.comune_tolerance_km
    # Given points first: those that contradict the comune the row names are discarded,
    # and go through the geocoder chain with the rows that gave none.
    place(session, [r for r in accepted if r.lon is not None], gazetteer, tolerance)
    sources = geocode(accepted, GeocodeCache(session), online)
    deadline.check()
    place(session, [r for r in accepted if r.municipality_code is None and not r.reasons],
          gazetteer, tolerance)
    if areas is not None:
        authority.refuse_rows_outside(session, records + duplicates, gazetteer, areas)
        authority.refuse_updates_outside(session, options.source, accepted, gazetteer, areas)
        authority.check_some_row_allowed(records + duplicates, areas)
    deadline.check()
    stored = [r for r in accepted if not r.reasons]
    if options.snapshot and not stored:
        raise InvalidInput(
            f"{name}: no row could be stored, so as a snapshot it would close every service "
            f"of source {options.source!r}; nothing was stored (see the rejected rows)"
        )
    listed = {r.source_key for r in records + duplicates} if options.snapshot else None
    loaded = load_services(session, options.source, run_id, stored, areas, listed)
    rejected = [r for r in records if r.reasons]
    refused = sorted(rejected + duplicates, key=attrgetter("row_number"))
    store_rejections(session, run_id, refused)
    warned = [r for r in stored if r.warnings]
    column_warnings = _placeholder_warnings(records + duplicates)

    counts = {
        "read": len(table.rows),
        "inserted": loaded.inserted,
        "updated": loaded.updated,
        "unchanged": len(stored) - loaded.inserted - loaded.updated,
        "rejected": len(rejected),
        "duplicates_in_file": len(duplicates),
        "absent_from_file": loaded.absent,
        "closed": len(loaded.closed),
        "reopened": loaded.reopened,
        "warnings": sum(len(r.warnings) for r in stored),
        "placeholders": sum(w["rows"] for w in column_warnings),
        **{f"geocoded_{k}": v for k, v in sources.items()},
        **Counter(flag for r in stored for flag in r.flags),
        **Counter(f"unparsed_{name}" for r in stored for name in r.unparsed),
    }
    if options.report_path is not None:
        write_report(options.report_path, refused, warned)
    duration = time.perf_counter() - started
    _finish_run(session, run_id, counts, duration)
    log.info(
        "ingest %s: %d read, %d inserted, %d updated, %d unchanged, %d rejected, %d duplicates",
        path.name, counts["read"], loaded.inserted, loaded.updated, counts["unchanged"],
        len(rejected), len(duplicates),
    )
    return IngestReport(
        run_id=run_id,
        counts=counts,
        rejections=_rows_of(refused, "reasons"),
        warnings=_rows_of(warned, "warnings"),
        duration_s=duration,
        report_path=options.report_path,
        key_prefix=options.key.key_prefix if options.key else None,
        key_name=options.key.name if options.key else None,
        column_warnings=column_warnings,
        closed=loaded.closed,
    )
