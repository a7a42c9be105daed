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
    "SEARCH_MEANING": Setting(
        "auto: search also matches by meaning with the sentence-embedding model when the meaning extra is "
        "installed; off: words alone (docs/search.md)",
        "auto",
    ),
    "SEARCH_COUNT_CAP": Setting(
        "matches counted at most: a search without a postcode that matches more is ordered and cut in the "
        'database and says "more than" this many (docs/search.md)',
        1000,
        int,
    ),
    # --- settings: gaps (issue 4) ---
    "GAP_WEIGHT_DEPRIVATION": Setting(
        "weight of the deprivation part of the gap score (docs/gap-score.md)", 0.4, float
    ),
    "GAP_WEIGHT_PROVISION": Setting("weight of the provision part of the gap score", 0.4, float),
    "GAP_WEIGHT_DEMAND": Setting("weight of the demand part of the gap score", 0.2, float),
    "GAP_RADIUS_M": Setting("radius in metres for counting services around an LSOA's centre", 5000.0, float),
    "GAP_DISTANCE_SCALE_M": Setting("metres at which the gap score's distance term reaches 0.63", 2000.0, float),
    "GAP_DEMAND_DAYS": Setting("days of signposting and gap-flag demand the gap score counts", 365, int),
    "GAP_MAP_TILES": Setting(
        "basemap tile URL template for gap maps ({z}/{x}/{y}); empty draws areas without a basemap", ""
    ),
    "GAP_MAP_ATTRIBUTION": Setting("attribution text shown with the basemap tiles", ""),
    "FUNDING_RISK_DAYS": Setting("days ahead the funding-risk view looks for funding that ends", 90, int),
    "GAP_MAP_MAX_LSOAS": Setting(
        "gap maps of more LSOAs than this (and all of England) are aggregated to local authorities", 1500, int
    ),
    "GAP_MAP_CACHE_MB": Setting(
        "megabytes of rendered gap maps each web process keeps for reuse until the data changes (0: none)", 64, int
    ),
    # --- settings: backlog (issue 5) ---
    "BACKLOG_POINT_MAX_KM": Setting(
        "a gap flagged at a map point takes the LSOA of the nearest known postcode within this many km", 1.0, float
    ),
    # --- settings: groups and jobs (issue 6) ---
    "PUBLIC_URL": Setting("the directory's public address, for links in emails", "http://127.0.0.1:5000"),
    "GROUP_LINK_DAYS": Setting("days a group edit link stays valid before it is used", 14, int),
    "GROUP_RENEWAL_MINUTES": Setting(
        "minutes before a used or expired link can ask for another new edit link for the same address", 60, int
    ),
    "GROUP_SESSION_HOURS": Setting("hours a group contact stays signed in after using an edit link", 8, int),
    "GROUP_REVIEW_FIELDS": Setting(
        "field groups whose changes by groups wait for staff review (details, contact, sessions, capacity, "
        "funding; or none)",
        "details",
    ),
    "GROUP_TOKEN_RATE_LIMIT": Setting(
        "uses of group links allowed per address (Flask-Limiter syntax)", "20 per minute"
    ),
    "REMINDER_DAYS_BEFORE_DUE": Setting(
        "days before a listing becomes due that reminders 1, 2 and 3 are emailed (0 = on the day)", "14,7,0"
    ),
    "REMINDER_PHONE_AFTER_DAYS": Setting(
        "days after the last unanswered reminder that staff are asked to phone", 7, int
    ),
    "REMINDER_REPEAT_DAYS": Setting(
        "days after a group's last answer that its next round of reminders starts (asking again for the current"
        " wait); due for review and stale still follow FRESH_DAYS and STALE_DAYS",
        35,
        int,
    ),
    "REMINDER_ROUND_LIKELIHOOD": Setting(
        "percent: a group's next round of reminders starts once the chance that its listing closed since the last"
        " check reaches this, at the closure rate the directory measures (sooner where listings close more often),"
        " but never later than REMINDER_REPEAT_DAYS",
        2.0,
        float,
    ),
    "REMINDER_KEEP_ASKING_DAYS": Setting(
        "days between further reminders to a listing already queued for a call, until the group answers or staff"
        " check (0: none after the last step)",
        7,
        int,
    ),
    "REMINDER_SOONER_LIKELIHOOD": Setting(
        "percent: once the evidence makes a closure at least this likely (silence, a funding end, a link worker's"
        " report), the listing's reminders come every REMINDER_SOONER_DAYS instead (a round starts at once);"
        " over 100: never",
        10,
        int,
    ),
    "REMINDER_SOONER_DAYS": Setting("days between reminders to a listing the evidence doubts (at least 3)", 3, int),
    "REMINDER_HIDDEN_DAYS": Setting(
        "days between reminders to a listing the evidence alone took out of search (silence, funding ended, link"
        " workers' reports): the group's answer brings it back",
        14,
        int,
    ),
    "WAIT_CURRENT_DAYS": Setting(
        "days a reported waiting time counts as current; older ones show as 'last known' and count as unknown"
        " for sorting and the longest-wait filter",
        90,
        int,
    ),
    "DECAY_SINK_LIKELIHOOD": Setting(
        "percent: a listing with evidence against it (reminders unanswered, funding ended) sinks in search, with a"
        " warning, while the evidence makes a closure at least this likely (50: likelier than not)",
        50,
        int,
    ),
    "DECAY_HIDE_LIKELIHOOD": Setting(
        "percent: and leaves default search (kept, restorable) once a closure is at least this likely", 95, int
    ),
    "DECAY_HIDE_DAYS": Setting(
        "days a no-reply follow-up may stay open before its listing leaves default search (kept, restorable)",
        91,
        int,
    ),
    "REMINDER_LINK_DAYS": Setting("days the links in a reminder email stay valid", 60, int),
    "FUNDING_CHECKIN_DAYS": Setting(
        "days before a listing's funding end date that the group is asked about it", 30, int
    ),
    "MAIL_SERVER": Setting("SMTP server for email; empty writes each message to the instance folder's mail/", ""),
    "MAIL_PORT": Setting("SMTP port", 25, int),
    "MAIL_USERNAME": Setting("SMTP user name, if the server needs one", ""),
    "MAIL_PASSWORD": Setting("SMTP password, if the server needs one", ""),
    "MAIL_USE_TLS": Setting(
        "use STARTTLS with the SMTP server", False, lambda v: v.strip().lower() in ("1", "yes", "true", "on")
    ),
    "MAIL_USE_SSL": Setting(
        "use SMTP over TLS (port 465)", False, lambda v: v.strip().lower() in ("1", "yes", "true", "on")
    ),
    "MAIL_TIMEOUT": Setting("seconds to wait for the SMTP server", 30, int),
    "MAIL_DEFAULT_SENDER": Setting("From address of the directory's emails", "directory@localhost"),
    "MAIL_CONTACT": Setting(
        "the contact line at the foot of every email (who runs the directory and how to reach them)",
        "Reply to this email to reach the directory team.",
    ),
    "MAIL_ATTEMPTS": Setting(
        "times in all an email from the outbox (a declined request, a claim's link, a new edit link) is tried before"
        " the outbox job gives up on it; the first try is at once, the rest one per run of the job",
        6,
        int,
    ),
    "JOBS_SCHEDULE": Setting(
        "when scheduled jobs run: NAME=crontab pairs separated by ;",
        "staleness=0 2 * * *; reminders=0 9 * * *; scrapers=0 3 * * *; gaps=30 4 * * *; search-vectors=0 5 * * *;"
        " outbox=*/10 * * * *",
    ),
    "JOBS_MISFIRE_GRACE": Setting(
        "seconds late a missed scheduled run may still start (once) after a restart", 86400, int
    ),
    "JOBS_LEASE_SECONDS": Setting(
        "seconds one scheduler's lease lasts unrenewed (renewed every third of it); a second `jobs run` waits and "
        "takes over this long after the first stops (at once if it was on the same machine)",
        45,
        int,
    ),
    "JOBS_BATCH_SIZE": Setting(
        "listings the staleness and reminders jobs read and commit at a time (memory stays flat)", 500, int
    ),
    "LISTING_CLAIM_RATE_LIMIT": Setting(
        "public requests to manage a listing accepted per address (Flask-Limiter syntax)", "10 per hour"
    ),
    # --- settings: imports (issue 7) ---
    "IMPORT_ALLOW_PRIVATE": Setting(
        "let importers fetch private, loopback and link-local addresses (an intranet feed); off by default",
        False,
        lambda v: v.strip().lower() in ("1", "yes", "true", "on"),
    ),
    "IMPORT_TIMEOUT": Setting("seconds an importer waits for one response in total", 20, float),
    "IMPORT_MAX_MB": Setting("largest response an importer reads, in megabytes", 20, int),
    "IMPORT_ICAL_WEEKS": Setting(
        "weeks ahead a calendar feed is read; no session in that time is evidence of closure", 8, int
    ),
    "IMPORT_REMOVED_GRACE_DAYS": Setting(
        "days a listing its import source no longer publishes stays (flagged for staff) before it is archived", 28, int
    ),
    "IMPORT_WEBSITE_INTERVAL": Setting("seconds between website checks to the same host", 2.0, float),
    "IMPORT_QUEUE_POLL": Setting(
        "seconds between the scheduler's looks for sources queued from the admin pages (0: only the scrapers job)",
        30.0,
        float,
    ),
    "LISTING_REQUEST_RATE_LIMIT": Setting(
        "public requests to be listed accepted per address (Flask-Limiter syntax)", "10 per hour"
    ),
    # --- settings: production (issue 8) ---
    "SECURE_COOKIES": Setting(
        "send session cookies only over HTTPS and set HSTS (yes behind an HTTPS proxy; `serve` turns it on)",
        False,
        lambda v: v.strip().lower() in ("1", "yes", "true", "on"),
    ),
    "LOGIN_RATE_LIMIT": Setting("sign-in attempts allowed per address (Flask-Limiter syntax)", "10 per minute"),
    "LOGIN_ACCOUNT_RATE_LIMIT": Setting(
        "sign-in attempts allowed per email address, from any address (Flask-Limiter syntax)", "30 per hour"
    ),
    "TRUSTED_PROXIES": Setting(
        "how many reverse proxies in front of the app to trust for X-Forwarded-For/-Proto/-Host "
        "(0 trusts none; 1 behind one nginx)",
        0,
        int,
    ),
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
            # A restarted database ends every pooled connection: test each one before lending it, so the first
            # request after a restart does not fail on a dead one (a round trip on loopback, ~0.1 ms).
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        }
    )
    config.update(overrides)
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = secret_key(instance)
    return config
