"""PostGIS, reference geography, population, territorial areas and service categories.

Revision ID: 0001_geography
Revises:
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001_geography"
down_revision = None
branch_labels = None
depends_on = None


def _polygons() -> Geometry:
    return Geometry("MULTIPOLYGON", srid=4326, spatial_index=False)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "geography_load",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("counts", JSONB, nullable=False, server_default="{}"),
    )
    op.create_table(
        "region",
        sa.Column("code", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("geom", _polygons(), nullable=False),
    )
    op.create_table(
        "province",
        sa.Column("code", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("short", sa.String(4), nullable=False),
        sa.Column(
            "region_code", sa.Integer, sa.ForeignKey("region.code", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("geom", _polygons(), nullable=False),
    )
    op.create_table(
        "municipality",
        sa.Column("code", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("cadastral_code", sa.String(4)),
        sa.Column(
            "province_code", sa.Integer, sa.ForeignKey("province.code", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "region_code", sa.Integer, sa.ForeignKey("region.code", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("area_km2", sa.Float, nullable=False),
        sa.Column("geom", _polygons(), nullable=False),
        sa.Column("point", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
    )
    op.create_index("ix_municipality_province_code", "municipality", ["province_code"])
    op.create_index("ix_municipality_region_code", "municipality", ["region_code"])
    for table, column in [
        ("region", "geom"), ("province", "geom"), ("municipality", "geom"),
        ("municipality", "point"),
    ]:
        op.create_index(
            f"idx_{table}_{column}", table, [column], postgresql_using="gist"
        )
    op.create_table(
        "population",
        sa.Column(
            "municipality_code", sa.Integer,
            sa.ForeignKey("municipality.code", ondelete="CASCADE"), primary_key=True,
        ),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("indicator", sa.String(30), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.CheckConstraint("value >= 0", name="ck_population_value_non_negative"),
        sa.CheckConstraint(
            "indicator IN ('residents', 'foreign_residents')", name="ck_population_indicator"
        ),
    )
    op.create_table(
        "territorial_area",
        sa.Column("code", sa.String(60), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column(
            "region_code", sa.Integer, sa.ForeignKey("region.code", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("status", sa.String(20), nullable=False),
    )
    op.create_table(
        "area_municipality",
        sa.Column(
            "area_code", sa.String(60),
            sa.ForeignKey("territorial_area.code", ondelete="CASCADE"), nullable=False,
        ),
        sa.Column(
            "municipality_code", sa.Integer,
            sa.ForeignKey("municipality.code", ondelete="CASCADE"), primary_key=True,
        ),
    )
    op.create_index("ix_area_municipality_area_code", "area_municipality", ["area_code"])
    op.create_table(
        "service_category",
        sa.Column("code", sa.String(20), primary_key=True),
        sa.Column(
            "parent_code", sa.String(20),
            sa.ForeignKey("service_category.code", ondelete="CASCADE"),
        ),
        sa.Column("label_it", sa.Text, nullable=False),
        sa.Column("label_en", sa.Text, nullable=False),
        sa.Column("description_it", sa.Text),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    for table in [
        "service_category", "area_municipality", "territorial_area", "population",
        "municipality", "province", "region", "geography_load",
    ]:
        op.drop_table(table)
