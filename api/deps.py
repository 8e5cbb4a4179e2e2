"""Request dependencies: the session, an async pool connection, the API-key check."""

from __future__ import annotations

import inspect
import typing
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from psycopg import AsyncConnection
from sqlalchemy.orm import Session

from observatory import keys
from observatory.db import get_engine, new_session
from observatory.errors import NotAuthenticated
from observatory.keys import Operator
from observatory.settings import get_settings

T = TypeVar("T")


def get_session(request: Request) -> Iterator[Session]:
    """Yield a session on the app's database (the one its pool opened on), closed after."""
    with new_session(get_engine(getattr(request.app.state, "database_url", None))) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key")


def _holder(session: Session, presented: str | None) -> Operator:
    """The holder of a presented key (compared in constant time); 401 without one, 403 revoked."""
    if not presented:
        raise NotAuthenticated("an API key is required: Authorization: Bearer <key> or X-API-Key")
    with session.begin():
        return keys.authenticate(session, presented)


def require_area_key(
    request: Request,
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
) -> Operator:
    """The holder of the request's API key (Bearer or X-API-Key); 401 without one, 403 revoked.

    A route that checked the key before reading the body (`authenticate_early`) left its
    holder in the request state: it is not looked up twice.
    """
    checked = getattr(request.state, "operator", None)
    if checked is not None:
        return checked
    return _holder(session, bearer.credentials if bearer else api_key)


@contextmanager
def app_session(request: Request) -> Iterator[Session]:
    """A session on the app's database (the one its pool opened on), or the test override."""
    override = request.app.dependency_overrides.get(get_session)
    made = override() if override is not None else get_session(request)
    if isinstance(made, Session):
        yield made
        return
    try:
        yield next(made)
    finally:
        made.close()


async def authenticate_early(request: Request) -> Operator:
    """Check the request's API key from its headers alone, before any of the body is read."""
    bearer = await _bearer(request)
    presented = bearer.credentials if bearer else await _api_key_header(request)

    def check() -> Operator:
        with app_session(request) as session:
            return _holder(session, presented)

    request.state.operator = await run_in_threadpool(check)
    return request.state.operator


OperatorDep = Annotated[Operator, Depends(require_area_key)]


def require_read_access(
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
) -> None:
    """Let reads through when they are public (the default), else ask for a valid key."""
    if not get_settings().public_read:
        _holder(session, bearer.credentials if bearer else api_key)


ReadAccess = Depends(require_read_access)


async def get_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """Yield a connection of the app's async pool (opened in the lifespan), returned after."""
    async with request.app.state.pool.connection() as conn:
        yield conn


ConnectionDep = Annotated[AsyncConnection, Depends(get_connection)]


def on_event_loop(cls: type[T]) -> Callable[..., Awaitable[T]]:
    """`cls` as a dependency FastAPI runs on the event loop (a class's constructor it runs on a
    worker thread, a hop that costs more than the parsing): an async function with the
    class's signature, so the query parameters stay declared once, on the class."""

    async def make(**values: Any) -> T:
        return cls(**values)

    hints = typing.get_type_hints(cls.__init__, include_extras=True)  # the class's module's names
    signature = inspect.signature(cls)
    make.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[
            parameter.replace(annotation=hints.get(name, parameter.annotation))
            for name, parameter in signature.parameters.items()
        ],
        return_annotation=cls,
    )
    make.__doc__ = cls.__doc__
    return make
