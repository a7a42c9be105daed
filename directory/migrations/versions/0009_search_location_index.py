"""search finds the services at nearby locations through an index, not a scan

Revision ID: 0009_search
Revises: 0008
"""

from alembic import op

revision = "0009_search"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_service_at_location_location_id", "service_at_location", ["location_id"])


def downgrade() -> None:
    op.drop_index("ix_service_at_location_location_id", table_name="service_at_location")
