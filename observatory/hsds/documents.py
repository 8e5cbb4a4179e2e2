"""Open Referral HSDS 3.1 documents: stable ids and the nested objects of one public row.

Each row of `service_public` is one HSDS service delivered at one location, so it yields a
service, a location (with its address and accessibility), a service_at_location, phones,
schedules, languages and a taxonomy attribute from its `service_category`. Identifiers are
stable UUIDs: version-8 UUIDs whose last 62 bits are the service id (so an id maps back to
its row), with a per-kind prefix; organizations and taxonomy terms get UUID5s of their
name or code.
"""

from __future__ import annotations

import functools
import re
import uuid
from datetime import datetime
from typing import Any

from observatory.models import APPROXIMATE_NOTE, APPROXIMATE_PRECISIONS
from observatory.settings import get_settings
from observatory.taxonomy import read_attributes

HSDS_VERSION = "3.1"
HSDS_PROFILE_URI = "https://github.com/openreferral/specification/tree/3.1/schema"
TAXONOMY_NAME = "osservatorio"
ID_NAMESPACE = uuid.UUID("ed97ac5e-68e5-5bfd-acc4-359adab191a3")
SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
HSDS_STATUS = {"active": "active", "suspended": "temporarily closed", "closed": "inactive"}
"""Our statuses (CHECK, migration 0009) in HSDS terms."""
_NUMBER_BITS = 62
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URL = re.compile(r"https?://[^\s/]+\.[^\s]+", re.IGNORECASE)
SCHEDULE_TEXT = (
    "valid_from",
    "valid_to",
    "dtstart",
    "until",
    "byday",
    "byweekno",
    "bymonthday",
    "byyearday",
    "description",
    "opens_at",
    "closes_at",
    "attending_type",
    "notes",
)
SCHEDULE_ENUMS = {
    "freq": ("WEEKLY", "MONTHLY"),
    "wkst": ("MO", "TU", "WE", "TH", "FR", "SA", "SU"),
}


@functools.cache
def _kind_prefix(kind: str) -> int:
    """The upper 64 bits shared by every UUID of entity `kind` (version 8 set)."""
    prefix = uuid.uuid5(ID_NAMESPACE, kind).int >> 64
    return (prefix & ~(0xF << 12)) | (0x8 << 12)


def entity_uuid(kind: str, number: int) -> str:
    """The stable UUID of entity `kind` derived from the integer id `number`."""
    return str(uuid.UUID(int=(_kind_prefix(kind) << 64) | (0b10 << _NUMBER_BITS) | number))


def entity_number(kind: str, value: str) -> int | None:
    """The integer id inside `value` when it is a UUID of `kind` made by `entity_uuid`."""
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return None
    number = parsed.int & ((1 << _NUMBER_BITS) - 1)
    return number if entity_uuid(kind, number) == str(parsed) else None


