"""OGC API - Features collections: one provider per collection (pygeoapi's plugin pattern)."""

from __future__ import annotations

from psycopg import AsyncConnection, sql

from observatory.errors import NotFound
from observatory.features.base import Bbox, Circle, ItemsQuery, Page, Provider
from observatory.features.providers import GAPS_PREFIX, STATIC_PROVIDERS, Gaps, Services
from observatory.pool import fetch_row

__all__ = [
    "Bbox",
    "Circle",
    "Gaps",
    "ItemsQuery",
    "Page",
    "Provider",
    "Services",
    "extent",
    "get_provider",
    "list_providers",
]

CATEGORY_CODES = sql.SQL("SELECT array_agg(code ORDER BY position) FROM service_category")
EXTENT = sql.SQL(
    "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e "
    "FROM region) x"
)


async def list_providers(conn: AsyncConnection) -> list[Provider]:
    """Every collection: the static ones, then the gaps of each category."""
    row = await fetch_row(conn, CATEGORY_CODES, {})
    codes = (row[0] if row else None) or []
    return [*STATIC_PROVIDERS.values(), *(Gaps(code) for code in codes)]


async def get_provider(conn: AsyncConnection, collection_id: str) -> Provider:
    """The provider of `collection_id`; NotFound naming the collections that exist."""
    if collection_id in STATIC_PROVIDERS:
        return STATIC_PROVIDERS[collection_id]
    if collection_id.startswith(GAPS_PREFIX):
        code = collection_id.removeprefix(GAPS_PREFIX).upper()
        exists = sql.SQL("SELECT 1 FROM service_category WHERE code = %(code)s")
        if await fetch_row(conn, exists, {"code": code}) is not None:
            return Gaps(code)
    raise NotFound(
        f"no collection {collection_id!r}: the collections are "
        f"{', '.join(STATIC_PROVIDERS)} and {GAPS_PREFIX}<category code>"
    )


async def extent(conn: AsyncConnection) -> Bbox | None:
    """The bounding box of the loaded geography (every collection lies within it)."""
    row = await fetch_row(conn, EXTENT, {})
    if row is None or row[0] is None:
        return None
    return (row[0], row[1], row[2], row[3])
