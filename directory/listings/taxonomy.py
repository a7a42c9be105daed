"""The category taxonomy shipped with the product, and loading it into a database."""

from __future__ import annotations

import json
from importlib import resources
from typing import TypedDict

from sqlalchemy import select

from ..core.db import DbSession
from ..models import TaxonomyTerm


class Category(TypedDict):
    code: str
    name: str
    description: str


def shipped_categories() -> list[Category]:
    text = resources.files("directory").joinpath("data/categories.json").read_text("utf-8")
    categories: list[Category] = json.loads(text)
    return categories


def ensure_categories(session: DbSession) -> int:
    """Add any shipped category the database lacks; never overwrite an admin's edits."""
    existing = set(session.scalars(select(TaxonomyTerm.code)))
    added = 0
    for category in shipped_categories():
        if category["code"] not in existing:
            session.add(TaxonomyTerm(**category))
            added += 1
    session.flush()
    return added
