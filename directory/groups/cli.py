"""The ``groups`` command: edit links for group contacts, sent and withdrawn from the command line."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from ..core import outbox
from ..core.db import db
from ..core.mail import external_url
from ..core.validation import ValidationFailed
from .links import invite, live_links, revoke


def register(cli: click.Group) -> None:
    """Add this feature's commands to the asset-directory group."""

    @cli.group("groups")
    def groups_group() -> None:
        """Group self-service: edit links for group contacts."""

    @groups_group.command("invite")
    @click.option("--organisation", "organization_id", type=int, required=True, help="Organisation id.")
    @click.option("--email", required=True, help="The group contact's email address.")
    @with_appcontext
    def groups_invite(organization_id: int, email: str) -> None:
        """Email a group contact a link to edit their organisation's listings."""
        try:
            token, row = invite(
                db.session, organization_id, email, created_by="command line",
                days=int(current_app.config["GROUP_LINK_DAYS"]),
            )  # fmt: skip
        except ValidationFailed as exc:
            click.secho(str(exc), fg="red", err=True)
            sys.exit(1)
        email = outbox.queue(
            db.session, f"invite:{row.id}", row.email, f"Keep {row.organization.name}'s listing up to date",
            "invitation", organization=row.organization, link=external_url("groups.enter", token=token),
            expires=row.expires_at,
        )  # fmt: skip
        db.session.commit()
        if outbox.deliver(db.session, email.id) == "failed":
            click.secho(
                f"The link was made (id {row.id}) but the email could not be sent yet: {email.error} "
                "It is kept in the outbox, and the outbox job will try again.", fg="red", err=True,
            )  # fmt: skip
            sys.exit(1)
        click.echo(f"Sent an edit link for {row.organization.name} to {row.email} (link {row.id}).")

    @groups_group.command("revoke")
    @click.option("--organisation", "organization_id", type=int, required=True, help="Organisation id.")
    @with_appcontext
    def groups_revoke(organization_id: int) -> None:
        """Withdraw every live edit link of an organisation (and the sign-ins made with them)."""
        links = live_links(db.session, organization_id)
        for link in links:
            revoke(db.session, link.id, by="command line")
        db.session.commit()
        click.echo(f"Withdrew {len(links)} edit link(s) of organisation {organization_id}.")
