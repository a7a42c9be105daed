"""importers' evidence of closure joins the follow-up queue

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD = "reason IN ('no-reply', 'group-stopped', 'funding-ended', 'no-email', 'reported-stopped', 'details-wrong')"
NEW = (
    "reason IN ('no-reply', 'group-stopped', 'funding-ended', 'no-email', 'reported-stopped', 'details-wrong', "
    "'website-failed', 'no-future-events')"
)


def upgrade():
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_follow_up_reason_allowed"), type_="check")
        batch_op.create_check_constraint("reason_allowed", NEW)


def downgrade():
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_follow_up_reason_allowed"), type_="check")
        batch_op.create_check_constraint("reason_allowed", OLD)
