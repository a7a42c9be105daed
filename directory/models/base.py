"""What every model module shares: the CHECK constraint that keeps a column to a vocabulary."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import CheckConstraint


def allowed(column: str, values: Iterable[str]) -> CheckConstraint:
    """``column IN ('a', 'b', ...)``, named ``<column>_allowed`` as the migrations name it."""
    return CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=f"{column}_allowed")
