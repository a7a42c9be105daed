"""user accounts get a session version, moved on at every sign-out, so old session cookies stop working

Revision ID: 0011_sessions
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_sessions"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("session_version")
