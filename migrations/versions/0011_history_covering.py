"""The registry as of an instant read from the history's indexes, and a view to read it by.

The registry as of an instant reads `service_version` three ways: a page walks the service
ids in order and keeps the version valid at the instant (about one in five with five
rounds), a count takes every version valid at the instant, and a bounding box takes the
versions valid then and there. With `valid` and `status` in the first two indexes (INCLUDE)
the page and the count read the index alone (no table row per version looked at); the box
index leads with `valid` (a third of the index pages `(public_geom, valid)` read).

`service_public_version` is `service_public_as_of` as a view, one row per version with its
`valid` range and `version_id`: the items select `WHERE valid @> instant` from it, which the
planner expands from the stored view instead of parsing a function's text on every plan, and
read a page's features by `version_id` (one row each, not every version of the service).
(`bench/bench_history.py` measures both against the current registry.)

Revision ID: 0011_history_covering
Revises: 0010_sort_index
"""

from alembic import op

from observatory.db import migration

revision = "0011_history_covering"
down_revision = "0010_sort_index"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_service_version_service": (
        "(service_id) INCLUDE (valid, status)", "(service_id)"
    ),
    "ix_service_version_valid": (
        "USING gist (valid) INCLUDE (status)", "USING gist (valid)"
    ),
}


def upgrade() -> None:
    for name, (new, _) in INDEXES.items():
        op.execute(f"DROP INDEX {name}")
        op.execute(f"CREATE INDEX {name} ON service_version {new}")
    op.execute("DROP INDEX ix_service_version_geom_valid")
    op.execute(
        "CREATE INDEX ix_service_version_valid_geom ON service_version "
        "USING gist (valid, public_geom)"
    )
    public = migration("0009_service_history.py").public_select("service_version s", "service_id")
    op.execute(
        "CREATE VIEW service_public_version AS "
        + public.replace("\nFROM ", ", s.valid, s.version_id\nFROM ", 1)
    )


def downgrade() -> None:
    op.execute("DROP VIEW service_public_version")
    op.execute("DROP INDEX ix_service_version_valid_geom")
    op.execute(
        "CREATE INDEX ix_service_version_geom_valid ON service_version "
        "USING gist (public_geom, valid)"
    )
    for name, (_, old) in INDEXES.items():
        op.execute(f"DROP INDEX {name}")
        op.execute(f"CREATE INDEX {name} ON service_version {old}")
