"""Link-worker search: what can this client get to, soon, near where they live, for this need?

Candidates are chosen in SQL (status, freshness, category, eligibility, sessions, full text and a
bounding box around the postcode); distances, JSON-list filters and ordering are then worked out
on that short list. Ordering compares the chosen measure in coarse steps first, so that at equal
relevance a fresh listing comes before a stale one, then the exact measure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Integer, Select, and_, any_, bindparam, exists, or_, select, union
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import joinedload, selectinload

from geo.distance import haversine_km

from ..core import meaning
from ..core.clock import utcnow
from ..core.db import DbSession
from ..listings import vectors
from ..listings.freshness import Freshness, freshness
from ..models import (
    DemandEvent,
    Location,
    Organization,
    Schedule,
    Service,
    ServiceArea,
    TaxonomyTerm,
    WaitingTimeReport,
    service_at_location,
    service_taxonomy,
)
from . import evidence as search_evidence
from . import text as search_text
from .query import TIMES_OF_DAY, Origin, SearchQuery, locate
from .safety import Risk, risk_in
from .semantic import with_meaning
from .synonyms import cached_lexicon, cached_synonym_map
from .topk import CAP, Candidate, first_page, list_filters, matching, over_cap, sort_key
from .words import Understanding, understand


@dataclass
class Result:
    service: Service
    distance_km: float | None
    area_match: bool
    relevance: float
    freshness: Freshness
    wait: WaitingTimeReport | None
    warning: str = ""  # evidence it may be wrong (it sinks): search/evidence.py


@dataclass
class Fallback:
    """Offered instead of a blank page (see ``fallback.never_blank``)."""

    further: list[Result] = field(default_factory=list)
    further_km: float | None = None  # the radius the further matches were found within
    related: list[tuple[str, str]] = field(default_factory=list)  # (need code, name)
    remote: list[Result] = field(default_factory=list)


@dataclass
class Outcome:
    query: SearchQuery
    results: list[Result] = field(default_factory=list)
    origin: Origin | None = None
    matched: int = 0
    matched_exact: bool = True  # False: more than ``matched`` (the count stopped at ``topk.CAP``)
    understood: Understanding | None = None
    risk: Risk | None = None
    fallback: Fallback | None = None  # what to offer when nothing matched near the client (fallback.py)

    @property
    def found_nothing(self) -> bool:
        return not self.results

    @property
    def count_words(self) -> str:
        """How many matched, in words: "1 result", "245 results", "More than 1,000 results"."""
        if not self.matched_exact:
            return f"More than {self.matched:,} results"
        return f"{self.matched:,} result{'' if self.matched == 1 else 's'}"


def _bbox(origin: Origin, radius_km: float) -> tuple[float, float, float, float]:
    dlat = radius_km / 111.0
    dlon = radius_km / (111.320 * max(math.cos(math.radians(origin.latitude)), 0.01))
    return origin.latitude - dlat, origin.latitude + dlat, origin.longitude - dlon, origin.longitude + dlon


def _needing(codes: tuple[str, ...]) -> Select[Any]:
    """The ids of services that meet any of these needs."""
    return (
        select(service_taxonomy.c.service_id)
        .join(TaxonomyTerm, TaxonomyTerm.id == service_taxonomy.c.taxonomy_term_id)
        .where(TaxonomyTerm.code.in_(codes))
    )


def _base(query: SearchQuery, config: Mapping[str, Any], now: datetime) -> Select[Any]:
    statement = select(Service.id).join(Service.organization)
    if not query.include_archived:
        statement = statement.where(Service.status.in_(("active", "paused")), Organization.archived.is_(False))
    if not query.include_unverified:
        cutoff = now - timedelta(days=config["UNVERIFIED_DAYS"])
        statement = statement.where(Service.last_verified_at >= cutoff)
    if query.categories:
        if query.postcode:  # few services nearby: look up each one's needs
            statement = statement.where(Service.categories.any(TaxonomyTerm.code.in_(query.categories)))
        else:  # England-wide: one pass over the needs' links beats a lookup for each of many services
            statement = statement.where(Service.id.in_(_needing(query.categories)))
    if query.free_only:
        statement = statement.where(Service.is_free.is_(True))
    if query.age is not None:
        statement = statement.where(
            or_(Service.minimum_age.is_(None), Service.minimum_age <= query.age),
            or_(Service.maximum_age.is_(None), Service.maximum_age >= query.age),
        )
    if query.gender:
        statement = statement.where(Service.gender.in_(("any", query.gender)))
    if query.accepting_only:
        statement = statement.where(Service.capacity == "accepting")
    if query.day or query.time_of_day:
        session_matches: list[ColumnElement[bool]] = [Schedule.by_appointment.is_(False)]
        if query.day:
            session_matches.append(Schedule.byday == query.day)
        if query.time_of_day:
            start, end = TIMES_OF_DAY[query.time_of_day]
            session_matches += [Schedule.opens_at < end, or_(Schedule.closes_at.is_(None), Schedule.closes_at > start)]
        # One EXISTS with the OR inside, not two ORed: PostgreSQL turns ORed EXISTS into hashed subplans that
        # scan the whole schedule table; one it probes by service through the index.
        statement = statement.where(
            exists().where(
                Schedule.service_id == Service.id, or_(and_(*session_matches), Schedule.by_appointment.is_(True))
            )
        )
    return statement


# Below this many nearby services, filter by their ids (primary-key lookups); above it, by subqueries.
FEW = 5_000


def _latest_wait(wait_since: datetime | None) -> Any:
    """The latest waiting time reported for a service (a wait reported before ``wait_since`` counts as unknown)."""
    reports = select(WaitingTimeReport.weeks).where(WaitingTimeReport.service_id == Service.id)
    if wait_since is not None:
        reports = reports.where(WaitingTimeReport.reported_at >= wait_since)
    return (
        reports.order_by(WaitingTimeReport.reported_at.desc(), WaitingTimeReport.id.desc())
        .limit(1)
        .correlate(Service)
        .scalar_subquery()
    )


def _waiting(wait_since: datetime) -> Select[Any]:
    """The services with a waiting time reported since ``wait_since``."""
    return select(WaitingTimeReport.service_id).where(WaitingTimeReport.reported_at >= wait_since)


def _columns(
    statement: Select[Any], query: SearchQuery, origin: Origin | None, wait_since: datetime | None = None
) -> tuple[Select[Any], dict[str, int]]:
    """Only the columns this query's filters and order read: decoding JSON lists and finding the latest wait
    cost more than the rest of a row, which matters when a search spans all of England. A wait reported before
    ``wait_since`` counts as unknown."""
    latest_wait = _latest_wait(wait_since)
    optional = {
        "modes": (Service.delivery_modes,
                  origin is not None or not query.include_remote or bool(query.delivery) or query.home_visits),
        "routes": (Service.referral_routes, query.self_referral),
        "access": (Service.accessibility, bool(query.accessibility)),
        "wait": (latest_wait, query.sort == "wait" or query.max_wait_weeks is not None),
        "placed": (exists().where(service_at_location.c.service_id == Service.id), origin is not None),
    }  # fmt: skip
    chosen = [(name, column) for name, (column, wanted) in optional.items() if wanted]
    where = {name: 3 + n for n, (name, _column) in enumerate(chosen)}
    return statement.with_only_columns(
        Service.id, Service.name, Service.last_verified_at, *(c for _n, c in chosen)
    ), where


def _distances(session: DbSession, origin: Origin, radius_km: float) -> dict[int, float]:
    """Service id -> distance in km to its nearest location within the bounding box of the radius."""
    south, north, west, east = _bbox(origin, radius_km)
    rows = session.execute(
        select(service_at_location.c.service_id, Location.latitude, Location.longitude)
        .join(Location, Location.id == service_at_location.c.location_id)
        .where(Location.latitude.between(south, north), Location.longitude.between(west, east))
    ).all()
    nearest: dict[int, float] = {}
    for service_id, latitude, longitude in rows:
        km = haversine_km(origin.latitude, origin.longitude, latitude, longitude)
        if km < nearest.get(service_id, math.inf):
            nearest[service_id] = km
    return nearest


def search(
    session: DbSession,
    query: SearchQuery,
    config: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> Outcome:
    """Run a search; bad input raises SearchError and nothing is recorded."""
    now = now or utcnow()
    outcome = Outcome(query=query)
    statement = _base(query, config, now)
    distances: dict[int, float] = {}
    area_services: set[int] = set()
    nearby: set[int] | None = None
    if query.postcode:
        outcome.origin = origin = locate(session, query.postcode)
        distances = _distances(session, origin, query.radius_km)
        area_services = set(
            session.scalars(select(ServiceArea.service_id).where(ServiceArea.lad_code == origin.lad_code))
        )
        nearby = set(distances) | area_services
        if len(nearby) <= FEW:
            statement = statement.where(_among(session, Service.id, nearby))
        else:
            south, north, west, east = _bbox(origin, query.radius_km)
            near = exists().where(
                service_at_location.c.service_id == Service.id,
                Location.id == service_at_location.c.location_id,
                Location.latitude.between(south, north),
                Location.longitude.between(west, east),
            )
            covers = exists().where(ServiceArea.service_id == Service.id, ServiceArea.lad_code == origin.lad_code)
            statement = statement.where(or_(near, covers))
            nearby = None
    found: search_text.TextMatch | None = None
    needs: tuple[str, ...] = ()
    understood: Understanding | None = None
    vector = None  # the query's meaning, when the model is installed
    if query.text.strip():
        lexicon = cached_lexicon(session)
        if meaning.available(config.get("SEARCH_MEANING", "auto")):
            vector = meaning.embed([query.text])[0]
        read = understand(query.text, lexicon, lambda word: search_text.in_listings(session, word))
        outcome.understood = understood = with_meaning(read, lexicon, vector)
        outcome.risk = risk_in(query.text, understood.corrections)
        needs = tuple(dict.fromkeys((*(outcome.risk.needs if outcome.risk else ()), *understood.needs)))
        found = search_text.match(session, understood, cached_synonym_map(session))
    # Words are alternatives, ranked by how well they match: a listing needs one of them, or one of the needs
    # the everyday phrases name ("money worries" -> debt and benefits).
    either = found is not None or bool(needs)
    if either and outcome.origin is None:
        # England-wide: one list of ids (the text's matches and the needs' links) drives the query, not a scan
        # of every service testing each alternative.
        sources = [matching(found)] if found is not None else []
        sources += [_needing(needs)] if needs else []
        statement = statement.where(Service.id.in_(sources[0] if len(sources) == 1 else union(*sources)))
    elif either:
        alternatives: list[Any] = [Service.id.in_(found.subquery(nearby))] if found is not None else []
        alternatives += [Service.categories.any(TaxonomyTerm.code.in_(needs))] if needs else []
        statement = statement.where(or_(*alternatives))
    stale_after = now - timedelta(days=config["STALE_DAYS"])
    wait_since = search_evidence.current_wait_since(config, now)
    statement = statement.where(*list_filters(query, _latest_wait(wait_since)))
    warnings = search_evidence.warnings(session, config, now)
    first = outcome.risk.needs if outcome.risk else ()
    weights = understood.weights if understood else {}
    cap = int(config.get("SEARCH_COUNT_CAP", CAP))
    if outcome.origin is None and over_cap(session, statement, cap):
        # England-wide and matching thousands: ordered and cut in the database, counted up to the cap.
        chosen = first_page(
            session, statement, query, latest_wait=_latest_wait(wait_since), waiting=_waiting(wait_since),
            stale_after=stale_after,
            warned=set(warnings), ranking=(found, needs, first, weights),
            weights=(NEED_WEIGHT, RISK_WEIGHT, MEANING_WEIGHT, RERANKED), vector=vector,
        )  # fmt: skip
        outcome.matched, outcome.matched_exact = cap, False
    else:
        candidates = []
        columns, where = _columns(statement, query, outcome.origin, wait_since)
        for row in session.execute(columns):
            candidate = _candidate(row, where, query, outcome.origin, distances, area_services, stale_after)
            if candidate is not None:
                if candidate.id in warnings:
                    candidate.stale = 2  # below stale listings, until staff check it
                candidates.append(candidate)
        outcome.matched = len(candidates)
        if either and query.sort == "relevance":
            _rank(session, found, candidates, needs, first, weights, vector)
        chosen = sorted(candidates, key=sort_key(query.sort))[: query.limit]
    if either and query.sort != "relevance":  # shown with each result, though not used for this order
        _rank(session, found, chosen, needs, first, weights, vector)
    outcome.results = _load(session, chosen, config, now)
    for result in outcome.results:
        result.warning = warnings.get(result.service.id, "")
    return outcome


def _among(session: DbSession, column: Any, ids: set[int]) -> Any:
    """column IN ids; on PostgreSQL as one array parameter, since thousands of bound values cost more to plan
    than the query takes to run."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("among", sorted(ids), type_=ARRAY(Integer)))
    return column.in_(ids or {-1})


