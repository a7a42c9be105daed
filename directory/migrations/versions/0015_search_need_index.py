"""search finds the services that meet a need through an index, not a scan of every link (England-wide searches)

Revision ID: 0015_search_need_index
Revises: 0014_evidence_sink
"""

from alembic import op

revision = "0015_search_need_index"
down_revision = "0014_evidence_sink"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_service_taxonomy_term_service", "service_taxonomy", ["taxonomy_term_id", "service_id"])


def downgrade() -> None:
    op.drop_index("ix_service_taxonomy_term_service", table_name="service_taxonomy")
