"""search's vocabulary: a synonym or everyday phrase may name the needs it stands for; services' meaning vectors

Revision ID: 0013_search_words
Revises: 0013_freshness
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_search_words"
down_revision = "0013_freshness"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("synonym", schema=None) as batch_op:
        batch_op.add_column(sa.Column("needs", sa.JSON(), server_default="[]", nullable=False))
    op.create_table(
        "service_vector",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_service_vector_service_id_service"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_service_vector")),
    )


def downgrade():
    op.drop_table("service_vector")
    with op.batch_alter_table("synonym", schema=None) as batch_op:
        batch_op.drop_column("needs")
