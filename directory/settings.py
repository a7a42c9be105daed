"""Every setting, read from environment variables prefixed ``DIRECTORY_`` in this one place."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PREFIX = "DIRECTORY_"


@dataclass(frozen=True)
class Setting:
    help: str
    default: Any = None
    parse: Callable[[str], Any] = str


# Name (without the prefix) -> what it means, its default and how to read it. The config key is the
# same name. Documentation tests check every entry appears in the README and .env.example.
SETTINGS: dict[str, Setting] = {
    "DATABASE_URL": Setting("SQLAlchemy URL of the database; default a SQLite file in the instance folder"),
    "SECRET_KEY": Setting(
        "key that signs sessions and CSRF tokens; generated once and kept in the instance folder when unset"
    ),
    "DATA_DIR": Setting("folder of official open data files (deprivation, postcodes, boundaries), for offline use"),
    "INSTANCE_PATH": Setting("folder for the SQLite database, the generated secret key and the data cache"),
    "DEMO_LABEL": Setting(
        "text of the banner shown when the database holds demo data",
        "Demo data: these listings are generated examples, not real services.",
    ),
    "FRESH_DAYS": Setting("days after verification that a listing stops being fresh", 180, int),
    "STALE_DAYS": Setting("days after verification that a listing is stale", 270, int),
    "UNVERIFIED_DAYS": Setting("days after verification that a listing counts as unverified", 365, int),
    # --- settings: gaps (issue 4) ---
    # --- settings: backlog (issue 5) ---
    # --- settings: groups and jobs (issue 6) ---
    # --- settings: imports (issue 7) ---
    # --- settings: production (issue 8) ---
    "SECURE_COOKIES": Setting(
        "send session cookies only over HTTPS and set HSTS (yes behind an HTTPS proxy; `serve` turns it on)",
        False,
        lambda v: v.strip().lower() in ("1", "yes", "true", "on"),
    ),
    "LOGIN_RATE_LIMIT": Setting("sign-in attempts allowed per address (Flask-Limiter syntax)", "10 per minute"),
    "RATE_LIMIT_STORAGE": Setting(
        "where rate-limit counts live (memory:// per process; redis:// or memcached:// shared)", "memory://"
    ),
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


class SettingError(ValueError):
    pass


def load(instance: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Flask config values derived from the environment, then the given overrides."""
    overrides = overrides or {}
    config: dict[str, Any] = {}
    for name, setting in SETTINGS.items():
        if name in ("DATABASE_URL", "SECRET_KEY", "INSTANCE_PATH"):
            continue
        raw = _env(name)
        try:
            config[name] = setting.parse(raw) if raw is not None else setting.default
        except ValueError as exc:
            raise SettingError(f"{PREFIX}{name}={raw!r} is not valid: {exc}") from exc
    config.update(
        {
            "SQLALCHEMY_DATABASE_URI": _env("DATABASE_URL") or f"sqlite:///{instance / 'directory.sqlite'}",
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "WTF_CSRF_TIME_LIMIT": None,
        }
    )
    config.update(overrides)
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = secret_key(instance)
    return config
