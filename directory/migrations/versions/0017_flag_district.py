"""a gap flag may be for a whole postcode district ("FY1"), when that is all the worker had

Revision ID: 0017_flag_district
Revises: 0016_search_need_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_flag_district"
down_revision = "0016_search_need_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("gap_flag", schema=None) as batch_op:
        batch_op.add_column(sa.Column("district", sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table("gap_flag", schema=None) as batch_op:
        batch_op.drop_column("district")
