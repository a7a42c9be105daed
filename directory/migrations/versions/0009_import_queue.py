"""imports: a source queued from the admin pages waits for the scheduler process (who, when, how)

Revision ID: 0009_imports
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_imports"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_source", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queued_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("queued_by", sa.String(length=255), server_default="", nullable=False))
        batch_op.add_column(sa.Column("queued_options", sa.JSON(), server_default="{}", nullable=False))


def downgrade():
    with op.batch_alter_table("import_source", schema=None) as batch_op:
        batch_op.drop_column("queued_options")
        batch_op.drop_column("queued_by")
        batch_op.drop_column("queued_at")
