"""A signed-in group asks to add another service to its own organisation; staff check it like a public request.

The organisation comes from the sign-in, never from the form: the group does not retype it, and cannot name
another. What it sends waits in the staff queue of requests to be listed (``requests.py``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for

from ..core import writes
from ..core.db import db
from ..core.validation import ValidationFailed
from ..listings import queries as listings
from . import links as groups
from . import requests as listing_requests

bp = Blueprint("group_services", __name__)


def _require_access() -> groups.GroupAccess:
    """The group sign-in, as on the other group pages: an expired or withdrawn link cannot add anything."""
    access = groups.check_access(db.session, session.get(groups.SESSION_KEY), current_app.config)
    if access is None:
        session.pop(groups.SESSION_KEY, None)
        abort(403, "Your edit link has expired or was withdrawn. Use the link in your latest email, or ask us.")
    return access


@bp.route("/group/organisations/<int:organization_id>/services/new", methods=["GET", "POST"])
def add_service(organization_id: int) -> Any:
    """The form for another service: what it is, when and where; the organisation is shown, not typed."""
    access = _require_access()
    try:
        organization = groups.own_organization(db.session, access, organization_id)
    except writes.NotFound:
        abort(404, "There is no such organisation among your listings.")
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in listing_requests.GROUP_FIELDS}
        values["categories"] = request.form.getlist("categories")
        try:
            sent = listing_requests.submit_for_group(db.session, access, organization_id, values)
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash(f"Sent {sent.service_name} for checking. It will appear here once staff have listed it.", "success")
            return redirect(url_for("groups.home", _anchor="sent-for-checking"), 303)
    categories = [(t.code, t.name) for t in listings.categories(db.session)]
    page = render_template(
        "groups/add_service.html", organization=organization, access=access, values=values, errors=errors,
        category_choices=categories,
    )  # fmt: skip
    return page, 422 if errors else 200
