"""listing requests from the public form

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "listing_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_name", sa.String(length=255), nullable=False),
        sa.Column("contact_name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("service_name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("postcode", sa.String(length=16), nullable=True),
        sa.Column("when", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('waiting', 'approved', 'rejected')", name=op.f("ck_listing_request_status_allowed")),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"], name=op.f("fk_listing_request_service_id_service")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_request")),
    )
    with op.batch_alter_table("listing_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_listing_request_status"), ["status"], unique=False)


def downgrade():
    with op.batch_alter_table("listing_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listing_request_status"))
    op.drop_table("listing_request")
