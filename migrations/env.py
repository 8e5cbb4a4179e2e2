"""Alembic environment: URL and metadata come from the same settings and models as the app."""

from alembic import context
from sqlalchemy import create_engine, pool

from observatory.models import Base
from observatory.settings import get_settings

POSTGIS_TABLES = {"spatial_ref_sys", "topology", "layer"}


def include_object(obj, name, type_, reflected, compare_to):
    """Leave PostGIS' own tables out of autogenerate."""
    return not (type_ == "table" and name in POSTGIS_TABLES)


def run_migrations() -> None:
    """Run the migrations on a live connection (no offline SQL mode)."""
    url = context.config.attributes.get("url") or get_settings().sqlalchemy_url
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            include_object=include_object,
            transaction_per_migration=False,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
