"""the personal-data guard's overrides: who saved flagged text anyway, when, where, and which kinds

Revision ID: 0014_personal_data
Revises: 0014_schedule_rules
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_personal_data"
down_revision = "0014_schedule_rules"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "personal_data_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("kinds", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_personal_data_override_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_data_override")),
    )
    with op.batch_alter_table("personal_data_override", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_personal_data_override_record_id"), ["record_id"], unique=False)


def downgrade():
    with op.batch_alter_table("personal_data_override", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_personal_data_override_record_id"))
    op.drop_table("personal_data_override")
