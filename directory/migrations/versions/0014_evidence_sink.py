"""a follow-up records when its evidence made a closure likelier than not, so search sinks the listing

Revision ID: 0014_evidence_sink
Revises: 0014_personal_data
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_evidence_sink"
down_revision = "0014_personal_data"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sunk_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_column("sunk_at")
