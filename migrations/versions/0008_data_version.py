"""A data version, bumped by every statement that changes what analyses read.

`data_version` holds one row; statement-level triggers on service, service_category,
population, municipality and area_municipality add 1 to it, in the writing transaction (so
a reader sees the new number only with the new data). Stored analyses are keyed on their
parameters' hash and this number: a lookup is one indexed read, and any change of the data
makes the next request compute afresh.

Revision ID: 0008_data_version
Revises: 0007_public_geom
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_data_version"
down_revision = "0007_public_geom"
branch_labels = None
depends_on = None

TABLES = ("service", "service_category", "population", "municipality", "area_municipality")


def upgrade() -> None:
    op.execute(
        "CREATE TABLE data_version (id int PRIMARY KEY CHECK (id = 1), version bigint NOT NULL)"
    )
    op.execute("INSERT INTO data_version VALUES (1, 1)")
    op.execute(
        "CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN UPDATE data_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()"
        )
    op.add_column(
        "analysis_run", sa.Column("data_version", sa.BigInteger, nullable=False, server_default="0")
    )
    op.create_index(
        "ix_analysis_run_version", "analysis_run", ["parameters_hash", "data_version"]
    )
    # the latest year of an indicator, read by every analysis request
    op.create_index("ix_population_indicator_year", "population", ["indicator", "year"])


def downgrade() -> None:
    op.drop_index("ix_population_indicator_year", "population")
    op.drop_index("ix_analysis_run_version", "analysis_run")
    op.drop_column("analysis_run", "data_version")
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_data_version ON {table}")
    op.execute("DROP FUNCTION bump_data_version()")
    op.execute("DROP TABLE data_version")
