"""groups claim listings staff created; groups' held changes to their organisation's own details

Revision ID: 0009_claims
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_claims"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "listing_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("contact_name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=255), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'declined')", name=op.f("ck_listing_claim_status_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_listing_claim_organization_id_organization")
        ),
        sa.ForeignKeyConstraint(["token_id"], ["group_token.id"], name=op.f("fk_listing_claim_token_id_group_token")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_claim")),
    )
    with op.batch_alter_table("listing_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_listing_claim_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_listing_claim_status"), ["status"], unique=False)
    # A held change with no service is a change to the organisation's own details.
    with op.batch_alter_table("pending_change", schema=None) as batch_op:
        batch_op.alter_column("service_id", existing_type=sa.Integer(), nullable=True)


def downgrade():
    # Held changes to organisations have nowhere to go in the older schema: while any are stored, decided or not,
    # the NOT NULL refuses and the downgrade stops, rather than dropping them.
    with op.batch_alter_table("pending_change", schema=None) as batch_op:
        batch_op.alter_column("service_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("listing_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listing_claim_status"))
        batch_op.drop_index(batch_op.f("ix_listing_claim_organization_id"))
    op.drop_table("listing_claim")
