"""The community asset directory: a Flask application built by ``create_app``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: every extension and part it sets up, in order. Nothing connects, schedules or fetches at
    import time."""
    # Imported here, not at the top: importing any module of the package (``directory.core.db``) runs this file
    # first, and the app's parts import those modules in turn.
    from . import web
    from .accounts import users
    from .core import db, mail, settings
    from .core.csrf import csrf
    from .web import errors, security

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

    db.init_app(app)  # SQLAlchemy, SQLite pragmas, Flask-Migrate
    users.init_app(app)  # Flask-Login
    mail.init_app(app)  # Flask-Mailman
    csrf.init_app(app)  # Flask-WTF CSRF on every form
    security.init_app(app)  # security headers and the nonce CSP
    errors.init_app(app)  # error pages
    web.init_app(app)  # every blueprint and the template helpers
    security.limit_views(app)  # Flask-Limiter, once the views exist
    return app
