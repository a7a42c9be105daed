"""Search's vocabulary: words that mean the same thing to different people, and everyday phrases with the
needs they name, shipped as data (``data/synonyms.json``, ``data/vocabulary.json``) and edited by admins."""

from __future__ import annotations

import json
from importlib import resources

from sqlalchemy import select

from ..core import process_cache
from ..core.db import DbSession
from ..core.validation import ValidationFailed
from ..models import Synonym, TaxonomyTerm
from .words import Lexicon, build_lexicon


def shipped_synonyms() -> dict[str, list[str]]:
    text = resources.files("directory").joinpath("data/synonyms.json").read_text("utf-8")
    data: dict[str, list[str]] = json.loads(text)
    return data


def shipped_vocabulary() -> dict[str, tuple[list[str], list[str]]]:
    """Everyday phrase -> (needs, service words), from ``data/vocabulary.json``: for each need, the words its
    services use and the phrases clients say. A phrase listed under two needs names both."""
    text = resources.files("directory").joinpath("data/vocabulary.json").read_text("utf-8")
    data: dict[str, dict[str, list[str]]] = json.loads(text)
    phrases: dict[str, tuple[list[str], list[str]]] = {}
    for code, entry in data.items():
        if code.startswith("_"):  # notes for whoever edits the file
            continue
        for phrase in entry["phrases"]:
            needs, words = phrases.setdefault(_clean(phrase), ([], []))
            needs.append(code)
            words.extend(w for w in entry["words"] if w not in words)
    return phrases


def ensure_synonyms(session: DbSession) -> int:
    """Add shipped terms and phrases the database lacks; an admin's edits are never overwritten."""
    existing = set(session.scalars(select(Synonym.term)))
    added = 0
    shipped: dict[str, tuple[list[str], list[str]]] = {t: ([], alts) for t, alts in shipped_synonyms().items()}
    for phrase, (needs, words) in shipped_vocabulary().items():
        old_needs, old_words = shipped.get(phrase, ([], []))
        shipped[phrase] = (old_needs + needs, old_words + [w for w in words if w not in old_words])
    for term, (needs, alternatives) in shipped.items():
        if term not in existing:
            session.add(Synonym(term=term, alternatives=[a for a in alternatives if a != term], needs=needs))
            added += 1
    session.flush()
    forget_cached(session)
    return added


def _clean(word: str) -> str:
    return " ".join(word.lower().split())


def save_synonym(
    session: DbSession, term: str, alternatives: str | list[str], needs: str | list[str] | None = None
) -> Synonym | None:
    """Set a term's alternatives and the needs it names (each comma-separated or a list); neither removes it."""
    cleaned = _clean(term)
    if not cleaned or len(cleaned) > 64:
        raise ValidationFailed({"term": "Give a word or phrase of 1 to 64 characters."})
    items = alternatives.split(",") if isinstance(alternatives, str) else alternatives
    alts = [a for a in dict.fromkeys(_clean(x) for x in items) if a and a != cleaned]
    if any(len(a) > 64 for a in alts):
        raise ValidationFailed({"alternatives": "Each alternative must be at most 64 characters."})
    codes = [
        c for c in dict.fromkeys(_clean(x) for x in (needs.split(",") if isinstance(needs, str) else needs or ())) if c
    ]
    known = set(session.scalars(select(TaxonomyTerm.code)))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValidationFailed({"needs": f"Unknown needs: {', '.join(unknown)}. Use the codes in the list of needs."})
    row = session.scalars(select(Synonym).where(Synonym.term == cleaned)).first()
    if not alts and not codes:
        if row is not None:
            session.delete(row)
        session.flush()
        forget_cached(session)
        return None
    if row is None:
        row = Synonym(term=cleaned)
        session.add(row)
    row.alternatives = alts
    row.needs = codes
    session.flush()
    forget_cached(session)
    return row


def synonym_map(session: DbSession) -> dict[str, set[str]]:
    """Term -> every word or phrase it may stand for, in both directions. Phrases that name needs are left to
    the needs: their service words would make the text match most of England."""
    mapping: dict[str, set[str]] = {}
    for row in session.scalars(select(Synonym)):
        if row.needs:
            continue
        for alt in row.alternatives:
            mapping.setdefault(row.term, set()).add(alt)
            mapping.setdefault(alt, set()).add(row.term)
    return mapping


def cached_synonym_map(session: DbSession) -> dict[str, set[str]]:
    """As synonym_map, kept per process until an admin changes them (search reads it on every query)."""
    return process_cache.cached(session, "synonyms", synonym_map)


def lexicon(session: DbSession) -> Lexicon:
    """Every synonym and phrase as an entry (with its needs), and the needs' own words for spelling."""
    rows = session.execute(select(Synonym.term, Synonym.needs, Synonym.alternatives)).all()
    entries = [(term, needs or (), alternatives or ()) for term, needs, alternatives in rows]
    needs = session.execute(select(TaxonomyTerm.name, TaxonomyTerm.description).where(TaxonomyTerm.active)).all()
    return build_lexicon(entries, (f"{name} {description}" for name, description in needs))


def cached_lexicon(session: DbSession) -> Lexicon:
    """As lexicon, kept per process like the synonyms."""
    return process_cache.cached(session, "lexicon", lexicon)


def forget_cached(session: DbSession) -> None:
    """The synonyms changed in the caller's transaction: every web process reads them again once it commits."""
    process_cache.changed(session, "synonyms")
    process_cache.changed(session, "lexicon")
