"""import and job runs record who runs them and a heartbeat; one scheduler at a time holds a lease; a job run
can be marked died; a follow-up is queued once per listing, reason and cycle

Revision ID: 0012_liveness
Revises: 0011_sessions
"""

import sqlalchemy as sa
from alembic import op

OLD = "outcome IN ('running', 'ok', 'failed', 'skipped')"
NEW = "outcome IN ('running', 'ok', 'failed', 'skipped', 'died')"
ONCE = "reason != 'group-stopped'"

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
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_job_run_outcome_allowed"), type_="check")
        batch_op.create_check_constraint("outcome_allowed", NEW)
    # Follow-ups queued twice by two schedulers at once are kept, told apart by their cycle, never deleted.
    op.execute(
        "UPDATE follow_up SET cycle = cycle || '#' || CAST(id AS VARCHAR(12)) WHERE reason != 'group-stopped' AND "
        "id NOT IN (SELECT MIN(id) FROM follow_up GROUP BY service_id, reason, cycle)"
    )
    op.create_index(
        "uq_follow_up_once", "follow_up", ["service_id", "reason", "cycle"], unique=True,
        sqlite_where=sa.text(ONCE), postgresql_where=sa.text(ONCE),
    )  # fmt: skip


def downgrade():
    op.drop_index("uq_follow_up_once", table_name="follow_up")
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_job_run_outcome_allowed"), type_="check")
        batch_op.create_check_constraint("outcome_allowed", OLD)
    op.drop_table("scheduler_lease")
    for table in ("import_run", "job_run"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("heartbeat_at")
            batch_op.drop_column("worker")
