"""Rank 10: the web layer: every blueprint registered in one place, the helpers templates share, error pages,
security headers and rate limits, and the health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from geo.authorities import authority_name

from ..accounts import views as accounts_views
from ..backlog import views as backlog_views
from ..core import process_cache, vocab
from ..core.clock import utcnow
from ..core.db import db
from ..core.labels import field_label
from ..core.meta import read_meta
from ..core.validation import a_date
from ..gaps import views as gaps_views
from ..gaps.editions import shown_release
from ..groups import changes, claim_views, links, renewal_views, service_views
from ..groups import views as groups_views
from ..imports import views as imports_views
from ..jobs import views as jobs_views
from ..listings import category_views
from ..listings import views as listings_views
from ..listings.checks import WAIT_CHOICES
from ..listings.freshness import age_in_words, freshness, wait_is_current
from ..listings.funding import Funding, funding
from ..listings.timetable import describe, next_sessions
from ..models import Service
from ..oruk import views as oruk_views
from ..search import basket_views, public_views, synonym_views
from ..verification import follow_ups, reminders
from ..verification import views as verification_views
from ..verification.contacts import contact_email
from . import health

BLUEPRINTS: tuple[Blueprint, ...] = (
    accounts_views.bp,
    health.bp,
    public_views.bp,
    listings_views.services,
    listings_views.organisations,
    category_views.bp,
    synonym_views.bp,
    basket_views.bp,
    backlog_views.bp,
    gaps_views.bp,
    groups_views.bp,
    verification_views.bp,
    jobs_views.bp,
    imports_views.bp,
    oruk_views.bp,
    claim_views.bp,
    renewal_views.bp,
    service_views.bp,
)


def init_app(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)

    # Globals rather than context, so imported macros see them too.
    app.jinja_env.globals.update(
        vocab=vocab,
        freshness=_freshness,
        funding_of=_funding_of,
        age_in_words=age_in_words,
        next_sessions=next_sessions,
        describe_session=describe,
        # A listing page's next dates, from the clock the rest of the app reads (frozen in tests).
        upcoming_sessions=lambda schedules, count=3: next_sessions(schedules, utcnow(), count),
        group_panel=_group_panel,
        open_follow_up_count=_open_follow_up_count,
        wait_is_current=lambda reported_at: wait_is_current(reported_at, current_app.config),
        wait_choices=WAIT_CHOICES,
        deprivation_release=lambda: shown_release(db.session),
        field_label=field_label,
        held_in_words=changes.held_in_words,
    )
    app.jinja_env.filters["extract"] = lambda key, mapping: mapping.get(key, key)
    app.jinja_env.filters["field_label"] = field_label
    app.jinja_env.filters["authority_name"] = authority_name
    app.jinja_env.filters["written_date"] = written_date

    @app.context_processor
    def _demo() -> dict[str, Any]:
        return {"demo_label": _demo_label()}


def written_date(value: Any) -> str:
    """A stored date ("2026-12-25") as a page writes it ("25 December 2026"); anything else as it is."""
    try:
        return a_date(value).strftime("%-d %B %Y") if value else ""  # type: ignore[union-attr]
    except ValueError:
        return str(value)


def _freshness(verified_at: Any) -> Any:
    return freshness(verified_at, current_app.config)


def _funding_of(service: Service) -> Funding:
    return funding(service.funding_status, service.funded_until, utcnow().date())


def _group_panel(service: Service) -> dict[str, Any]:
    """What the staff service page shows about group links, held changes and follow-ups for this listing."""
    return {
        "links": links.live_links(db.session, service.organization_id),
        "pending": changes.pending_changes(db.session, service_id=service.id),
        "contact": contact_email(service) or "",
        "reminders": reminders.reminder_history(db.session, service.id)[:5],
    }


def _open_follow_up_count() -> int:
    """Listings waiting for staff to follow up, for the staff queues' links."""
    return sum(follow_ups.follow_up_counts(db.session).values())


def _demo_label() -> str | None:
    try:
        is_demo = process_cache.cached(db.session, "demo", _is_demo)
    except SQLAlchemyError:
        db.session.rollback()
        return None
    return current_app.config["DEMO_LABEL"] if is_demo else None


def _is_demo(session: Any) -> bool:
    return read_meta(session, "demo") == "yes"
