"""The docs stay honest: every command and setting is documented, CI runs the README's command."""

from __future__ import annotations

import re
from pathlib import Path

import click

from directory.cli import cli
from directory.core.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    names = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if name in {"run", "shell", "routes", "db", "limiter"}:  # Flask's, Flask-Migrate's and Flask-Limiter's own
            continue
        if isinstance(command, click.Group):
            names += _commands(command, f"{prefix}{name} ")
        else:
            names.append(prefix + name)
    return names


def test_every_command_is_in_the_readme() -> None:
    commands = _commands(cli)
    assert {"init", "demo", "users create", "data fetch", "data status"} <= set(commands)
    missing = [c for c in commands if f"asset-directory {c}" not in README]
    assert missing == []


def test_every_setting_is_in_the_readme_and_env_example() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in SETTINGS:
        assert f"`DIRECTORY_{name}`" in README, name
        assert f"DIRECTORY_{name}=" in example, name


def test_ci_runs_the_readme_test_command() -> None:
    blocks = re.findall(r"```sh\n(.*?)\n\s*```", README, flags=re.S)
    assert len(blocks) >= 2, "the quick start has two commands"
    test_command = blocks[1].strip()
    assert "pytest" in test_command
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()


def test_every_file_the_docs_name_exists() -> None:
    """A module that moves takes its mentions in the README and docs with it."""
    texts = [README] + [path.read_text(encoding="utf-8") for path in (ROOT / "docs").glob("*.md")]
    texts.append((ROOT / "bench" / "README.md").read_text(encoding="utf-8"))
    named = {
        match
        for text in texts
        for match in re.findall(
            r"\b(?:directory|tests|geo|scrapers|bench|templates)/[\w/.-]+\.(?:py|html|txt|json)\b", text
        )
        if "NAME" not in match  # a pattern, e.g. templates/email/NAME.txt
    }
    assert sorted(path for path in named if not (ROOT / path).exists()) == []


def test_every_command_the_operations_guide_gives_exists() -> None:
    """An operator copies these lines: each `asset-directory ...` in docs/operations.md names a real command."""
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    given = re.findall(r"asset-directory ([a-z][a-z-]*(?: [a-z][a-z-]*)?)", guide)
    assert given, "the guide gives commands"

    def exists(words: list[str]) -> bool:
        command: click.Command | None = cli
        for word in words:
            if not isinstance(command, click.Group):
                return True  # the rest are the command's arguments
            command = command.get_command(click.Context(command), word)
            if command is None:
                return False
        return True

    assert [g for g in given if not exists(g.split(" "))] == []
