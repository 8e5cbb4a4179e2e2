"""Request dependencies: the session, an async pool connection, the API-key check, parsers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from psycopg import AsyncConnection
from sqlalchemy.orm import Session

from observatory import hsds, keys
from observatory.db import new_session
from observatory.errors import NotAuthenticated
from observatory.keys import Operator
from observatory.settings import get_settings


def get_session() -> Iterator[Session]:
    """Yield a session on the shared pool, closed after the request."""
    with new_session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
NO_NUL = r"^[^\x00]*$"
"""Pattern of free-text parameters: PostgreSQL text cannot hold NUL bytes."""

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key")


def require_area_key(
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
) -> Operator:
    """The holder of the request's API key (Bearer or X-API-Key); 401 without one, 403 revoked."""
    presented = bearer.credentials if bearer else api_key
    if not presented:
        raise NotAuthenticated("an API key is required: Authorization: Bearer <key> or X-API-Key")
    with session.begin():
        return keys.authenticate(session, presented)


OperatorDep = Annotated[Operator, Depends(require_area_key)]


def require_read_access(
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
) -> None:
    """Let reads through when they are public (the default), else ask for a valid key."""
    if not get_settings().public_read:
        require_area_key(session, bearer, api_key)


ReadAccess = Depends(require_read_access)


def page_query(
    page: Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1.")] = 1,
    per_page: Annotated[int, Query(ge=1, le=1000, description="Items per page.")] = 50,
) -> tuple[int, int]:
    """The HSDS paging parameters."""
    return page, per_page


PageDep = Annotated[tuple[int, int], Depends(page_query)]


def service_filter(
    search: Annotated[
        str | None,
        Query(
            max_length=200, pattern=NO_NUL, description="Text in name, description or organization."
        ),
    ] = None,
    taxonomy_term_id: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=NO_NUL,
            description="HSDS taxonomy term id, or a category code such as SAN.",
        ),
    ] = None,
    language: Annotated[
        str | None,
        Query(pattern="^[a-z]{2,3}$", description="Language spoken (ISO 639-1, e.g. ar)."),
    ] = None,
    lat: Annotated[
        float | None, Query(description="Latitude (WGS84) of the proximity centre.")
    ] = None,
    lon: Annotated[
        float | None, Query(description="Longitude (WGS84) of the proximity centre.")
    ] = None,
    proximity: Annotated[
        float | None, Query(description="Radius in metres around lat, lon.")
    ] = None,
) -> hsds.ServiceFilter:
    """The filters of the HSDS lists, with the proximity circle validated."""
    return hsds.ServiceFilter(
        search=search or None,
        taxonomy_term_id=taxonomy_term_id or None,
        language=language,
        proximity=hsds.check_proximity(lat, lon, proximity),
    )


ServiceFilterDep = Annotated[hsds.ServiceFilter, Depends(service_filter)]


async def get_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """Yield a connection of the app's async pool (opened in the lifespan), returned after."""
    async with request.app.state.pool.connection() as conn:
        yield conn


ConnectionDep = Annotated[AsyncConnection, Depends(get_connection)]
