"""Request dependencies: the database session and small parameter parsers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from observatory.db import new_session


def get_session() -> Iterator[Session]:
    """Yield a session on the shared pool, closed after the request."""
    with new_session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
