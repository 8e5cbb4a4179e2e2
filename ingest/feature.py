"""One service as a GeoJSON Feature, written through the ingest (OGC API - Features Part 4).

A created, replaced or patched feature becomes a one-row table whose columns are ingest
fields and runs through `ingest_table`: the same normalising, validation, placing, key
authority and upsert as an uploaded sheet, recorded as an ingest run with the key. A replace
or patch keeps the service's source and source key, so the upsert updates that very row.
A delete closes the service (`status = 'closed'`) under the same authority: nothing is erased.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from ingest import authority
from ingest.columns import FIELDS, header_field
from ingest.pipeline import IngestOptions, IngestReport, finish_run, ingest_table, start_run
from ingest.read import Table
from observatory import keys
from observatory.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from observatory.features.crs import Crs, to_lon_lat
from observatory.keys import Operator

ITEM_NAMES = {
    "organization_name": "organization",
    "municipality_code": "istat_code",
    "postal_code": "postcode",
    "mediation_available": "mediation",
    "step_free_access": "step_free",
    "documents_required": "documents",
}
"""The items output's property names that are not upload column names -> ingest fields."""
READ_ONLY = frozenset({"status", "geocode_precision", "location_approximate"})
"""Properties the items output computes: accepted (a fetched feature can be sent back), unused."""
KEPT_UNLESS_GIVEN = ("private_fields", "is_example")
"""A replace keeps these stored flags unless the body gives them: the public items hide them."""
TOP_LEVEL = frozenset({"type", "id", "geometry", "properties", "links", "bbox"})
LOCATION = frozenset({"lon", "lat", "municipality", "istat_code", "cadastral_code", "address"})
API_SOURCE_PREFIX = "api-"

STORED_SQL = text(
    "SELECT id, source, source_key, name, organization_name AS organization, description, "
    "category_code AS category, address_1 AS address, postal_code AS postcode, "
    "stated_municipality AS municipality, stated_province AS province, "
    "municipality_code AS istat_code, phone, email, url, opening_hours, languages, "
    "target_groups, eligibility_description, access_modes, mediation_available AS mediation, "
    "step_free_access AS step_free, documents_required AS documents, cost, capacity, "
    "is_example, private_fields, extra, geocode_precision, ST_X(geom) AS lon, ST_Y(geom) AS lat "
    "FROM service WHERE id = :id AND status <> 'closed' FOR UPDATE"
)
NEW_ID_SQL = text("SELECT id FROM service WHERE ingest_run_id = :run_id")
CLOSE_SQL = text(
    "UPDATE service SET status = 'closed', updated_at = now(), ingest_run_id = :run_id "
    "WHERE id = :id"
)


@dataclass
class Written:
    """What an edit did: the service, its ingest run's report (counts, warnings)."""

    service_id: int
    report: IngestReport | None = None
    run_id: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The response body: the service id, the run and what it counted."""
        if self.report is None:
            return {"id": self.service_id, "run_id": self.run_id, "counts": self.counts}
        return {
            "id": self.service_id,
            "run_id": self.report.run_id,
            "counts": self.report.counts,
            "warnings": self.report.warnings,
            "key_prefix": self.report.key_prefix,
        }


def parse_body(body: bytes, patch: bool = False) -> dict[str, Any]:
    """The JSON object of a request body; a Feature unless it is a merge patch."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise InvalidInput(f"the body is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise InvalidInput("the body must be a GeoJSON Feature object")
    unknown = sorted(set(document) - TOP_LEVEL)
    if unknown:
        raise InvalidInput(f"unknown member {unknown[0]!r}: a Feature has type, geometry, "
                           "properties")
    if not patch and document.get("type") != "Feature":
        raise InvalidInput(f"type {document.get('type')!r}: the body must be a GeoJSON Feature")
    properties = document.setdefault("properties", {} if patch else None)
    if not isinstance(properties, dict):
        raise InvalidInput("properties must be an object of the service's fields")
    if "geometry" not in document and not patch:
        raise InvalidInput("geometry is required (a Point, or null to place by address)")
    return document


