"""Public pages: search, and read one listing, without staff-only fields."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, render_template, request, send_file, session
from flask_login import current_user
from sqlalchemy import select

from ..accounts.roles import STAFF_ROLES
from ..core.clock import utcnow
from ..core.db import db
from ..listings import queries as listings
from ..listings import referral_forms
from ..models import Organization, Service
from .engine import Outcome, record_unmet_need
from .fallback import never_blank
from .query import RADII_KM, SORTS, TIMES_OF_DAY, SearchError, parse_query
from .results import result_json, results_map, results_said, understood_json

bp = Blueprint("public", __name__)


def _is_staff() -> bool:
    return bool(current_user.is_authenticated and current_user.role in STAFF_ROLES)


def _run() -> tuple[Outcome | None, SearchError | None]:
    try:
        query = parse_query(request.args)
        if not _is_staff():
            # What widens a search beyond live, current listings is for staff only: anyone else's is set back.
            query = replace(query, include_archived=False, include_unverified=False)
        outcome = never_blank(db.session, query, current_app.config)
    except SearchError as exc:
        db.session.rollback()
        return None, exc
    # Only searches by signed-in staff count as evidence of unmet need.
    if _is_staff() and outcome.found_nothing and (query.categories or query.text or query.postcode):
        record_unmet_need(db.session, outcome, team=current_user.team)
        db.session.commit()
    return outcome, None


@bp.get("/")
def index() -> Any:
    """Search by need, words, postcode and distance, with filters; works without JavaScript."""
    searched = any(request.args.get(k) for k in ("q", "category", "postcode")) or "sort" in request.args
    outcome, error = _run() if searched else (None, None)
    categories = listings.categories(db.session)
    need_names = {c.code: c.name for c in categories}
    staff = _is_staff()
    return render_template(
        "search/index.html",
        args=request.args,
        outcome=outcome,
        error=error,
        searched=searched,
        categories=categories,
        need_names=need_names,
        said=results_said(outcome, need_names) if outcome is not None else "",
        # The sheet being built: its cards say "On the sheet", and the one just added says so (no-JS path).
        on_sheet=set(session.get("basket", [])) if staff else set(),
        sheet_said=session.pop("sheet_said", None) if staff else None,
        sorts=SORTS,
        radii=RADII_KM,
        times=TIMES_OF_DAY,
        now=utcnow(),
        staff=staff,
        results_map=results_map(outcome) if outcome is not None else None,
        tiles=current_app.config["GAP_MAP_TILES"],
        attribution=current_app.config["GAP_MAP_ATTRIBUTION"],
    ), (422 if error else 200)


@bp.get("/api/search")
def api_search() -> Any:
    """The same search as JSON: {"results": [...]}; public fields only for anonymous callers."""
    outcome, error = _run()
    if error is not None:
        return jsonify({"error": str(error), "field": error.field}), 400
    assert outcome is not None
    staff = _is_staff()
    now = utcnow()
    return jsonify(
        {
            "results": [result_json(r, staff=staff, now=now) for r in outcome.results],
            "matched": outcome.matched,
            "matched_exact": outcome.matched_exact,  # false: more than "matched" (counting stopped there)
            "matched_words": outcome.count_words,
            **understood_json(outcome, staff=staff, now=now),
            "origin": None
            if outcome.origin is None
            else {"postcode": outcome.origin.postcode, "outward_only": outcome.origin.outward_only},
        }
    )


@bp.get("/services/<int:service_id>")
def service(service_id: int) -> Any:
    """One listing, as the public sees it."""
    found = db.session.get(Service, service_id)
    if found is None or found.status == "archived" or found.organization.archived:
        abort(404, "There is no such listing, or it has been archived.")
    return render_template("search/service.html", service=found)


@bp.get("/referral-forms/<name>")
def referral_form(name: str) -> Any:
    """A service's referral form file; earlier versions' files are for staff only."""
    path = referral_forms.path_for(current_app.instance_path, name)
    if path is None:
        abort(404, "There is no such referral form.")
    in_use = db.session.scalar(
        select(Service.id).join(Service.organization).where(
            Service.referral_form_file == name, Service.status != "archived", Organization.archived.is_(False)
        )
    )  # fmt: skip
    if in_use is None and not _is_staff():
        abort(404, "There is no such referral form.")
    return send_file(path, as_attachment=True, download_name=f"referral-form{path.suffix}")


@bp.get("/organisations/<int:organization_id>")
def organization(organization_id: int) -> Any:
    """An organisation and its live listings."""
    found = db.session.get(Organization, organization_id)
    if found is None or found.archived:
        abort(404, "There is no such organisation, or it has been archived.")
    page = listings.browse(db.session, organization_id=organization_id)
    return render_template("search/organization.html", organization=found, page=page)
