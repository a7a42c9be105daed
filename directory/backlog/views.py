"""Pages for: Gap flags and the community-development backlog (issue 5)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..accounts.roles import roles_required
from ..core.clock import utcnow
from ..core.db import db
from ..core.personal_data import KINDS, MAX_TEXT, find_personal_data
from ..core.writes import NotPermitted
from ..listings import queries as listings
from ..models import Service, TaxonomyTerm, User
from ..models.backlog import POPULATION_GROUPS, STATUSES, URGENCIES, BacklogItem
from . import exports, flags, queries, workflow
from .history import history

bp = Blueprint("backlog", __name__)


def _form_context(values: dict[str, Any], errors: dict[str, str], findings: list[Any]) -> dict[str, Any]:
    service_id = values.get("service_id")
    service = db.session.get(Service, int(str(service_id))) if str(service_id or "").isdigit() else None
    return {
        "values": values,
        "errors": errors,
        "findings": findings,
        "service": service,
        "categories": listings.categories(db.session),
        "groups": POPULATION_GROUPS,
        "urgencies": URGENCIES,
    }


@bp.post("/api/pii-check")
def pii_check() -> Any:
    """The personal-data guard as JSON, for the flag form's warning as the worker types."""
    if not current_user.is_authenticated:
        abort(401, "Sign in to use the personal-data check.")
    if current_user.role not in flags.CAN_FLAG:
        abort(403, "The personal-data check is for staff.")
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
        abort(400, 'Send JSON like {"text": "..."}.')
    if len(payload["text"]) > MAX_TEXT:
        abort(413, f"Check at most {MAX_TEXT} characters at a time.")
    findings = find_personal_data(payload["text"])
    return jsonify({"findings": [f.as_json() for f in findings], "kinds": KINDS})


@bp.route("/flags/new", methods=["GET", "POST"])
@roles_required(*flags.CAN_FLAG)
def flag() -> Any:
    """Flag a gap; pre-filled from a search (category, postcode), a listing or a map point."""
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            saved = flags.record_flag(
                db.session, values, current_user, point_max_km=current_app.config["BACKLOG_POINT_MAX_KM"]
            )
        except flags.FlagRefused as exc:
            db.session.rollback()
            flash("The flag was not saved: please look at the fields marked below.", "error")
            return render_template("backlog/flag.html", **_form_context(values, exc.errors, exc.findings)), 422
        db.session.commit()
        joined = (
            f"It joined backlog item {saved.item.id}" if saved.joined else f"It opened backlog item {saved.item.id}"
        )
        where = f" It is recorded for the whole {saved.flag.district} district." if saved.flag.district else ""
        flash(f"Thank you: the gap is flagged. {joined}.{where} The postcode was not stored.", "success")
        return redirect(url_for("backlog.item", item_id=saved.item.id))
    args = request.args
    values = {
        "category": args.get("category", ""),
        "postcode": args.get("postcode", "")[:16],
        "latitude": args.get("latitude", ""),
        "longitude": args.get("longitude", ""),
        "service_id": args.get("service_id", ""),
        "raised_from": args.get("from", "form"),
        "urgency": "medium",
        "population_group": "everyone",
    }
    return render_template("backlog/flag.html", **_form_context(values, {}, []))


def _managers() -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.role.in_(workflow.CAN_MANAGE), User.active.is_(True)).order_by(User.email)
        )
    )


def _list_context(filters: queries.Filters) -> dict[str, Any]:
    return {
        "filters": filters,
        "categories": listings.categories(db.session),
        "statuses": STATUSES,
        "sorts": queries.SORTS,
        "managers": _managers(),
        "can_manage": current_user.role in workflow.CAN_MANAGE,
    }


@bp.get("/backlog/")
@roles_required(*flags.CAN_FLAG)
def board() -> Any:
    """The backlog as a board: a column per status."""
    filters = queries.Filters.from_args(request.args, default_status="all")
    views = queries.list_items(db.session, filters)
    columns = [(key, label, [v for v in views if v.item.status == key]) for key, label in STATUSES.items()]
    shown = [c for c in columns if c[0] != "merged" or c[2]]
    return render_template("backlog/board.html", columns=shown, total=len(views), **_list_context(filters))


@bp.get("/backlog/list")
@roles_required(*flags.CAN_FLAG)
def items() -> Any:
    """The backlog as a sortable table; ``?format=csv`` downloads the same rows."""
    filters = queries.Filters.from_args(request.args, default_status="all")
    views = queries.list_items(db.session, filters)
    if request.args.get("format") == "csv":
        return Response(
            exports.export_csv(views),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=backlog.csv"},
        )
    return render_template("backlog/list.html", views=views, **_list_context(filters))


def _item_or_404(item_id: int) -> BacklogItem:
    found = db.session.get(BacklogItem, item_id)
    if found is None:
        abort(404, f"There is no backlog item {item_id}.")
    return found


def _render_item(found: BacklogItem, status: int = 200, **overrides: Any) -> Any:
    context: dict[str, Any] = {
        "v": queries.view(db.session, found),
        "events": history(db.session, found.id),
        "transitions": workflow.TRANSITIONS[found.status],
        "statuses": STATUSES,
        "managers": _managers(),
        "groups": POPULATION_GROUPS,
        "urgencies": URGENCIES,
        "can_manage": current_user.role in workflow.CAN_MANAGE,
        "services": _category_services(found.category_code),
        "comment": "",
        "findings": [],
        "reason": "",
        "reason_findings": [],
        "errors": {},
    }
    context.update(overrides)
    return render_template("backlog/item.html", **context), status