# A listing that meets a need the words name counts twice the best text match (less for a need named by a
# shorter phrase); one that meets a need a risk signals (local crisis and abuse support) comes before all.
NEED_WEIGHT = 2.0
RISK_WEIGHT = 3.0
# With the model: the best-ranked this many are re-ranked by cosine similarity (0 to 1) times this.
RERANKED = 100
MEANING_WEIGHT = 1.0


def _rank(
    session: DbSession,
    found: search_text.TextMatch | None,
    candidates: list[Candidate],
    needs: tuple[str, ...],
    first: tuple[str, ...],
    weights: Mapping[str, float],
    vector: np.ndarray | None = None,
) -> None:
    """Relevance from 0 up: the text score scaled by the best one here (0 to 1), plus the needs met, plus (with
    the model) how near in meaning the best-ranked few are to the query."""
    ids = [c.id for c in candidates]
    scores = search_text.relevance(session, found, ids) if found is not None else {}
    best = max((v for v in scores.values() if v > 0), default=1.0)
    meets = _meeting(session, ids, needs)
    for candidate in candidates:
        met = meets.get(candidate.id, set())
        candidate.relevance = (
            max(scores.get(candidate.id, 0.0), 0.0) / best
            + NEED_WEIGHT * max((weights.get(code, 1.0) for code in met), default=0.0)
            + (RISK_WEIGHT if met & set(first) else 0.0)
        )
    if vector is not None and candidates:
        best_few = sorted(candidates, key=lambda c: -c.relevance)[:RERANKED]
        near = vectors.similarities(session, [c.id for c in best_few], vector)
        for candidate in best_few:
            candidate.relevance += MEANING_WEIGHT * max(near.get(candidate.id, 0.0), 0.0)


