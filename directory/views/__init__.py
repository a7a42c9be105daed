"""Blueprints: thin views that parse a request, call a domain function and render."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from .. import process_cache, vocab
from ..db import db
from ..freshness import age_in_words, freshness
from ..models import AppMeta
from ..timetable import next_sessions


def init_app(app: Flask) -> None:
    from . import admin, auth, backlog, basket, gaps, groups, health, imports, organisations, oruk, public, services

    for module in (auth, health, public, services, organisations, admin, basket, backlog, gaps, groups, imports, oruk):
        app.register_blueprint(module.bp)
    from . import claims  # groups claim listings staff created (issue 6)

    app.register_blueprint(claims.bp)

    # Globals rather than context, so imported macros see them too.
    app.jinja_env.globals.update(
        vocab=vocab, freshness=_freshness, age_in_words=age_in_words, next_sessions=next_sessions
    )
    app.jinja_env.filters["extract"] = lambda key, mapping: mapping.get(key, key)

    @app.context_processor
    def _demo() -> dict[str, Any]:
        return {"demo_label": _demo_label()}


def _freshness(verified_at: Any) -> Any:
    return freshness(verified_at, current_app.config)


def _demo_label() -> str | None:
    try:
        is_demo = process_cache.cached(db.session, "demo", _is_demo)
    except SQLAlchemyError:
        db.session.rollback()
        return None
    return current_app.config["DEMO_LABEL"] if is_demo else None


def _is_demo(session: Any) -> bool:
    flag = session.get(AppMeta, "demo")
    return flag is not None and flag.value == "yes"