@bp.get("/backlog/<int:item_id>")
@roles_required(*flags.CAN_FLAG)
def item(item_id: int) -> Any:
    """One item: its evidence, its flags, its workflow and its full history."""
    return _render_item(_item_or_404(item_id))


def _category_services(category_code: str) -> list[Service]:
    return list(
        db.session.scalars(
            select(Service)
            .where(Service.status.in_(("active", "paused")), Service.categories.any(TaxonomyTerm.code == category_code))
            .order_by(Service.name)
            .limit(500)
        )
    )


@bp.get("/backlog/<int:item_id>/summary")
@roles_required(*flags.CAN_FLAG)
def summary(item_id: int) -> Any:
    """A printable one-page summary of an item, for a funding bid."""
    found = _item_or_404(item_id)
    view = queries.view(db.session, found)
    nearby = queries.nearest_provision(db.session, found, view.lsoas)
    return render_template(
        "backlog/summary.html", v=view, nearby=nearby, groups=POPULATION_GROUPS, today=utcnow().date()
    )


def _version() -> int | None:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() else None


def _act(item_id: int, action: Any, success: str) -> Any:
    _item_or_404(item_id)
    try:
        action()
    except NotPermitted as exc:
        db.session.rollback()
        abort(403, str(exc))
    except (workflow.BacklogRefused, workflow.StaleItem) as exc:
        db.session.rollback()
        flash(f"Not changed: {exc}", "error")
        return _render_item(_item_or_404(item_id), 409)
    except flags.FlagRefused as exc:  # a reason for declining that identifies someone
        db.session.rollback()
        flash("Not changed: the reason for declining may hold personal data; see below.", "error")
        return _render_item(_item_or_404(item_id), 422, reason=request.form.get("reason", ""),
                            reason_findings=exc.findings, errors=exc.errors)  # fmt: skip
    db.session.commit()
    flash(success, "success")
    return redirect(url_for("backlog.item", item_id=item_id))


def _id(name: str) -> int | None:
    raw = request.form.get(name, "")
    return int(raw) if raw.isdigit() else None


@bp.post("/backlog/<int:item_id>/status")
@roles_required(*workflow.CAN_MANAGE)
def move(item_id: int) -> Any:
    """Move an item to another status (assignee, service or reason as the status needs)."""
    to_status = request.form.get("to_status", "")
    return _act(
        item_id,
        lambda: workflow.transition(
            db.session,
            item_id,
            to_status,
            current_user,
            assignee_id=_id("assignee_id"),
            service_id=_id("service_id"),
            reason=request.form.get("reason", ""),
            expected_version=_version(),
            confirm_pii=request.form.get("confirm_pii") == "yes",
        ),  # fmt: skip
        f"Item {item_id} is now {STATUSES.get(to_status, to_status).lower()}.",
    )


@bp.post("/backlog/<int:item_id>/assign")
@roles_required(*workflow.CAN_MANAGE)
def assign(item_id: int) -> Any:
    """Give an item to a community development worker."""
    assignee = _id("assignee_id")
    if assignee is None:
        flash("Not changed: choose who to assign it to.", "error")
        return _render_item(_item_or_404(item_id), 422)
    return _act(
        item_id,
        lambda: workflow.assign(db.session, item_id, current_user, assignee, expected_version=_version()),
        f"Item {item_id} assigned.",
    )


@bp.post("/backlog/<int:item_id>/comment")
@roles_required(*flags.CAN_FLAG)
def comment(item_id: int) -> Any:
    """Add a comment; it is checked for personal data first."""
    found = _item_or_404(item_id)
    body = request.form.get("comment", "")
    confirmed = request.form.get("confirm_pii") == "yes"
    try:
        workflow.add_comment(db.session, item_id, current_user, body, confirm_pii=confirmed)
    except flags.FlagRefused as exc:
        db.session.rollback()
        flash("The comment was not saved: see below.", "error")
        return _render_item(found, 422, comment=body, findings=exc.findings, errors=exc.errors)
    db.session.commit()
    flash("Comment added.", "success")
    return redirect(url_for("backlog.item", item_id=item_id) + "#history")


@bp.post("/backlog/<int:item_id>/merge")
@roles_required(*workflow.CAN_MANAGE)
def merge(item_id: int) -> Any:
    """Merge other items (by number) into this one."""
    raw = request.form.get("items", "").replace(",", " ").split()
    ids = [int(x.lstrip("#")) for x in raw if x.lstrip("#").isdigit()]
    if not ids or len(ids) != len(raw):
        flash("Not changed: give the numbers of the items to merge in, such as 12, 15.", "error")
        return _render_item(_item_or_404(item_id), 422)
    return _act(
        item_id,
        lambda: workflow.merge(db.session, item_id, ids, current_user),
        f"Merged item{'s' if len(ids) > 1 else ''} {', '.join(map(str, ids))} into item {item_id}.",
    )


@bp.post("/backlog/<int:item_id>/split")
@roles_required(*workflow.CAN_MANAGE)
def split(item_id: int) -> Any:
    """Move the chosen flags into a new item."""
    flag_ids = [int(x) for x in request.form.getlist("flag_id") if x.isdigit()]
    _item_or_404(item_id)
    try:
        new = workflow.split(db.session, item_id, flag_ids, current_user)
    except NotPermitted as exc:
        db.session.rollback()
        abort(403, str(exc))
    except workflow.BacklogRefused as exc:
        db.session.rollback()
        flash(f"Not changed: {exc}", "error")
        return _render_item(_item_or_404(item_id), 409)
    db.session.commit()
    flash(f"Split: the chosen flags are now item {new.id}.", "success")
    return redirect(url_for("backlog.item", item_id=new.id))
