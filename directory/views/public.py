"""Public pages: browse listings and read one, without staff-only fields."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request

from .. import listings
from ..db import db
from ..models import Organization, Service

bp = Blueprint("public", __name__)


def _page_number() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() else 1


@bp.get("/")
def index() -> Any:
    """Browse live listings by words and category."""
    text = request.args.get("q", "")[:200]
    category = request.args.get("category", "")
    page = listings.browse(db.session, text=text, category=category, page=_page_number())
    return render_template(
        "public/index.html",
        page=page,
        q=text,
        category=category,
        categories=listings.categories(db.session),
    )


@bp.get("/services/<int:service_id>")
def service(service_id: int) -> Any:
    """One listing, as the public sees it."""
    found = db.session.get(Service, service_id)
    if found is None or found.status == "archived" or found.organization.archived:
        abort(404, "There is no such listing, or it has been archived.")
    return render_template("public/service.html", service=found)


@bp.get("/organisations/<int:organization_id>")
def organization(organization_id: int) -> Any:
    """An organisation and its live listings."""
    found = db.session.get(Organization, organization_id)
    if found is None or found.archived:
        abort(404, "There is no such organisation, or it has been archived.")
    page = listings.browse(db.session, organization_id=organization_id)
    return render_template("public/organization.html", organization=found, page=page)
