"""gaps' deprivation keeps the IoD population denominators by age (0-15, 16-59, 60 and over, working age)

Revision ID: 0014_age_denominators
Revises: 0013_search_words
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_age_denominators"
down_revision = "0013_search_words"
branch_labels = None
depends_on = None

COLUMNS = ("population_0_15", "population_16_59", "population_60_plus", "population_working_age")


def upgrade():
    with op.batch_alter_table("deprivation", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("deprivation", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
