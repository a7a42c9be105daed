"""The order of results, in Python and in SQL, kept side by side; the first page of a large search cut inside the
database.

A search without a postcode can match most of the directory ("debt advice", a need alone, nothing typed). Reading
every match into Python to rank it costs time in proportion to the matches. Past ``CAP`` matches the database works
out the same order instead (the text score scaled by the best among the matches, the needs met, freshness, then the
name) and returns only what the first page needs; the count stops at the cap ("more than 1,000 results"). Below the
cap ``engine.search`` keeps its exact path, so small searches are unchanged. ``sort_key`` (Python) and
``_order`` (SQL) must give the same order: tests compare both paths.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Float, Integer, Select, Text, case, cast, column, exists, func, not_, or_, select, text

from ..core.db import DbSession
from ..listings import vectors
from ..models import Service, TaxonomyTerm, service_taxonomy
from .query import SearchQuery
from .text import TextMatch

# Past this many matches (the SEARCH_COUNT_CAP setting) a search without a postcode is ordered and cut in the
# database, and counted no further.
CAP = 1_000


@dataclass
class Candidate:
    """The few facts ordering needs, read in one query; full listings are loaded only for the page shown."""

    id: int
    name: str
    verified_at: datetime | None
    wait_weeks: int | None
    distance_km: float | None
    area_match: bool
    relevance: float
    stale: int  # 0 fresh, 1 stale, 2 carries a warning (sinks below the rest)


def tenths(relevance: float) -> int:
    """Relevance in steps of a tenth, rounded half up: the same arithmetic SQL does (``_tenths``)."""
    return math.floor(relevance * 10 + 0.5)


def sort_key(sort: str) -> Any:
    def distance(c: Candidate) -> float:
        return c.distance_km if c.distance_km is not None else math.inf

    def weeks(c: Candidate) -> float:
        return c.wait_weeks if c.wait_weeks is not None else math.inf

    def verified(c: Candidate) -> float:
        return -c.verified_at.timestamp() if c.verified_at else math.inf

    def step(km: float) -> float:
        return math.floor(km / 0.5) if km != math.inf else math.inf

    if sort == "nearest":
        return lambda c: (step(distance(c)), c.stale, distance(c), c.name, c.id)
    if sort == "wait":
        return lambda c: (weeks(c), c.stale, distance(c), c.name, c.id)
    if sort == "verified":
        return lambda c: (verified(c), c.name, c.id)
    # A listing with evidence it may be wrong (stale 2) sinks below every other match, however well it matches.
    return lambda c: (c.stale >= 2, -tenths(c.relevance), c.stale, -c.relevance, distance(c), c.name, c.id)


def _has(column_: Any, code: str) -> Any:
    """A JSON list of codes holds this code: codes are plain words, so its quoted form is found in the text."""
    return func.coalesce(cast(column_, Text), "").like(f'%"{code}"%')


def list_filters(query: SearchQuery, latest_wait: Any) -> list[Any]:
    """The filters ``engine._candidate`` applies to each row in Python (delivery, referral routes, access, the
    longest wait), as SQL conditions, so a count and a first page in the database see the same matches."""
    modes = Service.delivery_modes
    conditions: list[Any] = []
    if not query.include_remote:  # remote only: some modes, none of them in person or home visits
        listed = func.coalesce(cast(modes, Text), "").like('%"%')
        conditions.append(not_(listed) | _has(modes, "in-person") | _has(modes, "home-visits"))
    if query.delivery:
        conditions.append(or_(*(_has(modes, mode) for mode in query.delivery)))
    if query.home_visits:
        conditions.append(_has(modes, "home-visits"))
    if query.self_referral:
        conditions.append(_has(Service.referral_routes, "self"))
    conditions += [_has(Service.accessibility, need) for need in query.accessibility]
    if query.max_wait_weeks is not None:
        conditions.append(or_(latest_wait.is_(None), latest_wait <= query.max_wait_weeks))
    return conditions


def over_cap(session: DbSession, statement: Select[Any], cap: int) -> bool:
    """More than ``cap`` matches: counted only up to one past the cap."""
    return int(session.scalar(select(func.count()).select_from(statement.limit(cap + 1).subquery())) or 0) > cap


def matching(found: TextMatch) -> Select[Any]:
    """The ids of the services whose text matches, as a select (to join with other lists of ids)."""
    if found.fts5:
        sql = "SELECT rowid AS id FROM service_fts WHERE service_fts MATCH :q"
    else:
        sql = "SELECT service_id AS id FROM service_fts WHERE document @@ to_tsquery('english', :q)"
    ids = text(sql).bindparams(q=found.expression).columns(column("id", Integer)).subquery("text_ids")
    return select(ids.c.id)


def _scores(found: TextMatch) -> Any:
    """Each matching service's text score (higher is better), as ``text.relevance`` gives it."""
    if found.fts5:
        sql = ("SELECT rowid AS id, -bm25(service_fts, 10.0, 2.0, 3.0, 4.0, 1.0) AS score "
               "FROM service_fts WHERE service_fts MATCH :q")  # fmt: skip
    else:
        sql = ("SELECT service_id AS id, ts_rank(document, to_tsquery('english', :q)) * 10 AS score "
               "FROM service_fts WHERE document @@ to_tsquery('english', :q)")  # fmt: skip
    clause = text(sql).bindparams(q=found.expression).columns(column("id", Integer), column("score", Float))
    return clause.subquery("text_scores")


