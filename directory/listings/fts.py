"""Turning what a person types into a safe full-text query (SQLite FTS5 or PostgreSQL tsquery).

Both backends get the same meaning: every term must match (or one of its synonyms); single words
match by prefix ("knit" finds "knitting"); phrases in quotes match as phrases. Nothing the person
types is ever interpreted as query syntax.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

# Quoted phrases, or runs of letters/digits (apostrophes inside words kept: "men's").
_TOKEN = re.compile(r'"([^"]*)"|([\w]+(?:[\'’][\w]+)*)', re.UNICODE)
_WORD = re.compile(r"[\w]+", re.UNICODE)
MAX_TERMS = 12
# Little words people type that would otherwise have to appear in the listing too.
STOPWORDS = frozenset({"a", "an", "and", "or", "not", "the", "of", "for", "to", "in", "on", "with", "near", "at"})


@dataclass(frozen=True)
class Alternative:
    words: tuple[str, ...]
    prefix: bool  # a single typed word matches as a prefix; phrases match exactly


def parse_terms(text: str) -> list[tuple[str, bool]]:
    """(term, is_phrase) pairs from free text; FTS syntax in the input is never interpreted."""
    terms: list[tuple[str, bool]] = []
    for phrase, word in _TOKEN.findall(text or ""):
        if phrase.strip():
            cleaned = " ".join(re.findall(r"[\w]+(?:['’][\w]+)*", phrase.lower()))
            if cleaned:
                terms.append((cleaned, True))
        elif word and word.lower() not in STOPWORDS:
            terms.append((word.lower().replace("’", "'"), False))
    return terms[:MAX_TERMS]


def term_groups(text: str, synonyms: Mapping[str, set[str]] | None = None) -> list[list[Alternative]]:
    """Each group must match; within a group any alternative may. Two-word synonyms ("low mood") count."""
    synonyms = synonyms or {}
    terms = parse_terms(text)
    groups: list[list[Alternative]] = []
    index = 0
    while index < len(terms):
        term, is_phrase = terms[index]
        alternatives: set[str] = set()
        if not is_phrase and index + 1 < len(terms) and not terms[index + 1][1]:
            pair = f"{term} {terms[index + 1][0]}"
            if pair in synonyms:
                alternatives = {pair, *synonyms[pair]}
                index += 2
        if not alternatives:
            alternatives = {term, *synonyms.get(term, set())}
            index += 1
        group = []
        for alt in sorted(alternatives):
            words = tuple(_WORD.findall(alt))
            if words:
                group.append(Alternative(words, prefix=len(words) == 1 and not is_phrase))
        if group:
            groups.append(group)
    return groups


def fold_accents(text: str) -> str:
    """ "café" -> "cafe": PostgreSQL's english configuration keeps accents, SQLite's FTS5 folds them."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def fts_expression(text: str, synonyms: Mapping[str, set[str]] | None = None) -> str | None:
    """An SQLite FTS5 MATCH expression, or None when the text holds nothing searchable."""

    def one(alt: Alternative) -> str:
        quoted = '"' + " ".join(alt.words).replace('"', '""') + '"'
        return quoted + ("*" if alt.prefix else "")

    parts = [" OR ".join(one(a) for a in group) for group in term_groups(text, synonyms)]
    wrapped = [p if " OR " not in p else f"({p})" for p in parts]
    return " AND ".join(wrapped) if wrapped else None


def tsquery_expression(text: str, synonyms: Mapping[str, set[str]] | None = None) -> str | None:
    """A PostgreSQL ``to_tsquery`` expression with the same meaning, or None."""

    def one(alt: Alternative) -> str | None:
        # Only letters, digits and underscores reach to_tsquery, so quoting them as lexemes is safe.
        words = ["".join(_WORD.findall(fold_accents(w))) for w in alt.words]
        lexemes = [f"'{w}'" + (":*" if alt.prefix else "") for w in words if w]
        return " <-> ".join(lexemes) if lexemes else None

    parts = []
    for group in term_groups(text, synonyms):
        alternatives = [a for a in (one(alt) for alt in group) if a]
        if alternatives:
            parts.append("(" + " | ".join(alternatives) + ")")
    return " & ".join(parts) if parts else None
