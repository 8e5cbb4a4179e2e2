"""A data version that grows with every committed change of what analyses read.

Statement-level triggers on service, service_category, population, municipality and
area_municipality insert a row of weight 1 into `data_change`. The view `data_version` sums
the weights: a reader sees the sum grow only when a writing transaction commits, with its data
(the writer sees its own changes at once), and writers never wait for each other (inserts,
not an update of one row). Computations compact the committed rows into one row of their
summed weight, so the sum is read fast and never goes down. Stored analyses are keyed on their
parameters' hash and this number: any committed change of the data makes the next request
compute afresh.

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
        "CREATE TABLE data_change (id bigserial PRIMARY KEY, weight bigint NOT NULL DEFAULT 1)"
    )
    op.execute(
        "CREATE VIEW data_version AS "
        "SELECT 1 AS id, coalesce(sum(weight), 0)::bigint AS version FROM data_change"
    )
    op.execute(
        "CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN INSERT INTO data_change DEFAULT VALUES; RETURN NULL; END $$"
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
    op.execute("DROP VIEW data_version")
    op.execute("DROP TABLE data_change")
