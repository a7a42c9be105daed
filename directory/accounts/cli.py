"""The ``users`` command: staff accounts from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..core.console import fail
from ..core.db import db
from ..core.validation import ValidationFailed
from .users import create_user


def register(cli: click.Group) -> None:
    """Add the ``users`` commands to the asset-directory group."""

    @cli.group("users")
    def users_group() -> None:
        """Staff accounts."""

    @users_group.command("create")
    @click.option("--email", required=True, help="Sign-in email address.")
    @click.option(
        "--role", required=True, type=click.Choice(["admin", "link-worker", "community-development", "group-editor"])
    )
    @click.option("--organisation", "organisation", type=int, default=None, help="Organisation id (group editors).")
    @click.option("--team", default="", help="Team name, kept with anonymous demand counts (e.g. a PCN).")
    @click.option(
        "--area", "area", multiple=True, help="Local authority code the gap map opens on (repeatable, e.g. E06000009)."
    )
    @click.option("--password", default=None, help="Prompted for (twice) when not given.")
    @with_appcontext
    def users_create(
        email: str, role: str, organisation: int | None, team: str, area: tuple[str, ...], password: str | None
    ) -> None:
        """Add a staff account with a role."""
        if password is None:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            user = create_user(
                db.session, email_address=email, role=role, password=password, organization_id=organisation,
                team=team, area=area,
            )  # fmt: skip
        except ValidationFailed as exc:
            db.session.rollback()
            fail("Not created: " + "; ".join(f"{k}: {m}" for k, m in exc.errors.items()))
        db.session.commit()
        click.echo(f"Created {user.role} account for {user.email}" + (f" (area {user.area})." if user.area else "."))
