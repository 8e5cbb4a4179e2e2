"""Service lifecycle and history: every change kept with its validity period.

`service` gains `last_verified` (the date a source last confirmed the service), `closed_at`
and a CHECK on `status` (active, suspended, closed). A BEFORE trigger keeps `closed_at` true
to the status, whatever writes it (ingest, upload, OGC edits, psql): set when a service
becomes closed, cleared when it is reopened.

`service_version` keeps every state a service had: `service_id`, `valid` (a tstzrange, from
the transaction that wrote the state to the one that replaced it; open-ended for the current
state) and every column of `service` (public_geom included). Statement-level AFTER triggers
with transition tables write it in the same transaction as the change (one INSERT per
statement, not per row); a state that differs only in `updated_at` is no new version; a
service changed twice in one transaction keeps its last state; a deleted service's last
version is closed. Existing services are backfilled, valid from their `created_at`.

For readers ("the registry as of T"):
- `service_as_of(at)`: the full `service_version` rows valid at instant `at` (closed ones
  included, with their status), internal: private fields present.
- `service_public_as_of(at)`: the same as the public see them, shaped like the
  `service_public` view (id = service id, private fields null, geom the public point) plus
  `last_verified`, `closed_at`. Closed services included: filter on `status`.
- `service_public_during(lo, hi)`: services not closed at some moment of [lo, hi] (null =
  unbounded), each in its latest such state; same columns.
The `service_public` view gains `last_verified` and `closed_at` (appended).

Revision ID: 0009_service_history
Revises: 0008_data_version
"""

from __future__ import annotations

from alembic import op

from observatory.db import migration

revision = "0009_service_history"
down_revision = "0008_data_version"
branch_labels = None
depends_on = None

STATUSES = ("active", "suspended", "closed")

VERSIONED_COLUMNS = (
    "source", "source_key", "name", "organization_name", "description", "category_code",
    "address_1", "postal_code", "stated_municipality", "stated_province", "municipality_code",
    "geom", "public_geom", "geocode_precision", "geocode_source", "location_flags", "languages",
    "target_groups", "access_modes", "mediation_available", "step_free_access",
    "documents_required", "cost", "phone", "email", "url", "opening_hours", "schedule",
    "eligibility_description", "capacity", "status", "is_example", "private_fields", "extra",
    "ingest_run_id", "source_row", "content_hash", "created_at", "updated_at", "last_verified",
    "closed_at",
)
"""Every column of `service` but `id`, as of this migration (a later column is not versioned
until a migration adds it here and to the table)."""

BLANKED_COLUMNS = (
    "organization_name", "description", "address_1", "postal_code", "phone", "email", "url",
    "opening_hours", "languages", "target_groups", "access_modes", "mediation_available",
    "step_free_access", "documents_required", "cost", "eligibility_description", "capacity",
)
"""As in 0007: null when listed in `private_fields`."""

PUBLIC_TYPES = (
    ("id", "bigint"), ("source", "varchar"), ("name", "text"), ("category_code", "varchar"),
    ("municipality_code", "integer"), ("geom", "geometry(Point, 4326)"),
    ("geocode_precision", "varchar"), ("organization_name", "text"), ("description", "text"),
    ("address_1", "text"), ("postal_code", "varchar"), ("phone", "text"), ("email", "text"),
    ("url", "text"), ("opening_hours", "text"), ("languages", "varchar[]"),
    ("target_groups", "text[]"), ("access_modes", "text[]"), ("mediation_available", "boolean"),
    ("step_free_access", "boolean"), ("documents_required", "text"), ("cost", "text"),
    ("eligibility_description", "text"), ("capacity", "double precision"),
    ("schedule", "jsonb"), ("status", "varchar"), ("is_example", "boolean"),
    ("private_fields", "text[]"), ("stated_municipality", "text"),
    ("stated_province", "varchar"), ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"), ("last_verified", "date"), ("closed_at", "timestamptz"),
)
"""The columns of `service_public` (0007's, then the two new ones) and their types."""


