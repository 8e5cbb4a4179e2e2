"""One engine and one session factory, shared by CLI, API, ingest, maps and migrations."""

from __future__ import annotations

import functools

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from observatory.settings import PROJECT_ROOT, get_settings

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


@functools.cache
def get_engine(url: str | None = None) -> Engine:
    """Return the pooled engine for `url` (default: the configured database)."""
    return create_engine(url or get_settings().sqlalchemy_url, pool_pre_ping=True)


def new_session(engine: Engine | None = None) -> Session:
    """Open a session on the shared engine (or on `engine`)."""
    return Session(engine or get_engine(), expire_on_commit=False)


def alembic_config(url: str | None = None) -> Config:
    """Build the Alembic configuration for the migrations folder and `url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.attributes["url"] = url or get_settings().sqlalchemy_url
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Apply the migrations up to `revision`."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    """Revert the migrations down to `revision`."""
    command.downgrade(alembic_config(url), revision)
