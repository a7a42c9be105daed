"""Full-text matching for search, in two steps so that ranking is paid for only where it is used.

Which services match is cheap (an index walk, left to the database as a subquery); ranking them (bm25
on SQLite, ts_rank on PostgreSQL) costs most of a full-text query, so relevance is worked out only for
the services a search keeps: the candidates when ordering by relevance, otherwise just the page shown.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, bindparam, column, text

from ..core.db import DbSession
from ..listings.fts import fts_expression, tsquery_expression
from ..listings.search_index import uses_fts5

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


def match(session: DbSession, words: str, synonyms: Mapping[str, set[str]]) -> TextMatch | None:
    """The services matching the words; None when the words hold nothing searchable."""
    fts5 = uses_fts5(session)
    expression = fts_expression(words, synonyms) if fts5 else tsquery_expression(words, synonyms)
    if expression is None:
        return None
    return TextMatch(expression, fts5)


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
