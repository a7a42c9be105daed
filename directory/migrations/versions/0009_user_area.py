"""users get an area: the local authorities the gap map and table open on

Revision ID: 0009_area
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_area"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("area", sa.String(length=255), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("area")
