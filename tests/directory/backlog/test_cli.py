"""The `backlog` command (directory/backlog/cli.py): loading the LSOA -> MSOA lookup, committed by the command."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from directory.cli import cli
from directory.core.db import db
from directory.models.backlog import LsoaMsoa


def test_load_msoa_stores_the_lookup(app: Flask, tmp_path: Path) -> None:
    lookup = tmp_path / "NSPL.csv"
    lookup.write_text("pcds,lsoa21cd,msoa21cd\nFY1 1AD,E01012671,E02002630\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(cli, ["backlog", "load-msoa", str(lookup), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "1 LSOAs, 1 added" in result.output
    with app.app_context():  # a new session: the command committed what it loaded
        assert db.session.get(LsoaMsoa, "E01012671").msoa_code == "E02002630"


def test_load_msoa_refuses_a_file_without_the_columns(app: Flask, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("pcds,lat,long\nFY1 1AD,53.8,-3.0\n", encoding="utf-8")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(LsoaMsoa))
    result = app.test_cli_runner().invoke(cli, ["backlog", "load-msoa", str(wrong), "--quiet"])
    assert result.exit_code == 1
    assert "Nothing loaded: wrong.csv has no LSOA and MSOA columns" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LsoaMsoa)) == before
