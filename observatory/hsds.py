"""Open Referral HSDS 3.1: services in HSDS shape, paged and filtered, framework-free.

Each row of `service` is one HSDS service delivered at one location, so it yields a
service, a location (with its address and accessibility), a service_at_location, phones,
schedules, languages and a taxonomy attribute from its `service_category`. Identifiers are
stable UUIDs: version-8 UUIDs whose last 62 bits are the service id (so an id maps back to
its row), with a per-kind prefix; organizations and taxonomy terms get UUID5s of their
name or code. Fields listed in a service's `private_fields` never leave this module.
"""

from __future__ import annotations

import functools
import math
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import Select, and_, any_, cast, func, literal, not_, or_, select
from sqlalchemy.orm import Session

from observatory.errors import InvalidInput, NotFound
from observatory.models import Municipality, Province, Service, ServiceCategory
from observatory.settings import get_settings
from observatory.taxonomy import read_attributes

HSDS_VERSION = "3.1"
HSDS_PROFILE_URI = "https://github.com/openreferral/specification/tree/3.1/schema"
TAXONOMY_NAME = "osservatorio"
ID_NAMESPACE = uuid.UUID("ed97ac5e-68e5-5bfd-acc4-359adab191a3")
MAX_PROXIMITY_M = 500_000
SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
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


@dataclass(frozen=True)
class Proximity:
    """A circle of `radius_m` metres around a WGS84 point."""

    lat: float
    lon: float
    radius_m: float


@dataclass(frozen=True)
class ServiceFilter:
    """What a list of services is restricted to (every part optional)."""

    search: str | None = None
    taxonomy_term_id: str | None = None
    language: str | None = None
    proximity: Proximity | None = None


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


def check_proximity(
    lat: float | None, lon: float | None, radius_m: float | None
) -> Proximity | None:
    """Validate a `proximity` query: all three given, finite, on the globe, radius bounded."""
    if lat is None and lon is None and radius_m is None:
        return None
    if lat is None or lon is None or radius_m is None:
        raise InvalidInput("proximity needs lat, lon and proximity (metres) together")
    if not all(math.isfinite(v) for v in (lat, lon, radius_m)):
        raise InvalidInput("lat, lon and proximity must be finite numbers")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput(
            f"invalid coordinates lat={lat}, lon={lon}: lat in [-90, 90], lon in [-180, 180]"
        )
    if not 0 < radius_m <= MAX_PROXIMITY_M:
        raise InvalidInput(f"proximity must be between 0 and {MAX_PROXIMITY_M} metres")
    return Proximity(lat, lon, radius_m)


def api_info(openapi_url: str) -> dict[str, str]:
    """The HSDS `GET /` answer: version, profile and where the OpenAPI document is."""
    return {"version": HSDS_VERSION, "profile": HSDS_PROFILE_URI, "openapi_url": openapi_url}


# --- queries -----------------------------------------------------------------------------

_SERVICE_COLUMNS = [c for c in Service.__table__.c if c.key not in ("geom", "extra")]


def _rows_query() -> Select[Any]:
    """Services with coordinates, comune, province and category labels."""
    return (
        select(
            *_SERVICE_COLUMNS,
            func.ST_Y(Service.geom).label("latitude"),
            func.ST_X(Service.geom).label("longitude"),
            Municipality.name.label("municipality_name"),
            Province.short.label("province_short"),
            ServiceCategory.parent_code.label("category_parent"),
            ServiceCategory.label_it.label("category_label_it"),
            ServiceCategory.label_en.label("category_label_en"),
        )
        .outerjoin(Municipality, Municipality.code == Service.municipality_code)
        .outerjoin(Province, Province.code == Municipality.province_code)
        .outerjoin(ServiceCategory, ServiceCategory.code == Service.category_code)
    )


def _public_match(column: Any, field: str, pattern: str) -> Any:
    """`column ILIKE pattern`, only where `field` is not private."""
    return and_(
        column.ilike(pattern, escape="\\"), not_(literal(field) == any_(Service.private_fields))
    )


def _category_code(session: Session, term: str) -> str:
    """The category code of a taxonomy term given by its HSDS id or its code."""
    for code in session.scalars(select(ServiceCategory.code)):
        if term in (code, name_uuid("taxonomy_term", code)):
            return code
    raise NotFound(f"unknown taxonomy term {term!r}")


def _point(proximity: Proximity) -> Any:
    return func.ST_SetSRID(func.ST_MakePoint(proximity.lon, proximity.lat), 4326)


