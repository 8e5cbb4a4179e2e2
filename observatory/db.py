"""One engine and one session factory, shared by CLI, API, ingest, maps and migrations."""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from observatory.settings import PROJECT_ROOT, get_settings

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def migration(filename: str) -> ModuleType:
    """An earlier migration as a module, by its file name: a later one reuses its SQL."""
    path = MIGRATIONS_DIR / "versions" / filename
    spec = importlib.util.spec_from_file_location(f"migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def copy_rows(session: Session, sql: str, rows: Iterable[tuple]) -> None:
    """COPY `rows` (tuples) on the session's own connection, inside its transaction."""
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def copy_text(session: Session, sql: str, data: str) -> None:
    """COPY already formatted `data` (e.g. CSV text) on the session's own connection."""
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        copy.write(data)


def libpq_url(sqlalchemy_url: str) -> str:
    """Turn a SQLAlchemy URL (postgresql+psycopg://...) into a libpq one (psql, QGIS, R)."""
    return (
        make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


@functools.cache
def get_engine(url: str | None = None) -> Engine:
    """Return the pooled engine for `url` (default: the configured database)."""
    return create_engine(url or get_settings().sqlalchemy_url, pool_pre_ping=True)


def new_session(engine: Engine | None = None) -> Session:
    """Open a session on the shared engine (or on `engine`)."""
    return Session(engine or get_engine(), expire_on_commit=False)


def alembic_config(url: str | None = None) -> Config:
    """Build the Alembic configuration for the migrations folder and `url`."""
    from alembic.config import Config  # Alembic loads only for the commands that migrate

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.attributes["url"] = url or get_settings().sqlalchemy_url
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Apply the migrations up to `revision`."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    """Revert the migrations down to `revision`."""
    from alembic import command

    command.downgrade(alembic_config(url), revision)
