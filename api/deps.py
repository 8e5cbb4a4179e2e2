"""Request dependencies: the database session and the API-key check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from observatory import keys
from observatory.db import new_session
from observatory.errors import NotAuthenticated
from observatory.keys import Operator
from observatory.settings import get_settings


def get_session() -> Iterator[Session]:
    """Yield a session on the shared pool, closed after the request."""
    with new_session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

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
