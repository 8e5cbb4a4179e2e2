"""Request dependencies: the database session, and a connection of the async pool."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import Depends, Request
from psycopg import AsyncConnection
from sqlalchemy.orm import Session

from observatory.db import new_session


def get_session() -> Iterator[Session]:
    """Yield a session on the shared pool, closed after the request."""
    with new_session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def get_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """Yield a connection of the app's async pool (opened in the lifespan), returned after."""
    async with request.app.state.pool.connection() as conn:
        yield conn


ConnectionDep = Annotated[AsyncConnection, Depends(get_connection)]
