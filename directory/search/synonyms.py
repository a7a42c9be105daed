"""Words that mean the same thing to different people, used to widen text search."""

from __future__ import annotations

import json
from importlib import resources

from sqlalchemy import select

from ..core import process_cache
from ..core.db import DbSession
from ..core.validation import ValidationFailed
from ..models import Synonym


def shipped_synonyms() -> dict[str, list[str]]:
    text = resources.files("directory").joinpath("data/synonyms.json").read_text("utf-8")
    data: dict[str, list[str]] = json.loads(text)
    return data


def ensure_synonyms(session: DbSession) -> int:
    """Add shipped terms the database lacks; an admin's edits are never overwritten."""
    existing = set(session.scalars(select(Synonym.term)))
    added = 0
    for term, alternatives in shipped_synonyms().items():
        if term not in existing:
            session.add(Synonym(term=term, alternatives=alternatives))
            added += 1
    session.flush()
    forget_cached(session)
    return added


def _clean(word: str) -> str:
    return " ".join(word.lower().split())


def save_synonym(session: DbSession, term: str, alternatives: str | list[str]) -> Synonym | None:
    """Set a term's alternatives (comma-separated or a list); no alternatives removes the term."""
    cleaned = _clean(term)
    if not cleaned or len(cleaned) > 64:
        raise ValidationFailed({"term": "Give a word or phrase of 1 to 64 characters."})
    items = alternatives.split(",") if isinstance(alternatives, str) else alternatives
    alts = [a for a in dict.fromkeys(_clean(x) for x in items) if a and a != cleaned]
    if any(len(a) > 64 for a in alts):
        raise ValidationFailed({"alternatives": "Each alternative must be at most 64 characters."})
    row = session.scalars(select(Synonym).where(Synonym.term == cleaned)).first()
    if not alts:
        if row is not None:
            session.delete(row)
        session.flush()
        forget_cached(session)
        return None
    if row is None:
        row = Synonym(term=cleaned)
        session.add(row)
    row.alternatives = alts
    session.flush()
    forget_cached(session)
    return row


def synonym_map(session: DbSession) -> dict[str, set[str]]:
    """Term -> every word or phrase it may stand for, in both directions."""
    mapping: dict[str, set[str]] = {}
    for row in session.scalars(select(Synonym)):
        for alt in row.alternatives:
            mapping.setdefault(row.term, set()).add(alt)
            mapping.setdefault(alt, set()).add(row.term)
    return mapping


def cached_synonym_map(session: DbSession) -> dict[str, set[str]]:
    """As synonym_map, kept per process for a short while (search reads it on every query)."""
    return process_cache.cached(session, "synonyms", synonym_map)


def forget_cached(session: DbSession) -> None:
    process_cache.forget(session, "synonyms")
