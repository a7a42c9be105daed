"""a paused listing may say when it starts again (it comes back by itself, with a check, on that date)

Revision ID: 0013_freshness
Revises: 0012_liveness
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_freshness"
down_revision = "0012_liveness"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_until", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.drop_column("paused_until")
