"""search finds the services that meet a need through an index, not a scan of every link (England-wide searches)

Revision ID: 0016_search_need_index
Revises: 0015_vector_freshness
"""

from alembic import op

revision = "0016_search_need_index"
down_revision = "0015_vector_freshness"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_service_taxonomy_term_service", "service_taxonomy", ["taxonomy_term_id", "service_id"])


def downgrade() -> None:
    op.drop_index("ix_service_taxonomy_term_service", table_name="service_taxonomy")
