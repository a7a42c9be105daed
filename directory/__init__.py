"""The community asset directory: a Flask application built by ``create_app``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. Nothing connects, schedules or fetches at import time."""
    from . import accounts, db, errors, security, settings, views
    from .csrf import csrf

    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    overrides = dict(test_config or {})
    instance = Path(overrides.pop("INSTANCE_PATH", None) or settings.instance_path(app.instance_path))
    instance.mkdir(parents=True, exist_ok=True)
    app.instance_path = str(instance)
    app.config.from_mapping(settings.load(instance, overrides))

    db.init_app(app)
    accounts.init_app(app)
    csrf.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    views.init_app(app)
    security.limit_views(app)
    return app