def _public(column: str, field: str | None = None) -> str:
    """`column`, or null when `field` (default: the column) is among the private fields."""
    return f"CASE WHEN '{field or column}' = ANY(s.private_fields) THEN NULL ELSE s.{column} END"


def public_select(source: str, id_column: str, distinct: bool = False) -> str:
    """The public columns of `source` (aliased `s`), in `PUBLIC_TYPES` order."""
    first = f"DISTINCT ON (s.{id_column}) " if distinct else ""
    return f"""SELECT {first}s.{id_column} AS id, s.source, s.name, s.category_code,
    s.municipality_code, s.public_geom AS geom,
    CASE WHEN service_location_private(s.private_fields) THEN 'municipality'
         ELSE s.geocode_precision END AS geocode_precision,
    {", ".join(f"{_public(c)} AS {c}" for c in BLANKED_COLUMNS)},
    {_public("schedule", "opening_hours")} AS schedule,
    s.status, s.is_example, s.private_fields, s.stated_municipality, s.stated_province,
    s.created_at, s.updated_at, s.last_verified, s.closed_at
FROM {source}"""  # noqa: S608 (built from the constants above)


_LIST = ", ".join(VERSIONED_COLUMNS)
_NEW = ", ".join(f"n.{c}" for c in VERSIONED_COLUMNS)
_RETURNS = ", ".join(f"{name} {kind}" for name, kind in PUBLIC_TYPES)
_COMPARED = [c for c in VERSIONED_COLUMNS if c != "updated_at"]
_DIFFERS = (
    f"({', '.join(f'n.{c}' for c in _COMPARED)}) IS DISTINCT FROM "
    f"({', '.join(f'o.{c}' for c in _COMPARED)})"
)
"""A new state: any versioned column but `updated_at` changed (a column list: 30x faster
than comparing `to_jsonb` of the rows)."""

LIFECYCLE = f"""
ALTER TABLE service ADD COLUMN last_verified date;
ALTER TABLE service ADD COLUMN closed_at timestamptz;
UPDATE service SET last_verified = coalesce(updated_at, created_at, now())::date,
                   closed_at = CASE WHEN status = 'closed' THEN coalesce(updated_at, now()) END;
ALTER TABLE service ADD CONSTRAINT ck_service_status
    CHECK (status IN ({", ".join(f"'{s}'" for s in STATUSES)}));

CREATE FUNCTION service_lifecycle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'closed' THEN
        IF TG_OP = 'UPDATE' AND OLD.status = 'closed' THEN
            NEW.closed_at := coalesce(NEW.closed_at, OLD.closed_at, now());
        ELSE
            NEW.closed_at := coalesce(NEW.closed_at, now());
        END IF;
    ELSE
        NEW.closed_at := NULL;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER service_lifecycle BEFORE INSERT OR UPDATE ON service
FOR EACH ROW EXECUTE FUNCTION service_lifecycle();
"""  # noqa: S608 (built from the constants above)