def _point(geometry: Any, crs: Crs) -> tuple[float, float] | None:
    """Longitude, latitude of a GeoJSON Point written in `crs` (its axis order); None for null."""
    if geometry is None:
        return None
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if (
        not isinstance(geometry, dict)
        or geometry.get("type") != "Point"
        or not isinstance(coordinates, list)
        or len(coordinates) != 2
        or not all(
            isinstance(c, int | float) and not isinstance(c, bool) and math.isfinite(c)
            for c in coordinates
        )
    ):
        raise InvalidInput(f"geometry must be a GeoJSON Point in {crs.label}, or null")
    return to_lon_lat((coordinates[0], coordinates[1]), crs)


def _field(name: str) -> str:
    """The ingest field a property names (items output name, or upload column name)."""
    if name in ITEM_NAMES:
        return ITEM_NAMES[name]
    if name in FIELDS:
        return name
    found, exact = header_field(name)
    if found is None or not exact:
        raise InvalidInput(
            f"unknown property {name!r}: use the names of the items (name, category, "
            "address, municipality_code, phone, languages...) or the upload's columns"
        )
    return found


def _cell(name: str, value: Any) -> str:
    """A property's value as the text of a sheet cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "sì" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ", ".join(value)
    if not isinstance(value, str):
        raise InvalidInput(
            f"property {name!r} must be text, a number, true/false or a list of text"
        )
    if "\x00" in value:
        raise InvalidInput(f"property {name!r} holds a NUL character")
    return value


def to_fields(properties: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Properties -> {ingest field: value}, and the name each field was given by."""
    fields: dict[str, Any] = {}
    names: dict[str, str] = {}
    for name, value in properties.items():
        if name in READ_ONLY or name == "source":
            continue
        target = _field(name)
        if target in names:
            raise InvalidInput(f"properties {names[target]!r} and {name!r} both give {target}")
        fields[target], names[target] = value, name
    return fields, names


def _stored(session: Session, service_id: int) -> Any:
    """The current (not closed) service row, locked; NotFound otherwise."""
    row = session.execute(STORED_SQL, {"id": service_id}).first()
    if row is None:
        raise NotFound(f"no feature {str(service_id)!r} in collection 'services'")
    return row


def stored_fields(row: Any) -> dict[str, Any]:
    """A stored service as ingest fields: what a merge patch applies to."""
    fields = {
        name: getattr(row, name)
        for name in (
            "name", "organization", "description", "category", "address", "postcode",
            "municipality", "province", "istat_code", "phone", "email", "url",
            "opening_hours", "languages", "access_modes", "mediation", "step_free",
            "documents", "cost", "capacity", "is_example", "private_fields",
        )
    }
    # the free text the codes were read from, so that they are read again the same way
    fields["target_groups"] = row.eligibility_description or row.target_groups
    if row.geocode_precision == "provided" and row.lon is not None:
        fields["lon"], fields["lat"] = row.lon, row.lat  # else geocoded again, from the cache
    return fields


def _apply_point(fields: dict[str, Any], document: dict[str, Any], crs: Crs) -> None:
    """The document's geometry (when it has one, written in `crs`) as the lon and lat fields."""
    if "geometry" not in document:
        return
    if {"lon", "lat"} & set(to_fields(document.get("properties") or {})[0]):
        raise InvalidInput("give the point once: as the geometry, not also as lat/lon")
    fields.pop("lon", None)
    fields.pop("lat", None)
    point = _point(document["geometry"], crs)
    if point is not None:
        fields["lon"], fields["lat"] = point


def _write(
    session: Session,
    operator: Operator,
    fields: dict[str, Any],
    names: dict[str, str],
    source: str,
    action: str,
    body: bytes,
    source_key: str | None = None,
    extra: dict[str, Any] | None = None,
) -> IngestReport:
    """Run the one-row table of `fields` through the ingest, inside the key's areas."""
    if not str(fields.get("name") or "").strip():
        raise InvalidInput("property 'name' is required")
    if not any(fields.get(name) not in (None, "") for name in LOCATION):
        raise InvalidInput(
            "the service needs a place: a Point geometry, or municipality_code, municipality "
            "or address"
        )
    row = {target: _cell(names.get(target, target), value) for target, value in fields.items()}
    column_map = {target: target for target in row}
    for key, value in (extra or {}).items():  # unmapped columns of the sheet stay in extra
        if key not in row and key != "unparsed" and isinstance(value, str):
            row[key], column_map[key] = value, "extra"
    areas = keys.upload_areas(session, operator, None)
    options = IngestOptions(
        source=source,
        column_map=column_map,
        allowed_areas=areas,
        key=operator,
        file_name=action,
        source_key=source_key,
    )
    report = ingest_table(
        session, Table(list(row), [(1, row)]), options, action, hashlib.sha256(body).hexdigest()
    )
    for rejected in report.rejections:
        reason = rejected["reasons"][0]
        if reason["code"] in authority.OUTSIDE_CODES:
            raise PermissionDenied(f"{reason['message']}; nothing was stored")
        name = names.get(reason["field"], reason["field"])
        raise InvalidInput(
            f"property {name!r} ({reason['value']!r}): {reason['message']}; nothing was stored"
        )
    authority.check_run_within_areas(session, report.run_id, areas)
    return report


