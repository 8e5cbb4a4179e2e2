"""HSDS tabular datapackage: one CSV per HSDS object plus `datapackage.json`, as a folder or zip.

The rows come from the same public serialisation as the HSDS API (`observatory.hsds`), so
private fields and exact points of private addresses are absent here too. Text cells that a
spreadsheet would run as a formula are neutralised (`observatory.csvcell`).
"""

from __future__ import annotations

import csv
import json
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from observatory import __version__
from observatory.csvcell import safe_cell
from observatory.hsds import (
    HSDS_PROFILE_URI,
    SCHEDULE_ENUMS,
    SCHEDULE_TEXT,
    iter_public_services,
    service_document,
    taxonomy_terms,
)

TABLES: dict[str, tuple[str, list[str]]] = {
    "organization": ("organizations.csv", ["id", "name", "description"]),
    "service": (
        "services.csv",
        [
            "id",
            "organization_id",
            "name",
            "description",
            "url",
            "email",
            "status",
            "interpretation_services",
            "application_process",
            "fees_description",
            "eligibility_description",
            "last_modified",
        ],
    ),
    "attribute": (
        "attributes.csv",
        ["id", "link_id", "taxonomy_term_id", "link_type", "link_entity"],
    ),
    "service_at_location": ("service_at_location.csv", ["id", "service_id", "location_id"]),
    "location": (
        "locations.csv",
        [
            "id",
            "location_type",
            "organization_id",
            "name",
            "description",
            "latitude",
            "longitude",
            "external_identifier",
            "external_identifier_type",
        ],
    ),
    "phone": ("phones.csv", ["id", "service_id", "number"]),
    "address": (
        "addresses.csv",
        [
            "id",
            "location_id",
            "address_1",
            "city",
            "state_province",
            "postal_code",
            "country",
            "address_type",
        ],
    ),
    "schedule": (
        "schedules.csv",
        ["id", "service_id", *SCHEDULE_ENUMS, "interval", *SCHEDULE_TEXT],
    ),
    "required_document": ("required_documents.csv", ["id", "service_id", "document"]),
    "language": ("languages.csv", ["id", "service_id", "code"]),
    "accessibility": ("accessibility.csv", ["id", "location_id", "description"]),
    "taxonomy_term": (
        "taxonomy_terms.csv",
        ["id", "code", "name", "description", "parent_id", "taxonomy", "language"],
    ),
}
# nested key of a service document -> the table its objects go to
_NESTED = {
    "organization": "organization",
    "phones": "phone",
    "schedules": "schedule",
    "languages": "language",
    "attributes": "attribute",
    "required_documents": "required_document",
    "service_at_locations": "service_at_location",
    "location": "location",
    "addresses": "address",
    "accessibility": "accessibility",
}
_NUMBERS = {"latitude", "longitude", "interval"}
_FORMATS = {"url": "uri", "email": "email"}


def _field(name: str) -> dict[str, str]:
    """The Table Schema field of an HSDS column."""
    if name in _NUMBERS:
        return {"name": name, "type": "number"}
    if name == "last_modified":
        return {"name": name, "type": "datetime"}
    if name == "id" or name.endswith("_id"):
        return {"name": name, "type": "string", "format": "uuid"}
    if name in _FORMATS:
        return {"name": name, "type": "string", "format": _FORMATS[name]}
    return {"name": name, "type": "string"}


def descriptor(counts: dict[str, int]) -> dict[str, Any]:
    """The `datapackage.json` of the export: one tabular resource per table, with its fields."""
    resources = []
    for name, (path, columns) in TABLES.items():
        resources.append(
            {
                "name": name,
                "path": path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "count": counts[name],
                "schema": {"fields": [_field(c) for c in columns], "primaryKey": "id"},
            }
        )
    return {
        "name": "osservatorio-hsds",
        "title": "Osservatorio: servizi per cittadini stranieri (Open Referral HSDS 3.1)",
        "profile": "tabular-data-package",
        "hsds_profile": HSDS_PROFILE_URI,
        "version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "resources": resources,
    }


def _flatten(document: dict[str, Any], table: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (table, row) for `document` and, depth first, for every object nested in it."""
    yield table, document
    for key, value in document.items():
        nested = _NESTED.get(key)
        if nested is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            yield from _flatten(item, nested)


def write_folder(session: Session, folder: Path) -> dict[str, int]:
    """Write the CSVs and `datapackage.json` into `folder`; return the rows per table."""
    folder.mkdir(parents=True, exist_ok=True)
    counts = dict.fromkeys(TABLES, 0)
    seen: set[str] = set()
    with ExitStack() as stack:
        writers = {}
        for name, (path, columns) in TABLES.items():
            handle = stack.enter_context((folder / path).open("w", encoding="utf-8", newline=""))
            writers[name] = csv.DictWriter(handle, columns)
            writers[name].writeheader()

        def write(table: str, row: dict[str, Any]) -> None:
            if table in ("organization", "taxonomy_term"):
                if row["id"] in seen:
                    return
                seen.add(row["id"])
            writers[table].writerow({c: safe_cell(row.get(c)) for c in TABLES[table][1]})
            counts[table] += 1

        for term in taxonomy_terms(session):
            write("taxonomy_term", term)
        for row in iter_public_services(session):
            for table, flat in _flatten(service_document(row), "service"):
                write(table, flat)
    (folder / "datapackage.json").write_text(
        json.dumps(descriptor(counts), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return counts


def write_zip(session: Session, target: Path) -> dict[str, int]:
    """Write the datapackage as one zip file at `target`; return the rows per table."""
    with tempfile.TemporaryDirectory() as tmp:
        counts = write_folder(session, Path(tmp))
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(Path(tmp).iterdir()):
                archive.write(path, path.name)
    return counts


def export(session: Session, out: Path) -> dict[str, int]:
    """Export to `out`: a zip when its name ends in .zip, else a folder."""
    if out.suffix.lower() == ".zip":
        return write_zip(session, out)
    return write_folder(session, out)
