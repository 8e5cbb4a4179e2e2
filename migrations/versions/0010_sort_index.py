"""An index for the services' most asked order: `sortby=name` / `sortby=-name` on the items.

Ties break by id in the direction of the last sort key, so `(name, id)` scanned forwards or
backwards gives a page without sorting the whole registry.

Revision ID: 0010_sort_index
Revises: 0009_service_history
"""

from alembic import op

revision = "0010_sort_index"
down_revision = "0009_service_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_service_name_id", "service", ["name", "id"])


def downgrade() -> None:
    op.drop_index("ix_service_name_id", "service")