def _envelope(proximity: Proximity) -> Any:
    """A lon/lat box that holds the whole circle, so the GiST index can prefilter."""
    dlat = proximity.radius_m / 110_574 * 1.01
    far_lat = min(abs(proximity.lat) + dlat, 89.9)
    dlon = min(proximity.radius_m / (111_320 * math.cos(math.radians(far_lat))) * 1.01, 180)
    return func.ST_MakeEnvelope(
        proximity.lon - dlon, proximity.lat - dlat, proximity.lon + dlon, proximity.lat + dlat, 4326
    )


def _filtered(session: Session, query: Select[Any], filters: ServiceFilter) -> Select[Any]:
    """Apply search, taxonomy term, language and proximity to `query`."""
    if filters.search:
        escaped = filters.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(
            or_(
                Service.name.ilike(pattern, escape="\\"),
                _public_match(Service.description, "description", pattern),
                _public_match(Service.organization_name, "organization_name", pattern),
            )
        )
    if filters.taxonomy_term_id:
        code = _category_code(session, filters.taxonomy_term_id)
        query = query.where(or_(Service.category_code == code, ServiceCategory.parent_code == code))
    if filters.language:
        query = query.where(Service.languages.contains([filters.language]))
    if filters.proximity:
        point = _point(filters.proximity)
        query = query.where(
            Service.geom.op("&&")(_envelope(filters.proximity)),
            func.ST_DWithin(
                cast(Service.geom, Geography), cast(point, Geography), filters.proximity.radius_m
            ),
        )
    return query


def _ordered(query: Select[Any], filters: ServiceFilter) -> Select[Any]:
    """Nearest first when a point is given, else by id: stable pages either way."""
    if filters.proximity:
        distance = func.ST_Distance(
            cast(Service.geom, Geography), cast(_point(filters.proximity), Geography)
        )
        return query.order_by(distance, Service.id)
    return query.order_by(Service.id)


def _page(
    session: Session, filters: ServiceFilter, page: int, per_page: int, serialise: Any
) -> dict[str, Any]:
    """One HSDS page (`total_items`, `total_pages`, ..., `contents`) of filtered services."""
    query = _filtered(session, _rows_query(), filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        _ordered(query, filters).limit(per_page).offset((page - 1) * per_page)
    ).mappings()
    contents = [serialise(_public(row)) for row in rows]
    total_pages = math.ceil(total / per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


def list_services(
    session: Session, filters: ServiceFilter, page: int, per_page: int
) -> dict[str, Any]:
    """A page of services, each fully nested (organization, locations, phones, languages...)."""
    return _page(session, filters, page, per_page, service_document)


def list_service_at_locations(
    session: Session, filters: ServiceFilter, page: int, per_page: int
) -> dict[str, Any]:
    """A page of service_at_location entries, each with its location and service."""
    return _page(session, filters, page, per_page, service_at_location_document)


def get_service(session: Session, service_id: str) -> dict[str, Any]:
    """One fully nested service by its HSDS id; NotFound for any other id."""
    number = entity_number("service", service_id)
    row = None
    if number is not None:
        row = session.execute(_rows_query().where(Service.id == number)).mappings().first()
    if row is None:
        raise NotFound(f"unknown service {service_id!r}")
    return service_document(_public(row))


def iter_public_services(session: Session) -> Iterator[dict[str, Any]]:
    """Every service as a public row (private fields emptied), by id, streamed."""
    result = session.execute(
        _rows_query().order_by(Service.id).execution_options(yield_per=1000)
    ).mappings()
    for row in result:
        yield _public(row)


def taxonomy_terms(session: Session) -> list[dict[str, Any]]:
    """Every service category as an HSDS taxonomy term."""
    rows = session.execute(
        select(
            ServiceCategory.code,
            ServiceCategory.parent_code,
            ServiceCategory.label_it,
            ServiceCategory.label_en,
        ).order_by(ServiceCategory.position)
    )
    return [_taxonomy_term(*row) for row in rows]


# --- serialisation -----------------------------------------------------------------------


def _public(row: Any) -> dict[str, Any]:
    """A plain dict of `row` with every field named in `private_fields` emptied."""
    public = dict(row)
    for field in public["private_fields"] or []:
        if field in public and field not in ("id", "name", "private_fields"):
            public[field] = None
    if "opening_hours" in (public["private_fields"] or []):
        public["schedule"] = None  # parsed from the opening hours: private with them
    return public


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


def _taxonomy_term(code: str, parent: str | None, label_it: str, label_en: str) -> dict[str, Any]:
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
        term = _taxonomy_term(
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
            "status": row["status"] if row["status"] in SERVICE_STATUSES else "inactive",
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
