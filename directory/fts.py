"""Turning what a person types into a safe SQLite FTS5 query, widened by synonyms."""

from __future__ import annotations

import re
from collections.abc import Mapping

# Quoted phrases, or runs of letters/digits (apostrophes inside words kept: "men's").
_TOKEN = re.compile(r'"([^"]*)"|([\w]+(?:[\'’][\w]+)*)', re.UNICODE)
MAX_TERMS = 12
# Little words people type that would otherwise have to appear in the listing too.
STOPWORDS = frozenset({"a", "an", "and", "or", "not", "the", "of", "for", "to", "in", "on", "with", "near", "at"})


def _quote(words: str) -> str:
    return '"' + words.replace('"', '""') + '"'


def parse_terms(text: str) -> list[tuple[str, bool]]:
    """(term, is_phrase) pairs from free text; FTS5 syntax in the input is never interpreted."""
    terms: list[tuple[str, bool]] = []
    for phrase, word in _TOKEN.findall(text or ""):
        if phrase.strip():
            cleaned = " ".join(re.findall(r"[\w]+(?:['’][\w]+)*", phrase.lower()))
            if cleaned:
                terms.append((cleaned, True))
        elif word and word.lower() not in STOPWORDS:
            terms.append((word.lower().replace("’", "'"), False))
    return terms[:MAX_TERMS]


def fts_expression(text: str, synonyms: Mapping[str, set[str]] | None = None) -> str | None:
    """An FTS5 MATCH expression: every term must match (or one of its synonyms); words match by prefix.

    Two-word phrases such as "low mood" are looked up in the synonyms as well as single words.
    Returns None when the text holds nothing searchable.
    """
    synonyms = synonyms or {}
    terms = parse_terms(text)
    groups: list[str] = []
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
        parts = []
        for alt in sorted(alternatives):
            words = re.findall(r"[\w]+", alt)
            if not words:
                continue
            # Single words match as prefixes (knit -> knitting); phrases match as phrases.
            parts.append(_quote(" ".join(words)) + ("*" if len(words) == 1 and not is_phrase else ""))
        if parts:
            groups.append(parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")")
    return " AND ".join(groups) if groups else None
