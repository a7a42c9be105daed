"""gaps: the ONS LSOA 2011 to 2021 lookup, deprivation carried across it, local authority outlines

Revision ID: 0009_lookup
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_lookup"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lsoa_lookup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lsoa11_code", sa.String(length=16), nullable=False),
        sa.Column("lsoa11_name", sa.String(length=255), nullable=False),
        sa.Column("lsoa21_code", sa.String(length=16), nullable=False),
        sa.Column("lsoa21_name", sa.String(length=255), nullable=False),
        sa.Column("change", sa.String(length=1), nullable=False),
        sa.Column("lad_code", sa.String(length=16), nullable=False),
        sa.Column("lad_name", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lsoa_lookup")),
        sa.UniqueConstraint("lsoa11_code", "lsoa21_code", name="uq_lsoa_lookup_lsoa11_code"),
    )
    with op.batch_alter_table("lsoa_lookup", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lsoa_lookup_lsoa11_code"), ["lsoa11_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_lsoa_lookup_lsoa21_code"), ["lsoa21_code"], unique=False)
    op.create_table(
        "lad_outline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition", sa.String(length=4), nullable=False),
        sa.Column("lad_code", sa.String(length=16), nullable=False),
        sa.Column("lsoas", sa.Integer(), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("x", sa.Float(), nullable=False),
        sa.Column("y", sa.Float(), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lad_outline")),
        sa.UniqueConstraint("edition", "lad_code", name="uq_lad_outline_edition_lad_code"),
    )
    with op.batch_alter_table("lad_outline", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lad_outline_lad_code"), ["lad_code"], unique=False)
    with op.batch_alter_table("deprivation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("carried", sa.String(length=16), server_default="", nullable=False))
        batch_op.add_column(sa.Column("carried_from", sa.Text(), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("deprivation", schema=None) as batch_op:
        batch_op.drop_column("carried_from")
        batch_op.drop_column("carried")
    with op.batch_alter_table("lad_outline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lad_outline_lad_code"))
    op.drop_table("lad_outline")
    with op.batch_alter_table("lsoa_lookup", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lsoa_lookup_lsoa21_code"))
        batch_op.drop_index(batch_op.f("ix_lsoa_lookup_lsoa11_code"))
    op.drop_table("lsoa_lookup")