def name_uuid(kind: str, name: str) -> str:
    """The stable UUID5 of an entity known by a name or code."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{kind}:{' '.join(name.casefold().split())}"))


def api_info(openapi_url: str) -> dict[str, str]:
    """The HSDS `GET /` answer: version, profile and where the OpenAPI document is."""
    return {"version": HSDS_VERSION, "profile": HSDS_PROFILE_URI, "openapi_url": openapi_url}


@functools.cache
def _access_mode_labels() -> dict[str, str]:
    """Access-mode code -> "Italiano / English" label, from the taxonomy file."""
    values = read_attributes(get_settings().taxonomy_file).get("access_modes", {}).get("values")
    return {v["code"]: f"{v['it']} / {v['en']}" for v in values or []}


def _valid(value: str | None, pattern: re.Pattern[str]) -> str | None:
    """`value` when it matches `pattern` whole, else None: HSDS types emails and URLs."""
    return value.strip() if value and pattern.fullmatch(value.strip()) else None


def _compact(document: dict[str, Any]) -> dict[str, Any]:
    """Drop absent values and empty lists: HSDS fields are typed, never null."""
    return {k: v for k, v in document.items() if v is not None and v != []}


def taxonomy_term(code: str, parent: str | None, label_it: str, label_en: str) -> dict[str, Any]:
    """One service category as an HSDS taxonomy term."""
    return _compact(
        {
            "id": name_uuid("taxonomy_term", code),
            "code": code,
            "name": label_it,
            "description": f"{label_it} / {label_en}",
            "parent_id": name_uuid("taxonomy_term", parent) if parent else None,
            "taxonomy": TAXONOMY_NAME,
            "language": "it",
        }
    )


def organization_document(row: dict[str, Any]) -> dict[str, Any] | None:
    """The organization running the service, when one is named."""
    name = row["organization_name"]
    if not name:
        return None
    return {"id": name_uuid("organization", name), "name": name, "description": ""}


def _schedules(row: dict[str, Any], service_id: str) -> list[dict[str, Any]]:
    """Structured opening times from `schedule`, else one schedule with the opening-hours text."""
    entries = [e for e in row["schedule"] or [] if isinstance(e, dict)]
    if not entries and row["opening_hours"]:
        entries = [{"description": row["opening_hours"]}]
    schedules = []
    for index, entry in enumerate(entries):
        schedule: dict[str, Any] = {
            "id": name_uuid("schedule", f"{row['id']}:{index}"),
            "service_id": service_id,
        }
        schedule.update({k: str(entry[k]) for k in SCHEDULE_TEXT if entry.get(k) is not None})
        for key, allowed in SCHEDULE_ENUMS.items():
            value = str(entry.get(key) or "").upper()
            if value in allowed:
                schedule[key] = value
        if "byday" in schedule and "freq" not in schedule:
            schedule["freq"] = "WEEKLY"
        if isinstance(entry.get("interval"), int | float):
            schedule["interval"] = entry["interval"]
        schedules.append(schedule)
    return schedules


def location_document(row: dict[str, Any]) -> dict[str, Any]:
    """The physical location of the service, with its address and step-free access."""
    location_id = entity_uuid("location", row["id"])
    city = row["municipality_name"] or row["stated_municipality"]
    address = None
    if row["address_1"] and city:
        address = {
            "id": entity_uuid("address", row["id"]),
            "location_id": location_id,
            "address_1": row["address_1"],
            "city": city,
            "state_province": row["province_short"] or row["stated_province"] or "",
            "postal_code": row["postal_code"] or "",
            "country": "IT",
            "address_type": "physical",
        }
    accessibility = None
    if row["step_free_access"] is not None:
        accessibility = {
            "id": entity_uuid("accessibility", row["id"]),
            "location_id": location_id,
            "description": "Accesso senza barriere / step-free access"
            if row["step_free_access"]
            else "Accesso con barriere / not step-free",
        }
    organization = organization_document(row)
    return _compact(
        {
            "id": location_id,
            "location_type": "physical",
            "organization_id": organization["id"] if organization else None,
            "name": row["name"],
            "description": APPROXIMATE_NOTE
            if row["geocode_precision"] in APPROXIMATE_PRECISIONS
            else None,
            "latitude": row["latitude"],
            "longitude": row["longitude"],
            "external_identifier": str(row["municipality_code"])
            if row["municipality_code"]
            else None,
            "external_identifier_type": "ISTAT comune" if row["municipality_code"] else None,
            "addresses": [address] if address else [],
            "accessibility": [accessibility] if accessibility else [],
        }
    )


def _single(kind: str, row_id: int, present: Any, **fields: Any) -> list[dict[str, Any]]:
    """A one-item list with the `kind` child object of a row, or [] when `present` is empty."""
    return [{"id": entity_uuid(kind, row_id), **fields}] if present else []


def service_document(row: dict[str, Any], *, with_locations: bool = True) -> dict[str, Any]:
    """The fully nested HSDS service of one public row."""
    service_id = entity_uuid("service", row["id"])
    organization = organization_document(row)
    phones = _single("phone", row["id"], row["phone"], service_id=service_id, number=row["phone"])
    languages = [
        {"id": name_uuid("language", f"{row['id']}:{code}"), "service_id": service_id, "code": code}
        for code in row["languages"] or []
    ]
    attributes = []
    if row["category_code"]:
        term = taxonomy_term(
            row["category_code"],
            row["category_parent"],
            row["category_label_it"],
            row["category_label_en"],
        )
        attributes = [
            {
                "id": entity_uuid("attribute", row["id"]),
                "link_id": service_id,
                "link_type": "service",
                "link_entity": "service",
                "taxonomy_term_id": term["id"],
                "taxonomy_term": term,
            }
        ]
    documents = _single(
        "required_document",
        row["id"],
        row["documents_required"],
        service_id=service_id,
        document=row["documents_required"],
    )
    locations = []
    if with_locations:
        locations = [_service_at_location(row, service_id)]
    updated: datetime | None = row["updated_at"]
    return _compact(
        {
            "id": service_id,
            "organization_id": organization["id"] if organization else None,
            "name": row["name"],
            "description": row["description"],
            "url": _valid(row["url"], _URL),
            "email": _valid(row["email"], _EMAIL),
            "status": HSDS_STATUS.get(row["status"], "inactive"),
            "interpretation_services": (
                "Mediazione linguistico-culturale / language and cultural mediation"
                if row["mediation_available"]
                else None
            ),
            "application_process": ", ".join(
                _access_mode_labels().get(mode, mode) for mode in row["access_modes"] or []
            )
            or None,
            "fees_description": row["cost"],
            "eligibility_description": row["eligibility_description"],
            "last_modified": updated.isoformat() if updated else None,
            "organization": organization,
            "phones": phones,
            "schedules": _schedules(row, service_id),
            "languages": languages,
            "attributes": attributes,
            "required_documents": documents,
            "service_at_locations": locations,
        }
    )


def _service_at_location(row: dict[str, Any], service_id: str) -> dict[str, Any]:
    location = location_document(row)
    return {
        "id": entity_uuid("service_at_location", row["id"]),
        "service_id": service_id,
        "location_id": location["id"],
        "location": location,
    }


def service_at_location_document(row: dict[str, Any]) -> dict[str, Any]:
    """The HSDS service_at_location of one public row, with its location and service."""
    service = service_document(row, with_locations=False)
    document = _service_at_location(row, service["id"])
    document["service"] = service
    return document
