"""The project's own expectations of its HSDS 3.1 output: members, types, required members.

They always run. Conformance to the standard's JSON schemas (read from HSDS_SCHEMA_DIR) is
checked apart, in tests/api/test_hsds_conformance.py.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

STATUSES = {"active", "inactive", "defunct", "temporarily closed"}

UUID = "uuid"
TEXT = "text"
NUMBER = "number"
DATETIME = "datetime"

# kind -> member -> expected type (a kind's name for nested objects, [kind] for arrays of them)
MEMBERS: dict[str, dict[str, Any]] = {
    "service": {
        "id": UUID, "organization_id": UUID, "name": TEXT, "description": TEXT, "url": TEXT,
        "email": TEXT, "status": TEXT, "interpretation_services": TEXT,
        "application_process": TEXT, "fees_description": TEXT, "eligibility_description": TEXT,
        "last_modified": DATETIME, "organization": "organization", "phones": ["phone"],
        "schedules": ["schedule"], "languages": ["language"], "attributes": ["attribute"],
        "required_documents": ["required_document"],
        "service_at_locations": ["service_at_location"],
    },
    "service_at_location": {
        "id": UUID, "service_id": UUID, "location_id": UUID, "location": "location",
        "service": "service",
    },
    "location": {
        "id": UUID, "location_type": TEXT, "organization_id": UUID, "name": TEXT,
        "description": TEXT, "latitude": NUMBER, "longitude": NUMBER, "external_identifier": TEXT,
        "external_identifier_type": TEXT, "addresses": ["address"],
        "accessibility": ["accessibility"],
    },
    "organization": {"id": UUID, "name": TEXT, "description": TEXT},
    "phone": {"id": UUID, "service_id": UUID, "number": TEXT},
    "language": {"id": UUID, "service_id": UUID, "code": TEXT},
    "required_document": {"id": UUID, "service_id": UUID, "document": TEXT},
    "schedule": {
        "id": UUID, "service_id": UUID, "description": TEXT, "opens_at": TEXT,
        "closes_at": TEXT, "byday": TEXT, "freq": TEXT, "wkst": TEXT, "valid_from": TEXT,
        "valid_to": TEXT, "dtstart": TEXT, "until": TEXT, "bymonthday": TEXT,
        "byweekno": TEXT, "byyearday": TEXT, "count": NUMBER, "interval": NUMBER,
        "schedule_link": TEXT, "attending_type": TEXT, "notes": TEXT,
    },
    "attribute": {
        "id": UUID, "link_id": UUID, "link_type": TEXT, "link_entity": TEXT,
        "taxonomy_term_id": UUID, "taxonomy_term": "taxonomy_term",
    },
    "taxonomy_term": {
        "id": UUID, "code": TEXT, "name": TEXT, "description": TEXT, "parent_id": UUID,
        "taxonomy": TEXT, "language": TEXT,
    },
    "address": {
        "id": UUID, "location_id": UUID, "address_1": TEXT, "city": TEXT,
        "state_province": TEXT, "postal_code": TEXT, "country": TEXT, "address_type": TEXT,
    },
    "accessibility": {"id": UUID, "location_id": UUID, "description": TEXT},
}  # fmt: skip

REQUIRED: dict[str, set[str]] = {
    "service": {"id", "name", "status"},
    "service_at_location": {"id", "service_id", "location_id", "location"},
    "location": {"id", "location_type", "latitude", "longitude"},
    "organization": {"id", "name"},
    "phone": {"id", "number"},
    "language": {"id", "code"},
    "required_document": {"id", "document"},
    "schedule": {"id"},
    "attribute": {"id", "link_id", "link_type", "taxonomy_term_id"},
    "taxonomy_term": {"id", "name", "description"},
    "address": {"id", "address_1", "city", "state_province", "postal_code", "country"},
    "accessibility": {"id"},
}

# the datapackage's tables: name -> (file, columns every file must have)
TABLES: dict[str, tuple[str, set[str]]] = {
    "organization": ("organizations.csv", {"id", "name"}),
    "service": ("services.csv", {"id", "organization_id", "name", "status"}),
    "attribute": ("attributes.csv", {"id", "link_id", "taxonomy_term_id", "link_type"}),
    "service_at_location": ("service_at_location.csv", {"id", "service_id", "location_id"}),
    "location": ("locations.csv", {"id", "location_type", "latitude", "longitude"}),
    "phone": ("phones.csv", {"id", "service_id", "number"}),
    "address": ("addresses.csv", {"id", "location_id", "address_1", "city", "country"}),
    "schedule": ("schedules.csv", {"id", "service_id"}),
    "taxonomy_term": ("taxonomy_terms.csv", {"id", "code", "name", "parent_id"}),
    "required_document": ("required_documents.csv", {"id", "service_id", "document"}),
    "language": ("languages.csv", {"id", "service_id", "code"}),
    "accessibility": ("accessibility.csv", {"id", "location_id", "description"}),
}


def hsds_errors(document: Any, kind: str, path: str = "") -> list[str]:
    """Every way `document` departs from the project's expectations of an HSDS `kind`."""
    if not isinstance(document, dict):
        return [f"{path or kind}: an object expected, got {type(document).__name__}"]
    members = MEMBERS[kind]
    errors = [f"{path}.{name}: unknown member of {kind}" for name in document.keys() - members]
    missing = REQUIRED[kind] - document.keys()
    errors += [f"{path}.{name}: required member missing" for name in missing]
    for name, value in document.items():
        if name in members:
            errors += _value_errors(value, members[name], f"{path}.{name}")
    if kind == "service" and document.get("status") not in STATUSES:
        errors.append(f"{path}.status: {document.get('status')!r} is not an HSDS status")
    if kind == "location":
        if not -90 <= document.get("latitude", 0) <= 90:
            errors.append(f"{path}.latitude out of range")
        if not -180 <= document.get("longitude", 0) <= 180:
            errors.append(f"{path}.longitude out of range")
    return errors


def _value_errors(value: Any, expected: Any, path: str) -> list[str]:
    """Errors of one member's value against its expected type (never null: absent instead)."""
    if value is None or value == []:
        return [f"{path}: null or empty list (HSDS members are left out instead)"]
    if isinstance(expected, list):
        if not isinstance(value, list):
            return [f"{path}: a list expected"]
        return [
            error
            for index, item in enumerate(value)
            for error in hsds_errors(item, expected[0], f"{path}[{index}]")
        ]
    if expected in MEMBERS:
        return hsds_errors(value, expected, path)
    if expected == NUMBER:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: a number expected, got {value!r}"]
    if not isinstance(value, str):
        return [f"{path}: a string expected, got {value!r}"]
    try:
        if expected == UUID:
            uuid.UUID(value)
        elif expected == DATETIME:
            datetime.fromisoformat(value)
    except ValueError:
        return [f"{path}: not a {expected}: {value!r}"]
    return []


def assert_hsds(document: dict[str, Any], kind: str) -> None:
    """Fail with every departure from the project's expectations of an HSDS `kind`."""
    errors = hsds_errors(document, kind)
    assert not errors, errors
