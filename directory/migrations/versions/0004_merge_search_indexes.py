"""merge the feature branches; indexes for search at national scale

Revision ID: 0004
Revises: 0003_backlog, 0003_gaps, 0003_groups, 0003_imports
"""

from alembic import op

revision = "0004"
down_revision = ("0003_backlog", "0003_gaps", "0003_groups", "0003_imports")
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("location", schema=None) as batch_op:
        batch_op.create_index("ix_location_latitude_longitude", ["latitude", "longitude"], unique=False)
    with op.batch_alter_table("waiting_time_report", schema=None) as batch_op:
        batch_op.create_index("ix_waiting_time_report_service_latest", ["service_id", "reported_at"], unique=False)


def downgrade():
    with op.batch_alter_table("waiting_time_report", schema=None) as batch_op:
        batch_op.drop_index("ix_waiting_time_report_service_latest")
    with op.batch_alter_table("location", schema=None) as batch_op:
        batch_op.drop_index("ix_location_latitude_longitude")
