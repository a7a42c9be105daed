"""The asset-directory command, run as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from directory import create_app
from directory.cli import cli
from directory.core.db import db
from tests.conftest import PASSWORD


@pytest.fixture
def runner(tmp_path: Path) -> Any:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'cli.sqlite'}", "INSTANCE_PATH": str(tmp_path)}
    )
    runner = app.test_cli_runner()
    assert runner.invoke(cli, args=["init"]).exit_code == 0
    yield runner
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "not-an-email", "--role", "admin", "--password", "x" * 12], "not an email address"),
        (["--email", "a@example.org", "--role", "admin", "--password", "short"], "at least 12 characters"),
        (["--email", "g@example.org", "--role", "group-editor", "--password", "x" * 12], "needs an organisation"),
        (["--email", "g@example.org", "--role", "group-editor", "--organisation", "999", "--password", "x" * 12],
         "no organisation 999"),
    ],
)  # fmt: skip
def test_users_create_refuses_bad_input_with_a_named_reason(runner: Any, args: list[str], message: str) -> None:
    result = runner.invoke(cli, args=["users", "create", *args])
    assert result.exit_code == 1
    assert message in result.output


def test_users_create_refuses_an_unknown_role(runner: Any) -> None:
    result = runner.invoke(
        cli, args=["users", "create", "--email", "a@example.org", "--role", "boss", "--password", "x" * 12]
    )
    assert result.exit_code == 2 and "boss" in result.output


def test_users_create_then_duplicate_is_refused(runner: Any) -> None:
    args = ["users", "create", "--email", "lw@example.org", "--role", "link-worker", "--password", PASSWORD]
    assert runner.invoke(cli, args=args).exit_code == 0
    again = runner.invoke(cli, args=args)
    assert again.exit_code == 1 and "already an account" in again.output


def test_console_script_is_a_flask_group_with_routes(tmp_path: Path) -> None:
    env = {**os.environ, "DIRECTORY_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "directory.cli", "routes"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "/healthz" in result.stdout and "/login" in result.stdout
    key_file = tmp_path / "secret_key"
    assert key_file.exists() and len(key_file.read_text()) >= 40
    assert oct(key_file.stat().st_mode)[-3:] == "600"
