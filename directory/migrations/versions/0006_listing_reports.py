"""follow-ups from link workers' reports on a listing (stopped running, details wrong)

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OLD = "reason IN ('no-reply', 'group-stopped', 'funding-ended', 'no-email')"
NEW = "reason IN ('no-reply', 'group-stopped', 'funding-ended', 'no-email', 'reported-stopped', 'details-wrong')"


def upgrade():
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_follow_up_reason_allowed"), type_="check")
        batch_op.create_check_constraint("reason_allowed", NEW)


def downgrade():
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_follow_up_reason_allowed"), type_="check")
        batch_op.create_check_constraint("reason_allowed", OLD)
