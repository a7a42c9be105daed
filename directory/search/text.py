"""Full-text matching for search, in two steps so that ranking is paid for only where it is used.

Which services match is cheap (an index walk, left to the database as a subquery); ranking them (bm25
on SQLite, ts_rank on PostgreSQL) costs most of a full-text query, so relevance is worked out only for
the services a search keeps: the candidates when ordering by relevance, otherwise just the page shown.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, bindparam, column, text

from ..core.db import DbSession
from ..listings.fts import fold_accents
from ..listings.search_index import uses_fts5
from .words import Understanding, words_of

_FTS5_IDS = "SELECT rowid FROM service_fts WHERE service_fts MATCH :q"
_FTS5_COUNT = "SELECT count(*) FROM service_fts WHERE service_fts MATCH :q"
_FTS5_RANKED = "SELECT rowid, bm25(service_fts, 10.0, 2.0, 3.0, 4.0, 1.0) FROM service_fts WHERE service_fts MATCH :q"
_FTS5_RANKED_AMONG = _FTS5_RANKED + " AND rowid IN :ids"
_TSQUERY_IDS = "SELECT service_id FROM service_fts WHERE document @@ to_tsquery('english', :q)"
# One array parameter: a list of tens of thousands of ids would pass PostgreSQL's bind limit.
_TSQUERY_RANKED_AMONG = (
    "SELECT service_id, ts_rank(document, to_tsquery('english', :q)) * 10 FROM service_fts WHERE service_id = ANY(:ids)"
)
# FTS5 ranks a listed rowid by seeking into every term's postings (slow for prefix terms); past
# about one listed id per this many matches, ranking every match in one pass is cheaper.
_SEEK_RATIO = 200
_MAX_LISTED = 500


@dataclass(frozen=True)
class TextMatch:
    """The services whose text matches, as a subquery for SQL filtering."""

    expression: str
    fts5: bool

    def subquery(self, among: Collection[int] | None = None) -> Any:
        """The matching ids as a subquery (a common word may match more services than a statement can bind);
        ``among``, the few services already near enough, keeps PostgreSQL from walking the whole index."""
        if self.fts5 or among is None:
            sql = _FTS5_IDS if self.fts5 else _TSQUERY_IDS
            return text(sql).bindparams(q=self.expression).columns(column("id", Integer))
        statement = text(_TSQUERY_IDS + " AND service_id = ANY(:text_among)")
        return statement.bindparams(q=self.expression, text_among=sorted(among)).columns(column("id", Integer))


MAX_ALTERNATIVES = 40


def alternatives(understood: Understanding, synonyms: Mapping[str, set[str]]) -> list[tuple[str, ...]]:
    """Every word or phrase that counts as a match (any one will do): each typed word (by prefix), what it
    was corrected to, its synonyms, and the service words of the everyday phrases recognised."""
    found: dict[tuple[str, ...], None] = {}
    for group in understood.terms:
        for word in group:
            found[tuple(word.split())] = None
            if " " in word:  # a phrase in quotes: exactly that
                continue
            for alt in sorted(synonyms.get(word, ())):
                found[tuple(words_of(alt))] = None
    for word in understood.added:
        found[tuple(words_of(word))] = None
    return [a for a in found if a][:MAX_ALTERNATIVES]


def expression(alts: list[tuple[str, ...]], fts5: bool) -> str | None:
    """Any of the alternatives, as an FTS5 MATCH or a to_tsquery expression. Only letters, digits and
    underscores reach either (apostrophes split a word: "men's" is "men" then "s"), so nothing typed is
    read as query syntax; single words match by prefix, phrases as phrases."""
    parts = []
    for alt in alts:
        words = [w for part in alt for w in re.findall(r"[a-z0-9_]+", fold_accents(part))]
        if not words:
            continue
        if fts5:
            parts.append('"' + " ".join(words) + '"' + ("*" if len(words) == 1 else ""))
        else:
            parts.append(" <-> ".join(f"'{w}'" + (":*" if len(words) == 1 else "") for w in words))
    if not parts:
        return None
    return " OR ".join(parts) if fts5 else " | ".join(f"({p})" for p in parts)


def match(session: DbSession, understood: Understanding, synonyms: Mapping[str, set[str]]) -> TextMatch | None:
    """The services matching any of the words; None when the words hold nothing searchable."""
    fts5 = uses_fts5(session)
    found = expression(alternatives(understood, synonyms), fts5)
    return None if found is None else TextMatch(found, fts5)


def relevance(session: DbSession, found: TextMatch, ids: Collection[int]) -> dict[int, float]:
    """Service id -> relevance (higher is better) for the given ids (ids that do not match are left out)."""
    wanted = list(ids)
    if not wanted:
        return {}
    if found.fts5:
        # bm25 is lower for better matches; negated so that higher is better on both backends.
        params = {"q": found.expression, "ids": wanted}
        if len(wanted) <= _MAX_LISTED and len(wanted) * _SEEK_RATIO <= _count(session, found):
            rows = session.execute(text(_FTS5_RANKED_AMONG).bindparams(bindparam("ids", expanding=True)), params)
        else:
            rows = session.execute(text(_FTS5_RANKED), {"q": found.expression})
        keep = set(wanted)
        return {int(r[0]): -float(r[1]) for r in rows if int(r[0]) in keep}
    rows = session.execute(text(_TSQUERY_RANKED_AMONG), {"q": found.expression, "ids": wanted})
    return {int(r[0]): float(r[1]) for r in rows}


def _count(session: DbSession, found: TextMatch) -> int:
    return int(session.execute(text(_FTS5_COUNT), {"q": found.expression}).scalar_one())


def in_listings(session: DbSession, word: str) -> bool:
    """Whether any listing (archived ones too) uses the word, stemmed as the index stems it: one index lookup."""
    found = expression([(word,)], uses_fts5(session))
    if found is None:
        return False
    plain = found.replace("*", "") if uses_fts5(session) else found.replace(":*", "")
    sql = _FTS5_IDS + " LIMIT 1" if uses_fts5(session) else _TSQUERY_IDS + " LIMIT 1"
    return session.execute(text(sql), {"q": plain}).first() is not None
