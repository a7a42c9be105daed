"""Admin edits to the category taxonomy (categories are retired, never deleted)."""

from __future__ import annotations

import re

from sqlalchemy import select

from ..core.db import DbSession
from ..core.validation import ValidationFailed
from ..models import TaxonomyTerm

CODE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def save_category(
    session: DbSession, *, code: str, name: str, description: str = "", active: bool = True
) -> TaxonomyTerm:
    """Create a category, or update the one with this code."""
    code, name = code.strip().lower(), " ".join(name.split())
    errors = {}
    if not CODE.match(code) or len(code) > 64:
        errors["code"] = f"{code!r} is not a code: use lower-case words joined by hyphens."
    if not name or len(name) > 255:
        errors["name"] = "Give a name of 1 to 255 characters."
    if errors:
        raise ValidationFailed(errors)
    term = session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.code == code)).first()
    if term is None:
        term = TaxonomyTerm(code=code)
        session.add(term)
    term.name, term.description, term.active = name, description.strip(), active
    session.flush()
    return term
