"""ORM models of the observatory's PostGIS schema (SRID 4326 everywhere)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    FetchedValue,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    column,
    func,
    table,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SRID = 4326


class Base(DeclarativeBase):
    """Declarative base of every table."""


class GeographyLoad(Base):
    """One load of the reference geography: which year, which scope, when."""

    __tablename__ = "geography_load"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class Region(Base):
    """An ISTAT region."""

    __tablename__ = "region"

    code: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False)


class Province(Base):
    """An ISTAT province (or metropolitan city / free consortium)."""

    __tablename__ = "province"

    code: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    short: Mapped[str] = mapped_column(String(4))
    region_code: Mapped[int] = mapped_column(ForeignKey("region.code", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False)


class Municipality(Base):
    """An ISTAT comune with its repaired polygon and representative point."""

    __tablename__ = "municipality"

    code: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    cadastral_code: Mapped[str | None] = mapped_column(String(4))
    province_code: Mapped[int] = mapped_column(
        ForeignKey("province.code", ondelete="CASCADE"), index=True
    )
    region_code: Mapped[int] = mapped_column(
        ForeignKey("region.code", ondelete="CASCADE"), index=True
    )
    year: Mapped[int] = mapped_column(Integer)
    area_km2: Mapped[float] = mapped_column(Float)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False)
    point = mapped_column(Geometry("POINT", srid=SRID, spatial_index=True), nullable=False)


class Population(Base):
    """A population figure of a comune for a year and an indicator."""

    __tablename__ = "population"

    municipality_code: Mapped[int] = mapped_column(
        ForeignKey("municipality.code", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator: Mapped[str] = mapped_column(String(30), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(Text)


class TerritorialArea(Base):
    """A territorial area with its local working group (GdLL), from data/areas.yaml."""

    __tablename__ = "territorial_area"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[int] = mapped_column(ForeignKey("region.code", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))


class AreaMunicipality(Base):
    """Membership of a comune in a territorial area (a comune is in at most one area)."""

    __tablename__ = "area_municipality"

    area_code: Mapped[str] = mapped_column(
        ForeignKey("territorial_area.code", ondelete="CASCADE"), index=True
    )
    municipality_code: Mapped[int] = mapped_column(
        ForeignKey("municipality.code", ondelete="CASCADE"), primary_key=True
    )


class ServiceCategory(Base):
    """A two-level service category from data/taxonomy.yaml."""

    __tablename__ = "service_category"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("service_category.code", ondelete="CASCADE")
    )
    label_it: Mapped[str] = mapped_column(Text)
    label_en: Mapped[str] = mapped_column(Text)
    description_it: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)


class IngestRun(Base):
    """One run of the ingest pipeline over one file."""

    __tablename__ = "ingest_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(200), index=True)
    file_name: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_s: Mapped[float | None] = mapped_column(Float)
    key_prefix: Mapped[str | None] = mapped_column(String(12))
    key_name: Mapped[str | None] = mapped_column(Text)


class IngestRejection(Base):
    """A row that an ingest run read and did not store, with the reasons."""

    __tablename__ = "ingest_rejection"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("ingest_run.id", ondelete="CASCADE"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    raw: Mapped[dict[str, Any]] = mapped_column(JSONB)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)


class Service(Base):
    """One service at one location (field names follow Open Referral HSDS 3)."""

    __tablename__ = "service"
    __table_args__ = (UniqueConstraint("source", "source_key", name="uq_service_source_key"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    source_key: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    organization_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    category_code: Mapped[str | None] = mapped_column(
        ForeignKey("service_category.code"), index=True
    )
    address_1: Mapped[str | None] = mapped_column(Text)
    postal_code: Mapped[str | None] = mapped_column(String(10))
    stated_municipality: Mapped[str | None] = mapped_column(Text)
    stated_province: Mapped[str | None] = mapped_column(String(40))
    municipality_code: Mapped[int | None] = mapped_column(Integer, index=True)
    geom = mapped_column(Geometry("POINT", srid=SRID, spatial_index=True), nullable=False)
    public_geom = mapped_column(
        Geometry("POINT", srid=SRID, spatial_index=True),
        server_default=FetchedValue(),
        server_onupdate=FetchedValue(),
    )
    """Where the public sees it: the comune's point when the address is private, else `geom`
    (null when private and the comune is unknown); written by a database trigger (0007)."""
    geocode_precision: Mapped[str] = mapped_column(String(20))
    geocode_source: Mapped[str] = mapped_column(String(40))
    location_flags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    languages: Mapped[list[str]] = mapped_column(ARRAY(String(3)), default=list)
    target_groups: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    access_modes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    mediation_available: Mapped[bool | None] = mapped_column(Boolean)
    step_free_access: Mapped[bool | None] = mapped_column(Boolean)
    documents_required: Mapped[str | None] = mapped_column(Text)
    cost: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    opening_hours: Mapped[str | None] = mapped_column(Text)
    schedule: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    """active, suspended or closed (CHECK, 0009); a closed service is kept, never deleted."""
    last_verified: Mapped[date | None] = mapped_column(Date)
    """When its source last confirmed it: the sheet's verification date, else the ingest date."""
    closed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), server_default=FetchedValue(), server_onupdate=FetchedValue()
    )
    """Set by a database trigger (0009) when the status becomes closed, cleared on reopening."""
    is_example: Mapped[bool] = mapped_column(Boolean, default=False)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    private_fields: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    ingest_run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_run.id"))
    source_row: Mapped[int | None] = mapped_column(Integer)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


