"""merge the branches of the second round of features (claims, area, lookup, import queue, search index)

Revision ID: 0010
Revises: 0009_imports, 0009_claims, 0009_lookup, 0009_search, 0009_area
"""

revision = "0010"
down_revision = ("0009_imports", "0009_claims", "0009_lookup", "0009_search", "0009_area")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
