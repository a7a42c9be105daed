"""a request to add a service may come from a signed-in group, tied to its organisation

Revision ID: 0018_request_organisation
Revises: 0017_flag_district
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_request_organisation"
down_revision = "0017_flag_district"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("listing_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organization_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_listing_request_organization_id"), ["organization_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_listing_request_organization_id_organization"), "organization", ["organization_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("listing_request", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_listing_request_organization_id_organization"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_listing_request_organization_id"))
        batch_op.drop_column("organization_id")
