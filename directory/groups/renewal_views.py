"""A group whose link was used or has expired asks for a new one, from the page that refused the old link."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request

from ..core import mail, outbox
from ..core.db import db
from . import links as groups
from .renewals import RenewalRefused, masked, renew

bp = Blueprint("renewals", __name__)


@bp.post("/group/new-link")
def new_link() -> Any:
    """Email a new edit link to the listed contact of the old link's group (never to an address typed here)."""
    try:
        token, row = renew(
            db.session, request.form.get("link", ""), days=int(current_app.config["GROUP_LINK_DAYS"]),
            gap_minutes=int(current_app.config["GROUP_RENEWAL_MINUTES"]),
        )  # fmt: skip
    except (groups.TokenRefused, RenewalRefused) as exc:
        db.session.rollback()
        status = exc.status if isinstance(exc, groups.TokenRefused) else 409
        return render_template("groups/new_link.html", refused=str(exc)), status
    # Kept with the link in one transaction: a retried request finds the link just made and is refused, so the
    # group gets one email, and the outbox job sends it later if the mail server does not answer now.
    email = outbox.queue(
        db.session, f"new-link:{row.id}", row.email, f"Your new link for {row.organization.name}'s listing",
        "invitation", organization=row.organization, link=mail.external_url("groups.enter", token=token),
        expires=row.expires_at,
    )  # fmt: skip
    db.session.commit()
    delayed = outbox.deliver(db.session, email.id) == "failed"
    return render_template("groups/new_link.html", sent_to=masked(row.email), link=row, delayed=delayed)
