"""The signposting basket (kept in the session) and the printable sheet (HTML or PDF)."""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from ..accounts.roles import STAFF_ROLES, roles_required
from ..core.clock import utcnow
from ..core.db import db
from ..core.mail import external_url
from .query import SearchError
from .sheet_pdf import render_pdf
from .signposting import MAX_BASKET, MAX_NOTE, basket_services, place_client, qr_code, record_signposting

bp = Blueprint("basket", __name__, url_prefix="/basket")


def _ids() -> list[int]:
    return [int(i) for i in session.get("basket", []) if str(i).isdigit()]


def _save(ids: list[int]) -> None:
    session["basket"] = ids
    session.pop("basket_recorded", None)  # a changed basket is a new sheet


def _back(default: str) -> str:
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


def _wants_json() -> bool:
    # The search page's script sends the same form with fetch and changes the card in place.
    return request.accept_mimetypes.best == "application/json"


def _answer(service_id: int, message: str, *, on_sheet: bool, default: str) -> Any:
    """Tell the script what changed, or (without it) go back to the card the worker was on, saying so there."""
    if _wants_json():
        return jsonify({"service_id": service_id, "on_sheet": on_sheet, "message": message, "count": len(_ids())})
    anchor = request.form.get("anchor", "")
    if re.fullmatch(r"service-\d+", anchor) and request.form.get("next"):
        session["sheet_said"] = [service_id, message]  # shown on that card, not at the top of the page
        return redirect(f"{_back(default).split('#')[0]}#{anchor}")
    flash(message, "success")
    return redirect(_back(default))


@bp.post("/add")
@roles_required(*STAFF_ROLES)
def add() -> Any:
    """Add a service to the sheet being built."""
    raw = request.form.get("service_id", "")
    ids = _ids()
    found = basket_services(db.session, [int(raw)]) if raw.isdigit() else []
    if not found:
        abort(400, "That service cannot be added: it does not exist or is not running.")
    if int(raw) not in ids:
        if len(ids) >= MAX_BASKET:
            refused = f"{found[0].name} was not added: a sheet holds at most {MAX_BASKET} services."
            if _wants_json():
                return jsonify({"service_id": int(raw), "on_sheet": False, "message": refused, "count": len(ids)}), 409
            flash(refused, "error")
            return redirect(_back(url_for("basket.show")))
        _save([*ids, int(raw)])
    message = f"Added {found[0].name} to the signposting sheet ({len(_ids())} chosen)."
    return _answer(int(raw), message, on_sheet=True, default=url_for("basket.show"))


@bp.post("/remove")
@roles_required(*STAFF_ROLES)
def remove() -> Any:
    """Take a service off the sheet."""
    raw = request.form.get("service_id", "")
    _save([i for i in _ids() if str(i) != raw])
    found = basket_services(db.session, [int(raw)]) if raw.isdigit() else []
    name = found[0].name if found else "That service"
    message = f"Took {name} off the signposting sheet ({len(_ids())} chosen)."
    return _answer(int(raw) if raw.isdigit() else 0, message, on_sheet=False, default=url_for("basket.show"))


@bp.post("/clear")
@roles_required(*STAFF_ROLES)
def clear() -> Any:
    """Start a new sheet."""
    _save([])
    flash("The signposting sheet is empty.", "info")
    return redirect(url_for("basket.show"))


@bp.get("/")
@roles_required(*STAFF_ROLES)
def show() -> Any:
    """The chosen services, and the form that makes the sheet."""
    return render_template("search/basket.html", services=basket_services(db.session, _ids()), max_note=MAX_NOTE)


@bp.post("/sheet")
@roles_required(*STAFF_ROLES)
def sheet() -> Any:
    """Make the sheet (print view or PDF); records the anonymous demand once per sheet."""
    services = basket_services(db.session, _ids())
    if not services:
        flash("Choose at least one service for the sheet.", "error")
        return redirect(url_for("basket.show"))
    note = request.form.get("note", "")[:MAX_NOTE]
    typed = request.form.get("postcode", "")[:20]
    try:
        place = place_client(db.session, typed, services)
    except SearchError as exc:  # mistyped: the worker can fix it, and keeps what they typed
        flash(f"The sheet was not made: {exc}", "error")
        page = render_template("search/basket.html", services=services, max_note=MAX_NOTE, note=note, postcode=typed)
        return page, 422
    if not session.get("basket_recorded"):
        record_signposting(db.session, services, lsoa_code=place.lsoa_code, team=current_user.team)
        db.session.commit()
        session["basket_recorded"] = True
    # Links on paper use the directory's configured public address, never the address this request came in on.
    links = [external_url("public.service", service_id=s.id) for s in services]
    entries = [(s, qr_code(link), link) for s, link in zip(services, links, strict=True)]
    made = {"entries": entries, "note": note, "made_on": utcnow(), "place": place}
    html = render_template("search/sheet.html", **made, for_pdf=False)
    if request.form.get("format") == "pdf":
        pdf_html = render_template("search/sheet.html", **made, for_pdf=True, static_prefix="static/")
        pdf = render_pdf(pdf_html, current_app.static_folder or "")
        return Response(pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": "attachment; filename=signposting-sheet.pdf"})  # fmt: skip
    return html