HISTORY = f"""
CREATE TABLE service_version AS
SELECT s.id AS service_id, NULL::tstzrange AS valid, {_LIST}
FROM service s WITH NO DATA;
ALTER TABLE service_version ADD COLUMN version_id bigserial PRIMARY KEY,
    ALTER COLUMN service_id SET NOT NULL, ALTER COLUMN valid SET NOT NULL,
    ADD CONSTRAINT ck_service_version_valid CHECK (NOT isempty(valid));
CREATE INDEX ix_service_version_valid ON service_version USING gist (valid);
CREATE INDEX ix_service_version_geom_valid ON service_version USING gist (public_geom, valid);
CREATE INDEX ix_service_version_service ON service_version (service_id);
CREATE INDEX ix_service_version_current ON service_version (service_id) WHERE upper_inf(valid);

CREATE FUNCTION service_version_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO service_version (service_id, valid, {_LIST})
    SELECT n.id, tstzrange(now(), NULL), {_NEW} FROM new_rows n;
    RETURN NULL;
END $$;

-- One statement: the open versions of the changed services end now (those begun in this
-- same transaction are replaced instead), and their new state is inserted.
CREATE FUNCTION service_version_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH changed AS MATERIALIZED (
        SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE {_DIFFERS}
    ), replaced AS (
        DELETE FROM service_version v USING changed c
        WHERE v.service_id = c.id AND upper_inf(v.valid) AND lower(v.valid) >= now()
    ), ended AS (
        UPDATE service_version v SET valid = tstzrange(lower(v.valid), now()) FROM changed c
        WHERE v.service_id = c.id AND upper_inf(v.valid) AND lower(v.valid) < now()
    )
    INSERT INTO service_version (service_id, valid, {_LIST})
    SELECT n.id, tstzrange(now(), NULL), {_NEW} FROM changed n;
    RETURN NULL;
END $$;

CREATE FUNCTION service_version_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH replaced AS (
        DELETE FROM service_version v USING old_rows o
        WHERE v.service_id = o.id AND upper_inf(v.valid) AND lower(v.valid) >= now()
    )
    UPDATE service_version v SET valid = tstzrange(lower(v.valid), now()) FROM old_rows o
    WHERE v.service_id = o.id AND upper_inf(v.valid) AND lower(v.valid) < now();
    RETURN NULL;
END $$;

CREATE TRIGGER service_version_inserted AFTER INSERT ON service
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION service_version_inserted();
CREATE TRIGGER service_version_updated AFTER UPDATE ON service
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION service_version_updated();
CREATE TRIGGER service_version_deleted AFTER DELETE ON service
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION service_version_deleted();

INSERT INTO service_version (service_id, valid, {_LIST})
SELECT n.id, tstzrange(least(coalesce(n.created_at, now()), now()), NULL), {_NEW}
FROM service n;

CREATE FUNCTION service_as_of(at timestamptz) RETURNS SETOF service_version
LANGUAGE sql STABLE AS $$
    SELECT * FROM service_version v WHERE v.valid @> at
$$;

CREATE FUNCTION service_public_as_of(at timestamptz) RETURNS TABLE ({_RETURNS})
LANGUAGE sql STABLE AS $$
    {public_select("service_version s", "service_id")}
    WHERE s.valid @> at
$$;

CREATE FUNCTION service_public_during(lo timestamptz, hi timestamptz)
RETURNS TABLE ({_RETURNS}) LANGUAGE sql STABLE AS $$
    {public_select("service_version s", "service_id", distinct=True)}
    WHERE s.valid && tstzrange(lo, hi, '[]') AND s.status <> 'closed'
    ORDER BY s.service_id, lower(s.valid) DESC
$$;
"""  # noqa: S608 (built from the constants above)

SERVICE_PUBLIC = f"CREATE OR REPLACE VIEW service_public AS\n{public_select('service s', 'id')}"


def upgrade() -> None:
    """Lifecycle columns, the history table and its triggers, the as-of functions."""
    op.execute(LIFECYCLE)
    op.execute(SERVICE_PUBLIC)
    op.execute(HISTORY)


def downgrade() -> None:
    """Drop the history; `service_public` back to 0007's columns."""
    op.execute("DROP FUNCTION service_public_during(timestamptz, timestamptz)")
    op.execute("DROP FUNCTION service_public_as_of(timestamptz)")
    op.execute("DROP FUNCTION service_as_of(timestamptz)")
    for event in ("inserted", "updated", "deleted"):
        op.execute(f"DROP TRIGGER service_version_{event} ON service")
        op.execute(f"DROP FUNCTION service_version_{event}()")
    op.execute("DROP TABLE service_version")
    op.execute("DROP TRIGGER service_lifecycle ON service")
    op.execute("DROP FUNCTION service_lifecycle()")
    # a view loses columns only by being recreated (0007's text, its readers kept)
    previous = migration("0007_public_geom.py")
    with previous._view_replaced(previous.SERVICE_PUBLIC):
        pass
    op.execute("ALTER TABLE service DROP CONSTRAINT ck_service_status")
    op.execute("ALTER TABLE service DROP COLUMN closed_at")
    op.execute("ALTER TABLE service DROP COLUMN last_verified")
