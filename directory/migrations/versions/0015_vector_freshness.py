"""a service's meaning vector records when it was made, so vectors older than their listing are found and
made again (the search-vectors job after imports)

Revision ID: 0015_vector_freshness
Revises: 0014_evidence_sink
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0015_vector_freshness"
down_revision = "0014_evidence_sink"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("service_vector", schema=None) as batch_op:
        batch_op.add_column(sa.Column("made_at", sa.DateTime(), nullable=True))
    # The write path kept existing vectors in step with their listings: they count as made now.
    now = datetime.now(UTC).replace(tzinfo=None)
    op.execute(sa.text("UPDATE service_vector SET made_at = :now").bindparams(now=now))


def downgrade():
    with op.batch_alter_table("service_vector", schema=None) as batch_op:
        batch_op.drop_column("made_at")
