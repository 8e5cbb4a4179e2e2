"""Open Referral HSDS 3.1 queries: services as the public sees them, paged and filtered.

Every query reads the `service_public` view, so private fields are null and the point is the
public one (the comune's point when the address is private) before a document is written.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import Select, cast, func, or_, select
from sqlalchemy.orm import Session

from observatory.errors import NotFound
from observatory.hsds.documents import (
    entity_number,
    name_uuid,
    service_at_location_document,
    service_document,
    taxonomy_term,
)
from observatory.models import Municipality, Province, ServiceCategory, ServicePublic


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


S = ServicePublic.c


def _rows_query() -> Select[Any]:
    """Services with coordinates, comune, province and category labels."""
    return (
        select(
            *(c for c in ServicePublic.c if c.key != "geom"),
            func.ST_Y(S.geom).label("latitude"),
            func.ST_X(S.geom).label("longitude"),
            Municipality.name.label("municipality_name"),
            Province.short.label("province_short"),
            ServiceCategory.parent_code.label("category_parent"),
            ServiceCategory.label_it.label("category_label_it"),
            ServiceCategory.label_en.label("category_label_en"),
        )
        .select_from(ServicePublic)
        .outerjoin(Municipality, Municipality.code == S.municipality_code)
        .outerjoin(Province, Province.code == Municipality.province_code)
        .outerjoin(ServiceCategory, ServiceCategory.code == S.category_code)
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
                S.name.ilike(pattern, escape="\\"),
                S.description.ilike(pattern, escape="\\"),
                S.organization_name.ilike(pattern, escape="\\"),
            )
        )
    if filters.taxonomy_term_id:
        code = _category_code(session, filters.taxonomy_term_id)
        query = query.where(S.category_code.in_(select(func.category_and_children(code))))
    if filters.language:
        query = query.where(S.languages.contains([filters.language]))
    if filters.proximity:
        point = _point(filters.proximity)
        query = query.where(
            S.geom.op("&&")(_envelope(filters.proximity)),
            func.ST_DWithin(
                cast(S.geom, Geography), cast(point, Geography), filters.proximity.radius_m
            ),
        )
    return query


def _ordered(query: Select[Any], filters: ServiceFilter) -> Select[Any]:
    """Nearest first when a point is given, else by id: stable pages either way."""
    if filters.proximity:
        distance = func.ST_Distance(
            cast(S.geom, Geography), cast(_point(filters.proximity), Geography)
        )
        return query.order_by(distance, S.id)
    return query.order_by(S.id)


def _page(
    session: Session, filters: ServiceFilter, page: int, per_page: int, serialise: Any
) -> dict[str, Any]:
    """One HSDS page (`total_items`, `total_pages`, ..., `contents`) of filtered services."""
    query = _filtered(session, _rows_query(), filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        _ordered(query, filters).limit(per_page).offset((page - 1) * per_page)
    ).mappings()
    contents = [serialise(row) for row in rows]
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
        row = session.execute(_rows_query().where(S.id == number)).mappings().first()
    if row is None:
        raise NotFound(f"unknown service {service_id!r}")
    return service_document(row)


def iter_public_services(session: Session) -> Iterator[dict[str, Any]]:
    """Every service as a public row (private fields null, public point), by id, streamed."""
    result = session.execute(
        _rows_query().order_by(S.id).execution_options(yield_per=1000)
    ).mappings()
    yield from result


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
    return [taxonomy_term(*row) for row in rows]


