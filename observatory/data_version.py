"""The data version: one number that grows with every committed change of what analyses read.

Written by the statement triggers of migration 0008 (`data_change`, view `data_version`).
Stored analyses, served maps and tiles are valid while it holds.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

VERSION_QUERY = "SELECT version FROM data_version WHERE id = 1"
"""The query as text, for the async pool (psycopg) as for SQLAlchemy."""
VERSION_SQL = text(VERSION_QUERY)


def data_version(session: Session) -> int:
    """The current data version (bumped by every change of what analyses read)."""
    return int(session.execute(VERSION_SQL).scalar_one())
