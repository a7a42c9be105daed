"""Never a blank page: when nothing matches near the client, what to offer instead.

The nearest matches further away (the radius widened step by step), the needs the words named (each a
search of its own), and services anyone can use by phone or online wherever they are. The search itself
still counts as unmet need: the widened results are offered, not found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..core.db import DbSession
from ..models import TaxonomyTerm
from .engine import Fallback, Outcome, search
from .query import SearchQuery

WIDER_KM = (10.0, 25.0, 50.0, 100.0)
SHOWN = 5


def never_blank(
    session: DbSession, query: SearchQuery, config: Mapping[str, Any], *, now: datetime | None = None
) -> Outcome:
    """``search``, and when nothing matches near the client, ``outcome.fallback`` says what to offer instead."""
    outcome = search(session, query, config, now=now)
    if not outcome.results and outcome.origin is not None and (query.text.strip() or query.categories):
        outcome.fallback = offer(session, outcome, config, now)
    return outcome


def offer(
    session: DbSession,
    outcome: Outcome,
    config: Mapping[str, Any],
    now: datetime | None = None,
) -> Fallback:
    """What to show instead of nothing."""
    query = outcome.query

    def run(changed: SearchQuery) -> Outcome:
        return search(session, changed, config, now=now)

    found = Fallback()
    for km in WIDER_KM:
        if km <= query.radius_km:
            continue
        wider = run(replace(query, radius_km=km, limit=SHOWN))
        if wider.results:
            found.further, found.further_km = wider.results, km
            break
    codes: dict[str, None] = dict.fromkeys(query.categories)
    if outcome.understood is not None:
        codes.update(dict.fromkeys(outcome.understood.needs))
    if outcome.risk is not None:
        codes.update(dict.fromkeys(outcome.risk.needs))
    for result in found.further:
        codes.update(dict.fromkeys(t.code for t in result.service.categories))
    if codes:
        rows = session.execute(select(TaxonomyTerm.code, TaxonomyTerm.name).where(TaxonomyTerm.code.in_(codes)))
        names = dict(rows.all())
        found.related = [(code, names[code]) for code in codes if code in names][:6]
    if query.postcode and (query.text.strip() or query.categories):
        # Anywhere in England, but only what works without travelling: phone or online.
        remote = run(replace(query, postcode="", delivery=("phone", "online"), home_visits=False, limit=SHOWN))
        found.remote = remote.results
    return found
