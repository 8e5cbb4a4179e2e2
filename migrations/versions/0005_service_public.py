"""`service_public`: the services as the public may see them, for the researchers' read-only role.

Every field a service lists in `private_fields` is null; a private address or location puts
the point on its comune's representative point. Raw rows, keys and unmapped columns
(`extra`) stay out of it.

Revision ID: 0005_service_public
Revises: 0004_api_keys
"""

from alembic import op

revision = "0005_service_public"
down_revision = "0004_api_keys"
branch_labels = None
depends_on = None

SERVICE_PUBLIC = """
CREATE VIEW service_public AS
SELECT s.id, s.source, s.name,
    CASE WHEN 'organization_name' = ANY(s.private_fields) THEN NULL
         ELSE s.organization_name END AS organization_name,
    CASE WHEN 'description' = ANY(s.private_fields) THEN NULL ELSE s.description END
        AS description,
    s.category_code,
    CASE WHEN 'address_1' = ANY(s.private_fields) THEN NULL ELSE s.address_1 END AS address_1,
    CASE WHEN 'postal_code' = ANY(s.private_fields) THEN NULL ELSE s.postal_code END
        AS postal_code,
    s.municipality_code,
    CAST(CASE WHEN s.private_fields && ARRAY['address_1', 'geom', 'location']
                   AND m.point IS NOT NULL
              THEN m.point ELSE s.geom END AS geometry(Point, 4326)) AS geom,
    CASE WHEN s.private_fields && ARRAY['address_1', 'geom', 'location'] AND m.point IS NOT NULL
         THEN 'municipality' ELSE s.geocode_precision END AS geocode_precision,
    s.languages, s.target_groups, s.access_modes, s.mediation_available, s.step_free_access,
    s.documents_required, s.cost,
    CASE WHEN 'phone' = ANY(s.private_fields) THEN NULL ELSE s.phone END AS phone,
    CASE WHEN 'email' = ANY(s.private_fields) THEN NULL ELSE s.email END AS email,
    CASE WHEN 'url' = ANY(s.private_fields) THEN NULL ELSE s.url END AS url,
    CASE WHEN 'opening_hours' = ANY(s.private_fields) THEN NULL ELSE s.opening_hours END
        AS opening_hours,
    CASE WHEN 'opening_hours' = ANY(s.private_fields) THEN NULL ELSE s.schedule END AS schedule,
    s.eligibility_description, s.capacity, s.status, s.is_example, s.private_fields,
    s.created_at, s.updated_at
FROM service s
LEFT JOIN municipality m ON m.code = s.municipality_code
"""


def upgrade() -> None:
    op.execute(SERVICE_PUBLIC)


def downgrade() -> None:
    op.execute("DROP VIEW service_public")
