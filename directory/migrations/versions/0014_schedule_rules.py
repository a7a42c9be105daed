"""schedules learn monthly and nth-weekday rules, intervals, valid from/to and dates without a session

Revision ID: 0014_schedule_rules
Revises: 0014_import_removals
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_schedule_rules"
down_revision = "0014_import_removals"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("schedule", schema=None) as batch_op:
        batch_op.add_column(sa.Column("freq", sa.String(length=8), server_default="WEEKLY", nullable=False))
        batch_op.add_column(sa.Column("interval", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("week_of_month", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("bymonthday", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("dtstart", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("valid_to", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("except_dates", sa.JSON(), server_default="[]", nullable=False))
        batch_op.create_check_constraint("freq_allowed", "freq IN ('WEEKLY', 'MONTHLY')")


def downgrade():
    with op.batch_alter_table("schedule", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_schedule_freq_allowed"), type_="check")
        for name in ("except_dates", "valid_to", "valid_from", "dtstart", "bymonthday", "week_of_month", "interval"):
            batch_op.drop_column(name)
        batch_op.drop_column("freq")