def _meeting(session: DbSession, ids: list[int], needs: tuple[str, ...]) -> dict[int, set[str]]:
    """Service id -> the given needs it meets, for the given services."""
    if not needs or not ids:
        return {}
    rows = session.execute(
        select(service_taxonomy.c.service_id, TaxonomyTerm.code)
        .join(TaxonomyTerm, TaxonomyTerm.id == service_taxonomy.c.taxonomy_term_id)
        .where(TaxonomyTerm.code.in_(needs), _among(session, service_taxonomy.c.service_id, set(ids)))
    )
    meets: dict[int, set[str]] = {}
    for service_id, code in rows:
        meets.setdefault(service_id, set()).add(code)
    return meets


def _candidate(
    row: Any,
    where: dict[str, int],
    query: SearchQuery,
    origin: Origin | None,
    distances: dict[int, float],
    area_services: set[int],
    stale_after: datetime,
) -> Candidate | None:
    service_id, name, verified_at = row[0], row[1], row[2]

    def read(name: str) -> Any:
        return row[where[name]] if name in where else None

    modes = set(read("modes") or ())
    routes, accessibility, wait_weeks, placed = read("routes"), read("access"), read("wait"), read("placed")
    remote_only = bool(modes) and not modes & {"in-person", "home-visits"}
    if remote_only and not query.include_remote:
        return None
    if query.delivery and not modes & set(query.delivery):
        return None
    if query.home_visits and "home-visits" not in modes:
        return None
    if query.self_referral and "self" not in (routes or ()):
        return None
    if query.accessibility and not set(query.accessibility) <= set(accessibility or ()):
        return None
    if query.max_wait_weeks is not None and wait_weeks is not None and wait_weeks > query.max_wait_weeks:
        return None
    distance = None
    area_match = False
    if origin is not None:
        distance = distances.get(service_id)
        area_match = service_id in area_services
        within = distance is not None and distance <= query.radius_km
        # Services with no fixed place (or phone/online only) match where their service area covers the client.
        if not within and not (area_match and (remote_only or not placed)):
            return None
    stale = 0 if verified_at is not None and verified_at >= stale_after else 1
    return Candidate(service_id, name, verified_at, wait_weeks, distance, area_match, 0.0, stale)