def create(session: Session, operator: Operator, body: bytes, crs: Crs) -> Written:
    """A new service from a Feature whose geometry is in `crs`; `source` defaults to the key's
    own (api-<prefix>)."""
    document = parse_body(body)
    properties = document["properties"]
    source = properties.get("source") or f"{API_SOURCE_PREFIX}{operator.key_prefix}"
    if not isinstance(source, str):
        raise InvalidInput("property 'source' must be text")
    fields, names = to_fields(properties)
    _apply_point(fields, document, crs)
    report = _write(session, operator, fields, names, source, "POST services", body)
    if report.counts["inserted"] != 1:
        found = session.execute(NEW_ID_SQL, {"run_id": report.run_id}).scalar()
        which = f" (id {found})" if found is not None else ""
        raise Conflict(
            f"source {source!r} already has this service{which}: same id, or same name, "
            "address and comune; replace it with PUT or PATCH; nothing was stored"
        )
    service_id = session.execute(NEW_ID_SQL, {"run_id": report.run_id}).scalar_one()
    return Written(service_id, report)


def _same_source(properties: dict[str, Any], stored: Any) -> None:
    given = properties.get("source")
    if given is not None and given != stored.source:
        raise InvalidInput(
            f"property 'source' {given!r}: a service keeps its source ({stored.source!r})"
        )


def replace(
    session: Session, operator: Operator, service_id: int, body: bytes, crs: Crs
) -> Written:
    """Replace every field of a service with the Feature's (private_fields, is_example kept)."""
    document = parse_body(body)
    stored = _stored(session, service_id)
    _same_source(document["properties"], stored)
    fields, names = to_fields(document["properties"])
    for name in KEPT_UNLESS_GIVEN:
        fields.setdefault(name, getattr(stored, name))
    _apply_point(fields, document, crs)
    report = _write(
        session, operator, fields, names, stored.source, f"PUT services/{service_id}", body,
        stored.source_key,
    )
    return Written(service_id, report)


def patch(
    session: Session, operator: Operator, service_id: int, body: bytes, crs: Crs
) -> Written:
    """Apply a JSON merge patch (RFC 7396) of the Feature: null removes a field."""
    document = parse_body(body, patch=True)
    stored = _stored(session, service_id)
    _same_source(document["properties"], stored)
    fields = stored_fields(stored)
    changes, names = to_fields(document["properties"])
    for target, value in changes.items():
        if value is None:
            fields.pop(target, None)
        else:
            fields[target] = value
    _apply_point(fields, document, crs)
    report = _write(
        session, operator, fields, names, stored.source, f"PATCH services/{service_id}", body,
        stored.source_key, stored.extra,
    )
    return Written(service_id, report)


def close(session: Session, operator: Operator, service_id: int) -> Written:
    """Close a service under the upload's authority, recorded as an ingest run; keep the row."""
    started = time.perf_counter()
    stored = _stored(session, service_id)
    areas = keys.upload_areas(session, operator, None)
    action = f"DELETE services/{service_id}"
    options = IngestOptions(
        source=stored.source, allowed_areas=areas, key=operator, file_name=action,
        source_key=stored.source_key,
    )
    authority.claim_source(session, stored.source, operator, areas)
    if areas is not None:
        authority.check_service_within(session, stored.source, stored.source_key, areas)
    run_id = start_run(session, action, hashlib.sha256(action.encode()).hexdigest(), options)
    session.execute(CLOSE_SQL, {"id": service_id, "run_id": run_id})
    counts = {"closed": 1}
    finish_run(session, run_id, counts, time.perf_counter() - started)
    return Written(service_id, run_id=run_id, counts=counts)