APPROXIMATE_PRECISIONS = ("municipality", "postcode")
"""Precisions of a point that is not the service's own place (a comune's or a CAP's point):
the API says `location_approximate`, the maps say so in the popup."""
APPROXIMATE_NOTE = (
    "Posizione approssimata: punto del comune, non l'indirizzo / "
    "approximate location: the comune's point, not the address"
)
PUBLIC_SERVICE_COLUMNS = (
    "id", "source", "name", "category_code", "municipality_code", "geocode_precision",
    "organization_name", "description", "address_1", "postal_code", "phone", "email", "url",
    "opening_hours", "schedule", "languages", "target_groups", "access_modes",
    "mediation_available", "step_free_access", "documents_required", "cost",
    "eligibility_description", "capacity", "status", "is_example", "private_fields",
    "stated_municipality", "stated_province", "created_at", "updated_at", "last_verified",
    "closed_at",
)
ServicePublic = table(
    "service_public",
    *(column(name, Service.__table__.c[name].type) for name in PUBLIC_SERVICE_COLUMNS),
    column("geom", Service.__table__.c.public_geom.type),
)
"""The `service_public` view (migration 0007): the services as anyone may see them, private
fields null and `geom` the public point. Every public path reads services through it."""


class GeocodeCache(Base):
    """A geocoder answer kept for reuse, keyed by the normalised query and provider."""

    __tablename__ = "geocode_cache"

    query: Mapped[str] = mapped_column(Text, primary_key=True)
    provider: Mapped[str] = mapped_column(String(40), primary_key=True)
    geom = mapped_column(Geometry("POINT", srid=SRID), nullable=True)
    precision: Mapped[str | None] = mapped_column(String(20))
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AnalysisRun(Base):
    """One computation (density, coverage, access or gaps) with its parameters and data snapshot."""

    __tablename__ = "analysis_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    category_code: Mapped[str | None] = mapped_column(String(20))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB)
    parameters_hash: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    data_version: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AnalysisResult(Base):
    """The result of one analysis run for one comune."""

    __tablename__ = "analysis_result"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("analysis_run.id", ondelete="CASCADE"), primary_key=True
    )
    municipality_code: Mapped[int] = mapped_column(
        ForeignKey("municipality.code", ondelete="CASCADE"), primary_key=True
    )
    demand: Mapped[float] = mapped_column(Float)
    services_count: Mapped[int | None] = mapped_column(Integer)
    nearest_km: Mapped[float | None] = mapped_column(Float)
    services_within: Mapped[int | None] = mapped_column(Integer)
    covered: Mapped[bool | None] = mapped_column(Boolean)
    access_index: Mapped[float | None] = mapped_column(Float)
    access_per_10k: Mapped[float | None] = mapped_column(Float)
    unmet_demand: Mapped[float | None] = mapped_column(Float)
    is_gap: Mapped[bool | None] = mapped_column(Boolean)
    values: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class ApiKey(Base):
    """An API key, stored as a hash, with its role and the areas it may write."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    prefix: Mapped[str] = mapped_column(String(12), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(20))
    areas: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SourceOwner(Base):
    """The key that created a source (None: the command line); see `ingest.authority`."""

    __tablename__ = "source_owner"

    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    key_prefix: Mapped[str | None] = mapped_column(
        ForeignKey("api_key.prefix", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
