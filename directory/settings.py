"""Every setting, read from environment variables prefixed ``DIRECTORY_`` in this one place."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

PREFIX = "DIRECTORY_"

# Setting name -> (help text, default description). Documentation tests read this table.
SETTINGS: dict[str, str] = {
    "DATABASE_URL": "SQLAlchemy URL of the database; default a SQLite file in the instance folder",
    "SECRET_KEY": "key that signs sessions and CSRF tokens; generated once and kept in the instance folder when unset",
    "DATA_DIR": "folder of official open data files (deprivation, postcodes, boundaries), for offline use",
    "INSTANCE_PATH": "folder for the SQLite database, the generated secret key and the data cache",
    "DEMO_LABEL": "text of the banner shown when the database holds demo data",
    "FRESH_DAYS": "days after verification that a listing stops being fresh (default 180)",
    "STALE_DAYS": "days after verification that a listing is stale (default 270)",
    "UNVERIFIED_DAYS": "days after verification that a listing counts as unverified (default 365)",
}


def _env(name: str) -> str | None:
    value = os.environ.get(PREFIX + name)
    return value if value not in (None, "") else None


def instance_path(default: str) -> str:
    return _env("INSTANCE_PATH") or default


def secret_key(instance: Path) -> str:
    """The configured key, else one generated on first start and kept beside the database."""
    configured = _env("SECRET_KEY")
    if configured:
        return configured
    key_file = instance / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(48)
    instance.mkdir(parents=True, exist_ok=True)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load(instance: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Flask config values derived from the environment, then the given overrides."""
    overrides = overrides or {}
    database_url = _env("DATABASE_URL") or f"sqlite:///{instance / 'directory.sqlite'}"
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "DATA_DIR": _env("DATA_DIR"),
        "DEMO_LABEL": _env("DEMO_LABEL") or "Demo data: these listings are generated examples, not real services.",
        "FRESH_DAYS": int(_env("FRESH_DAYS") or 180),
        "STALE_DAYS": int(_env("STALE_DAYS") or 270),
        "UNVERIFIED_DAYS": int(_env("UNVERIFIED_DAYS") or 365),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
    }
    config.update(overrides)
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = secret_key(instance)
    return config