def _load(session: DbSession, chosen: list[Candidate], config: Mapping[str, Any], now: datetime) -> list[Result]:
    services = {
        s.id: s
        for s in session.scalars(
            # What a result shows (name, organisation, needs, sessions, latest wait); places are not shown.
            select(Service).where(Service.id.in_([c.id for c in chosen])).options(
                joinedload(Service.organization), selectinload(Service.categories),
                selectinload(Service.waiting_times), selectinload(Service.schedules),
            )
        )
    }  # fmt: skip
    return [
        Result(
            services[c.id],
            c.distance_km,
            c.area_match,
            c.relevance,
            freshness(services[c.id].last_verified_at, config, now),
            services[c.id].latest_wait,
        )  # fmt: skip
        for c in chosen
    ]


def record_unmet_need(session: DbSession, outcome: Outcome, *, team: str = "", today: date | None = None) -> int:
    """A search that found nothing suitable: one anonymous event per category searched for."""
    if not outcome.found_nothing:
        return 0
    lsoa = outcome.origin.lsoa_code if outcome.origin else None
    codes = outcome.query.categories or (None,)
    for code in codes:
        session.add(DemandEvent(kind="unmet-need", category_code=code, lsoa_code=lsoa,
                                occurred_on=today or utcnow().date(), team=team))  # fmt: skip
    return len(codes)
