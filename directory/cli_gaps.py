"""Commands for: Deprivation, boundaries and gap scores (issue 4)."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Add this feature's commands to the asset-directory group."""
