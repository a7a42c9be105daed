"""an import run counts the listings its source no longer publishes; they join staff's follow-up queue; a point
finds its nearest postcode by an index

Revision ID: 0014_import_removals
Revises: 0014_age_denominators
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_import_removals"
down_revision = "0014_age_denominators"
branch_labels = None
depends_on = None

OLD = (
    "reason IN ('no-reply', 'group-stopped', 'funding-ended', 'no-email', 'reported-stopped', 'details-wrong', "
    "'website-failed', 'no-future-events')"
)
NEW = (
    "reason IN ('no-reply', 'group-stopped', 'funding-ended', 'no-email', 'reported-stopped', 'details-wrong', "
    "'website-failed', 'no-future-events', 'source-removed')"
)


def upgrade():
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_follow_up_reason_allowed"), type_="check")
        batch_op.create_check_constraint("reason_allowed", NEW)
    op.create_index("ix_postcode_latitude_longitude", "postcode", ["latitude", "longitude"])


def downgrade():
    op.drop_index("ix_postcode_latitude_longitude", table_name="postcode")
    op.execute("DELETE FROM follow_up WHERE reason = 'source-removed'")
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_follow_up_reason_allowed"), type_="check")
        batch_op.create_check_constraint("reason_allowed", OLD)
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.drop_column("removed")