def _meets(codes: list[str]) -> Any:
    return exists().where(
        service_taxonomy.c.service_id == Service.id,
        TaxonomyTerm.id == service_taxonomy.c.taxonomy_term_id,
        TaxonomyTerm.code.in_(codes),
    )


def _relevance(
    statement: Select[Any], found: TextMatch | None, needs: tuple[str, ...], first: tuple[str, ...],
    weights: Mapping[str, float], need_weight: float, risk_weight: float,
) -> tuple[Select[Any], Any]:  # fmt: skip
    """``engine._rank`` in SQL: the text score over the best among all the matches, plus the needs met."""
    relevance: Any = cast(0.0, Float)
    if found is not None:
        scores = _scores(found)
        statement = statement.outerjoin(scores, scores.c.id == Service.id)
        score = cast(scores.c.score, Float)
        best = func.coalesce(func.max(case((score > 0, score))).over(), 1.0)
        relevance = case((score > 0, score), else_=0.0) / best
    if needs:
        by_weight: dict[float, list[str]] = {}
        for code in needs:
            by_weight.setdefault(weights.get(code, 1.0), []).append(code)
        met = [(_meets(codes), need_weight * w) for w, codes in sorted(by_weight.items(), reverse=True)]
        relevance = relevance + case(*met, else_=0.0)
        if first:
            relevance = relevance + case((_meets(list(first)), risk_weight), else_=0.0)
    return statement, relevance


def _tenths(expression: Any, dialect: str) -> Any:
    stepped = expression * 10 + 0.5
    return func.floor(stepped) if dialect == "postgresql" else cast(stepped, Integer)  # a cast truncates in SQLite


# Walks that stop at the page's end: an order that begins with the name or the date verified follows its index.
BY_NAME, BY_VERIFIED = "ix_service_name", "ix_service_last_verified_at"
Level = tuple[str | None, Callable[[Any], tuple[list[Any], list[Any]]]]


