"""Upload authority: who created each source, and which key wrote each run.

`source_owner` names the key that created a source (NULL: the command line, or a source
older than this table); `ingest_run.key_prefix` / `key_name` name the key of an upload run
(NULL for the command line).

Revision ID: 0006_upload_authority
Revises: 0005_service_public
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_upload_authority"
down_revision = "0005_service_public"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ingest_run", sa.Column("key_prefix", sa.String(12)))
    op.add_column("ingest_run", sa.Column("key_name", sa.Text))
    op.create_table(
        "source_owner",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column(
            "key_prefix", sa.String(12),
            sa.ForeignKey("api_key.prefix", ondelete="SET NULL"),
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.execute(
        "INSERT INTO source_owner (source) "
        "SELECT source FROM service UNION SELECT source FROM ingest_run"
    )


def downgrade() -> None:
    op.drop_table("source_owner")
    op.drop_column("ingest_run", "key_name")
    op.drop_column("ingest_run", "key_prefix")
