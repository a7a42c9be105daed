"""Every URL (with its methods) and every command (with its options) the product offers, compared with the
list in tests/data/public_surface.txt. A moved module must not move a URL or a command; a deliberate change
updates that file in the same commit, so the change is visible in review."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
from flask import Flask

from directory.cli import cli

SURFACE = Path(__file__).parent / "data" / "public_surface.txt"


def routes(app: Flask) -> list[str]:
    return sorted(
        f"{rule.rule} {','.join(sorted((rule.methods or set()) - {'HEAD', 'OPTIONS'}))}"
        for rule in app.url_map.iter_rules()
    )


def commands(group: click.Group, prefix: str = "") -> Iterator[str]:
    context = click.Context(group)
    for name in sorted(group.list_commands(context)):
        command = group.get_command(context, name)
        assert command is not None
        path = f"{prefix} {name}".strip()
        options = sorted(o for p in command.params for o in (p.opts if isinstance(p, click.Option) else [p.name or ""]))
        yield f"{path} [{' '.join(options)}]"
        if isinstance(command, click.Group):
            yield from commands(command, path)


def test_every_url_and_command_is_the_one_listed(app: Flask) -> None:
    listed_routes, _, listed_commands = SURFACE.read_text(encoding="utf-8").partition("\n\n")
    with app.app_context():
        assert routes(app) == listed_routes.splitlines()
        assert list(commands(cli)) == listed_commands.splitlines()
