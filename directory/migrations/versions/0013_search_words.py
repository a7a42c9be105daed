"""search's vocabulary: a synonym or everyday phrase may name the needs it stands for

Revision ID: 0013_search_words
Revises: 0012_liveness
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_search_words"
down_revision = "0012_liveness"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("synonym", schema=None) as batch_op:
        batch_op.add_column(sa.Column("needs", sa.JSON(), server_default="[]", nullable=False))


def downgrade():
    with op.batch_alter_table("synonym", schema=None) as batch_op:
        batch_op.drop_column("needs")
