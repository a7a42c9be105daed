"""What every command shares: refusing with a clear message, and progress notes on standard error."""

from __future__ import annotations

import sys
from typing import NoReturn

import click


def fail(message: str) -> NoReturn:
    """Print ``message`` in red on standard error and exit with status 1."""
    click.secho(message, fg="red", err=True)
    sys.exit(1)


def progress(message: str) -> None:
    click.echo(message, err=True)
