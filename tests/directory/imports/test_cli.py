"""directory.imports.cli: the `import` commands."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask

from directory.cli import cli
from tests.directory.imports.test_running import SPREADSHEET, unique


def test_the_command_imports_a_spreadsheet_and_prints_counts(app: Flask, tmp_path: Path) -> None:
    tag = unique("Iota")
    file = tmp_path / "groups.csv"
    file.write_text(SPREADSHEET.format(tag=tag), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["import", "spreadsheet", str(file), "--name", tag])
    assert result.exit_code == 0, result.output
    assert (
        "5 items: 3 new, 0 updated, 0 unchanged, 0 held as possible duplicates, 2 rejected; 0 removed" in result.output
    )
    assert "rejected row 4: the service name is empty" in result.output
    shown = runner.invoke(cli, ["import", "spreadsheet", str(file), "--show-mapping"])
    assert json.loads(shown.output)["Group name"] == "name"
    listed = runner.invoke(cli, ["import", "sources"])
    assert tag in listed.output and "idle" in listed.output


def test_the_command_fails_clearly_for_a_dead_feed(app: Flask) -> None:
    result = app.test_cli_runner().invoke(cli, ["import", "oruk", "ftp://example.org/"])
    assert result.exit_code == 1 and "only http and https" in result.output