def _levels(sort: str, by_relevance: bool, dialect: str, waiting: Any) -> list[Level]:
    """``sort_key`` for searches without a postcode (no distances), as SQL over the ranked subquery's columns: a
    list of (index to walk, columns -> (condition, order)), read one after another until the page is full. Split
    at the key's first part, so that each part's order is a walk along an index that stops at the page's end
    instead of a sort of every match."""

    def name(c: Any) -> Any:
        return c.name.collate("C") if dialect == "postgresql" else c.name  # code-point order, as Python compares

    if by_relevance:  # the text score over the best among all the matches: every match is scored, then cut
        return [(None, lambda c: ([], [c.stale == 2, _tenths(c.relevance, dialect).desc(), c.stale,
                                       c.relevance.desc(), name(c), c.id]))]  # fmt: skip

    def fresh(level: int, *more: Any) -> Level:
        return BY_NAME, lambda c: ([c.stale == level, *(m(c) for m in more)], [name(c), c.id])

    if sort == "wait":  # only services with a current wait have one: found from the reports, not each service
        unknown = [fresh(level, lambda c: c.wait.is_(None)) for level in (0, 1, 2)]
        return [(None, lambda c: ([c.id.in_(waiting), c.wait.is_not(None)], [c.wait, c.stale, name(c), c.id])),
                *unknown]  # fmt: skip
    if sort == "verified":
        return [(BY_VERIFIED, lambda c: ([c.verified_at.is_not(None)], [c.verified_at.desc(), name(c), c.id])),
                (BY_NAME, lambda c: ([c.verified_at.is_(None)], [name(c), c.id]))]  # fmt: skip
    return [fresh(level) for level in (0, 1, 2)]  # nearest (no distances without a postcode), or nothing to rank


def first_page(
    session: DbSession,
    statement: Select[Any],
    query: SearchQuery,
    *,
    latest_wait: Any,
    waiting: Any,
    stale_after: datetime,
    warned: set[int],
    ranking: tuple[TextMatch | None, tuple[str, ...], tuple[str, ...], Mapping[str, float]],
    weights: tuple[float, float, float, int],
    vector: np.ndarray | None,
) -> list[Candidate]:
    """The first page of a large search without a postcode, in ``sort_key``'s order, ordered and cut in SQL.
    ``ranking`` is (text match, needs, risk needs, need weights), ``weights`` (need, risk, meaning, re-ranked)."""
    dialect = session.get_bind().dialect.name
    found, needs, first, need_weights = ranking
    need_weight, risk_weight, meaning_weight, reranked = weights
    ranked_by_relevance = query.sort == "relevance" and (found is not None or bool(needs))
    relevance: Any = cast(0.0, Float)
    if ranked_by_relevance:
        statement, relevance = _relevance(statement, found, needs, first, need_weights, need_weight, risk_weight)
    stale = case(
        *([(Service.id.in_(warned), 2)] if warned else []), (Service.last_verified_at >= stale_after, 0), else_=1
    )
    wait = latest_wait if query.sort == "wait" else cast(None, Integer)
    columns = (
        Service.id.label("id"), Service.name.label("name"), Service.last_verified_at.label("verified_at"),
        wait.label("wait"), stale.label("stale"), relevance.label("relevance"),
    )  # fmt: skip
    ranked = statement.with_only_columns(*columns).subquery("ranked")
    wanted = query.limit + (reranked if vector is not None and ranked_by_relevance else 0)
    rows: dict[int, Any] = {}
    for index, level in _levels(query.sort, ranked_by_relevance, dialect, waiting):
        if len(rows) >= wanted:
            break
        walked = statement.with_hint(Service, f"INDEXED BY {index}", "sqlite") if index else statement
        part = walked.with_only_columns(*columns).subquery("ranked")
        where, order = level(part.c)
        page = session.execute(select(part).where(*where).order_by(*order).limit(wanted - len(rows)))
        rows.update((r.id, r) for r in page)
    if vector is not None and ranked_by_relevance:
        best_few = session.execute(select(ranked).order_by(ranked.c.relevance.desc()).limit(reranked)).all()
        rows.update({r.id: r for r in best_few})
    chosen = [Candidate(r.id, r.name, r.verified_at, r.wait, None, False, float(r.relevance), int(r.stale))
              for r in rows.values()]  # fmt: skip
    if vector is not None and ranked_by_relevance:
        best_few_ids = [c.id for c in sorted(chosen, key=lambda c: -c.relevance)[:reranked]]
        near = vectors.similarities(session, best_few_ids, vector)
        for candidate in chosen:
            if candidate.id in near:
                candidate.relevance += meaning_weight * max(near[candidate.id], 0.0)
    return sorted(chosen, key=sort_key(query.sort))[: query.limit]
