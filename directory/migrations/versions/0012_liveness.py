"""import and job runs record who runs them and a heartbeat; one scheduler at a time holds a lease

Revision ID: 0012_liveness
Revises: 0011_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_liveness"
down_revision = "0011_sessions"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("import_run", "job_run"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("worker", sa.String(length=255), server_default="", nullable=False))
            batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))
    op.create_table(
        "scheduler_lease",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("acquired_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_lease")),
    )


def downgrade():
    op.drop_table("scheduler_lease")
    for table in ("import_run", "job_run"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("heartbeat_at")
            batch_op.drop_column("worker")
