"""One public geometry per service, and one rule for "a category with its children".

`service.public_geom` is where the public may see a service: its comune's representative
point when its address (or location) is private, else its own point; null when the address
is private and the comune is unknown. A BEFORE INSERT OR UPDATE trigger writes it, so the
rule holds whatever writes a service (ingest, upload, tests, psql); a trigger on
`municipality` rewrites it when a comune's point changes (geography reload). The
`service_public` view reads it. `category_and_children(code)` is the category filter of
every module.

Revision ID: 0007_public_geom
Revises: 0005_service_public
"""

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import op
from sqlalchemy import text

from observatory.db import migration

revision = "0007_public_geom"
down_revision = "0006_upload_authority"
branch_labels = None
depends_on = None

FUNCTIONS = """
CREATE FUNCTION service_location_private(private_fields text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(private_fields && ARRAY['address', 'address_1', 'geom', 'location'], false);

CREATE FUNCTION service_public_geom() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF service_location_private(NEW.private_fields) THEN
        NEW.public_geom := (SELECT m.point FROM municipality m
                            WHERE m.code = NEW.municipality_code);
    ELSE
        NEW.public_geom := NEW.geom;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER service_public_geom BEFORE INSERT OR UPDATE ON service
FOR EACH ROW EXECUTE FUNCTION service_public_geom();

CREATE FUNCTION municipality_moves_private_services() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE service s SET public_geom = NULL FROM changed c
    WHERE s.municipality_code = c.code AND service_location_private(s.private_fields);
    RETURN NULL;
END $$;

CREATE TRIGGER municipality_inserted AFTER INSERT ON municipality
REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION municipality_moves_private_services();

CREATE TRIGGER municipality_updated AFTER UPDATE ON municipality
REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION municipality_moves_private_services();

CREATE FUNCTION category_and_children(wanted text) RETURNS SETOF text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH RECURSIVE tree(code) AS (
        SELECT code FROM service_category WHERE code = wanted
        UNION
        SELECT c.code FROM service_category c JOIN tree t ON c.parent_code = t.code
    )
    SELECT code FROM tree
$$;
"""

BLANKED_COLUMNS = (
    "organization_name", "description", "address_1", "postal_code", "phone", "email", "url",
    "opening_hours", "languages", "target_groups", "access_modes", "mediation_available",
    "step_free_access", "documents_required", "cost", "eligibility_description", "capacity",
)
"""Columns null when a service lists them in `private_fields` (the schedule goes with the
opening hours it was parsed from); name, category, comune and status are always public."""


def _public(column: str, field: str | None = None) -> str:
    """`column`, or null when `field` (default: the column) is among the private fields."""
    return f"CASE WHEN '{field or column}' = ANY(s.private_fields) THEN NULL ELSE s.{column} END"


SERVICE_PUBLIC = f"""
CREATE VIEW service_public AS
SELECT s.id, s.source, s.name, s.category_code, s.municipality_code,
    s.public_geom AS geom,
    CASE WHEN service_location_private(s.private_fields) THEN 'municipality'
         ELSE s.geocode_precision END AS geocode_precision,
    {", ".join(f"{_public(c)} AS {c}" for c in BLANKED_COLUMNS)},
    {_public("schedule", "opening_hours")} AS schedule,
    s.status, s.is_example, s.private_fields, s.stated_municipality, s.stated_province,
    s.created_at, s.updated_at
FROM service s
"""  # noqa: S608 (built from the constants above)


@contextmanager
def _view_replaced(create: str) -> Iterator[None]:
    """Drop and recreate `service_public`, keeping the roles that could read it."""
    bind = op.get_bind()
    readers = bind.execute(text(
        "SELECT DISTINCT grantee FROM information_schema.role_table_grants "
        "WHERE table_name = 'service_public' AND privilege_type = 'SELECT' "
        "AND grantee <> current_user"
    )).scalars().all()
    op.execute("DROP VIEW service_public")
    yield
    op.execute(create)
    quote = bind.dialect.identifier_preparer.quote
    for reader in readers:
        op.execute(f"GRANT SELECT ON service_public TO {quote(reader)}")


def upgrade() -> None:
    """Add, fill and index `public_geom`; rebuild the view on it; add the shared functions."""
    with _view_replaced(SERVICE_PUBLIC):
        op.execute("ALTER TABLE service ADD COLUMN public_geom geometry(Point, 4326)")
        op.execute(FUNCTIONS)
        op.execute("UPDATE service SET public_geom = NULL")  # the trigger writes each value
        op.execute("CREATE INDEX idx_service_public_geom ON service USING gist (public_geom)")


def downgrade() -> None:
    """Back to the view computing the point itself."""
    with _view_replaced(migration("0005_service_public.py").SERVICE_PUBLIC):
        op.execute("DROP FUNCTION category_and_children(text)")
        op.execute("DROP TRIGGER municipality_updated ON municipality")
        op.execute("DROP TRIGGER municipality_inserted ON municipality")
        op.execute("DROP FUNCTION municipality_moves_private_services()")
        op.execute("DROP TRIGGER service_public_geom ON service")
        op.execute("DROP FUNCTION service_public_geom()")
        op.execute("ALTER TABLE service DROP COLUMN public_geom")
        op.execute("DROP FUNCTION service_location_private(text[])")
