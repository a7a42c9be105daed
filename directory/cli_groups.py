"""Commands for: Group self-service, freshness reminders and scheduled jobs (issue 6)."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Add this feature's commands to the asset-directory group."""
