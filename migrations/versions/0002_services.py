"""Services, ingest runs, rejections and the geocode cache.

Revision ID: 0002_services
Revises: 0001_geography
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0002_services"
down_revision = "0001_geography"
branch_labels = None
depends_on = None


def _text_array() -> sa.Column:
    return ARRAY(sa.Text)


def upgrade() -> None:
    op.create_table(
        "ingest_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="running"),
        sa.Column("counts", JSONB, nullable=False, server_default="{}"),
        sa.Column("options", JSONB, nullable=False, server_default="{}"),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("duration_s", sa.Float),
    )
    op.create_index("ix_ingest_run_source", "ingest_run", ["source"])
    op.create_table(
        "ingest_rejection",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("ingest_run.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("row_number", sa.Integer, nullable=False),
        sa.Column("raw", JSONB, nullable=False),
        sa.Column("reasons", JSONB, nullable=False),
    )
    op.create_index("ix_ingest_rejection_run_id", "ingest_rejection", ["run_id"])
    op.create_table(
        "service",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("source_key", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("organization_name", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("category_code", sa.String(20), sa.ForeignKey("service_category.code")),
        sa.Column("address_1", sa.Text),
        sa.Column("postal_code", sa.String(10)),
        sa.Column("stated_municipality", sa.Text),
        sa.Column("stated_province", sa.String(40)),
        sa.Column("municipality_code", sa.Integer),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("geocode_precision", sa.String(20), nullable=False),
        sa.Column("geocode_source", sa.String(40), nullable=False),
        sa.Column("location_flags", _text_array(), nullable=False, server_default="{}"),
        sa.Column("languages", ARRAY(sa.String(3)), nullable=False, server_default="{}"),
        sa.Column("target_groups", _text_array(), nullable=False, server_default="{}"),
        sa.Column("access_modes", _text_array(), nullable=False, server_default="{}"),
        sa.Column("mediation_available", sa.Boolean),
        sa.Column("step_free_access", sa.Boolean),
        sa.Column("documents_required", sa.Text),
        sa.Column("cost", sa.Text),
        sa.Column("phone", sa.Text),
        sa.Column("email", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("opening_hours", sa.Text),
        sa.Column("schedule", JSONB),
        sa.Column("eligibility_description", sa.Text),
        sa.Column("capacity", sa.Float),
        sa.Column("status", sa.String(20), nullable=False, server_default="active"),
        sa.Column("is_example", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("private_fields", _text_array(), nullable=False, server_default="{}"),
        sa.Column("extra", JSONB, nullable=False, server_default="{}"),
        sa.Column("ingest_run_id", sa.Integer, sa.ForeignKey("ingest_run.id")),
        sa.Column("source_row", sa.Integer),
        sa.Column("content_hash", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.UniqueConstraint("source", "source_key", name="uq_service_source_key"),
        sa.CheckConstraint(
            "geocode_precision IN ('provided', 'street', 'postcode', 'municipality')",
            name="ck_service_geocode_precision",
        ),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name="ck_service_capacity"),
    )
    op.create_index("ix_service_category_code", "service", ["category_code"])
    op.create_index("ix_service_municipality_code", "service", ["municipality_code"])
    op.create_index("idx_service_geom", "service", ["geom"], postgresql_using="gist")
    op.create_index(
        "ix_service_languages", "service", ["languages"], postgresql_using="gin"
    )
    op.create_table(
        "geocode_cache",
        sa.Column("query", sa.Text, primary_key=True),
        sa.Column("provider", sa.String(40), primary_key=True),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False)),
        sa.Column("precision", sa.String(20)),
        sa.Column("raw", JSONB),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )


def downgrade() -> None:
    for table in ["geocode_cache", "service", "ingest_rejection", "ingest_run"]:
        op.drop_table(table)
