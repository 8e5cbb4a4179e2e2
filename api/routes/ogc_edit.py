"""OGC API - Features Part 4 for services: create, replace, update (merge patch) and delete.

Every write goes through the ingest (`ingest.feature`), with the upload's API key, key
authority and validation, and is recorded as an ingest run with the key. A delete closes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.crs_params import ContentCrsDep
from api.deps import OperatorDep, SessionDep
from api.responses import GEOJSON, JSON, json_response
from api.upload_checks import check_declared_size
from ingest import feature
from observatory.errors import UnsupportedFileType

router = APIRouter(tags=["OGC API - Features: edit services"])

ITEMS = "/collections/services/items"
MERGE_PATCH = "application/merge-patch+json"
MAX_FEATURE_BYTES = 65_536
CONFORMANCE = [
    f"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/{name}"
    for name in ("create-replace-delete", "update")
]
ServiceId = Annotated[int, Path(ge=1, le=2**63 - 1, description="the service's id")]

PROPERTIES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "The items' property names (name, organization_name, category, address, postal_code, "
        "municipality_code, phone, email, url, opening_hours, languages, target_groups, "
        "access_modes, mediation_available, step_free_access, cost) or the upload's column "
        "names (comune, indirizzo, telefono...). `name` and a place (Point geometry, "
        "municipality_code, comune or address) are required. status, geocode_precision and "
        "location_approximate are read-only and ignored. `source` (POST only) defaults to "
        "the key's own source api-<key prefix>."
    ),
    "properties": {
        "name": {"type": "string"},
        "category": {"type": "string", "example": "SAN-ASL"},
        "municipality_code": {"type": "integer", "example": 63049},
        "address": {"type": "string"},
        "phone": {"type": "string"},
        "languages": {"type": "array", "items": {"type": "string"}, "example": ["it", "ar"]},
        "target_groups": {"type": "array", "items": {"type": "string"}},
        "private_fields": {"type": "array", "items": {"type": "string"}},
        "source": {"type": "string"},
    },
    "additionalProperties": True,
}
FEATURE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "geometry": {
            "type": "object",
            "nullable": True,
            "description": "a Point in the CRS the Content-Crs header names (default CRS84: "
            "[longitude, latitude]), or null to place it by its address or comune",
            "properties": {
                "type": {"type": "string", "enum": ["Point"]},
                "coordinates": {"type": "array", "items": {"type": "number"}},
            },
        },
        "properties": PROPERTIES_SCHEMA,
    },
}
EXAMPLE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [14.248, 40.845]},
    "properties": {
        "name": "Sportello migranti",
        "category": "INF",
        "address": "Via Toledo 1",
        "municipality_code": 63049,
        "phone": "081 123 4567",
        "languages": ["it", "ar"],
    },
}
WRITTEN = {
    "description": "the service's id, and the ingest run that wrote it with its counts",
    "content": {JSON: {}},
}
PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "invalid body or field (the problem names it); nothing changed"},
    401: {"description": "no API key, or an unknown one"},
    403: {"description": "outside the key's areas, or another key's source; nothing changed"},
    404: {"description": "no such current service"},
}


def _body(media_types: list[str], example: dict[str, Any], schema: dict[str, Any]) -> dict:
    return {
        "requestBody": {
            "required": True,
            "content": {
                media: {"schema": schema, "example": example} for media in media_types
            },
        }
    }


async def _read(request: Request, accepted: tuple[str, ...]) -> bytes:
    """The body, once its declared type and size are acceptable."""
    declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if declared not in accepted:
        raise UnsupportedFileType(
            f"Content-Type {declared or 'none'!r}: send {' or '.join(accepted)}"
        )
    check_declared_size(request.headers.get("content-length"), MAX_FEATURE_BYTES)
    return await request.body()


async def _in_transaction(session: Any, write: Callable[[], feature.Written]) -> dict[str, Any]:
    """Run `write` in one transaction on a worker thread: a refusal leaves nothing."""

    def run() -> dict[str, Any]:
        with session.begin():
            return write().to_dict()

    return await run_in_threadpool(run)


@router.post(
    ITEMS,
    summary="Add a service (API key): a GeoJSON Feature through the ingest",
    status_code=201,
    responses={201: WRITTEN, 409: {"description": "the source already has it"}, **PROBLEMS},
    openapi_extra=_body([GEOJSON, JSON], EXAMPLE, FEATURE_SCHEMA),
)
async def create_service(
    request: Request, session: SessionDep, operator: OperatorDep, crs: ContentCrsDep
) -> Response:
    """Create a service from a Feature, with the upload's validation and key authority.

    201 with Location of the new item. The same name, address and comune (or id) as a
    service of the source already stored is a conflict (409): replace it instead.
    """
    body = await _read(request, (GEOJSON, JSON))
    written = await _in_transaction(session, lambda: feature.create(session, operator, body, crs))
    location = f"{str(request.base_url).rstrip('/')}{ITEMS}/{written['id']}"
    response = json_response(written, status=201)
    response.headers["Location"] = location
    return response


@router.put(
    f"{ITEMS}/{{feature_id}}",
    summary="Replace a service (API key)",
    responses={200: WRITTEN, **PROBLEMS},
    openapi_extra=_body([GEOJSON, JSON], EXAMPLE, FEATURE_SCHEMA),
)
async def replace_service(
    request: Request,
    feature_id: ServiceId,
    session: SessionDep,
    operator: OperatorDep,
    crs: ContentCrsDep,
) -> Response:
    """Replace every field of the service (its source, private_fields, is_example kept)."""
    body = await _read(request, (GEOJSON, JSON))
    return json_response(
        await _in_transaction(
            session, lambda: feature.replace(session, operator, feature_id, body, crs)
        )
    )


@router.patch(
    f"{ITEMS}/{{feature_id}}",
    summary="Update fields of a service (API key, JSON merge patch)",
    responses={200: WRITTEN, **PROBLEMS},
    openapi_extra=_body(
        [MERGE_PATCH], {"properties": {"phone": "081 765 4321"}},
        {"type": "object", "properties": {"properties": PROPERTIES_SCHEMA,
                                          "geometry": FEATURE_SCHEMA["properties"]["geometry"]}},
    ),
)
async def patch_service(
    request: Request,
    feature_id: ServiceId,
    session: SessionDep,
    operator: OperatorDep,
    crs: ContentCrsDep,
) -> Response:
    """Change the fields the patch names (null removes one); the others stay as stored."""
    body = await _read(request, (MERGE_PATCH, JSON))
    return json_response(
        await _in_transaction(
            session, lambda: feature.patch(session, operator, feature_id, body, crs)
        )
    )


@router.delete(
    f"{ITEMS}/{{feature_id}}",
    summary="Close a service (API key): it leaves the items, the row stays",
    responses={200: WRITTEN, **PROBLEMS},
)
async def close_service(
    feature_id: ServiceId, session: SessionDep, operator: OperatorDep
) -> Response:
    """Set the service's status to closed, recorded as an ingest run: nothing is erased."""
    return json_response(
        await _in_transaction(session, lambda: feature.close(session, operator, feature_id))
    )
