"""Analysis runs and their per-comune results.

Revision ID: 0003_analysis
Revises: 0002_services
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003_analysis"
down_revision = "0002_services"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analysis_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("category_code", sa.String(20)),
        sa.Column("parameters", JSONB, nullable=False),
        sa.Column("parameters_hash", sa.String(64), nullable=False),
        sa.Column("snapshot", JSONB, nullable=False),
        sa.Column("summary", JSONB, nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
    op.create_index("ix_analysis_run_lookup", "analysis_run", ["kind", "category_code", "id"])
    op.create_index("ix_analysis_run_parameters_hash", "analysis_run", ["parameters_hash", "id"])
    op.create_table(
        "analysis_result",
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("analysis_run.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "municipality_code", sa.Integer,
            sa.ForeignKey("municipality.code", ondelete="CASCADE"), primary_key=True,
        ),
        sa.Column("demand", sa.Float, nullable=False),
        sa.Column("services_count", sa.Integer),
        sa.Column("nearest_km", sa.Float),
        sa.Column("services_within", sa.Integer),
        sa.Column("covered", sa.Boolean),
        sa.Column("access_index", sa.Float),
        sa.Column("access_per_10k", sa.Float),
        sa.Column("unmet_demand", sa.Float),
        sa.Column("is_gap", sa.Boolean),
        sa.Column("values", JSONB, nullable=False, server_default="{}"),
    )


def downgrade() -> None:
    op.drop_table("analysis_result")
    op.drop_table("analysis_run")
