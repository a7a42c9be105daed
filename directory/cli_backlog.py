"""Commands for: Gap flags and the community-development backlog (issue 5)."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Add this feature's commands to the asset-directory group."""
