"""The real app served on loopback, seeded with listings and one account per role, and a real Chromium.

The server is werkzeug's, in a thread, on a free port of 127.0.0.1, over a temporary SQLite file
built by the same ``init_database`` the CLI runs. The browser is Debian's Chromium (``apt-get install
chromium``, as ``.ci/run`` does), driven by Playwright: Playwright's own browser downloads cannot
run here, so it launches the system binary through ``executable_path``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from directory import create_app
from directory.accounts.users import create_user
from directory.core.db import db
from directory.core.meta import AppMeta
from directory.core.writes import Actor
from directory.listings.operations import archive, create, report_waiting_time, update
from directory.models import Postcode, Service
from directory.ops.database import init_database
from tests.conftest import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Root needs --no-sandbox; the rest keep Chromium from calling Google, which the closed network refuses.
# Playwright adds --headless itself and gives every launch a fresh, empty user-data dir.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000  # a page of this app on loopback answers in well under a second
SEEDER = Actor(label="staff: seed@example.org", source="staff")
ROLES = ("admin", "link-worker", "community-development", "group-editor")


def missing(reason: str) -> None:
    """Skip when a browser prerequisite is absent on a developer's machine; fail in CI, which installs them."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must install it: see .ci/run)", pytrace=False)
    pytest.skip(reason)


@dataclass
class LiveSite:
    """The served app: its address, the seeded ids (for path templates) and each role's sign-in."""

    url: str
    app: Flask
    ids: dict[str, int] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)

    def path(self, template: str) -> str:
        return template.format(**self.ids)

    def make_service(self, **overrides: Any) -> int:
        """Add a live service to the served database (written by the one write path) and return its id."""
        values: dict[str, Any] = {"organization_id": self.ids["organization"], "categories": ["arts-crafts"]}
        values.update(overrides)
        with self.app.app_context():
            service_id = int(create(db.session, "service", values, SEEDER).id)
            db.session.commit()
            return service_id

    def archive_service(self, service_id: int) -> None:
        """Take a service a module made out of the shared site, so later modules' searches are as seeded."""
        with self.app.app_context():
            service = db.session.get(Service, service_id)
            assert service is not None
            archive(db.session, "service", service_id, expected_version=service.version, actor=SEEDER)
            db.session.commit()

    def service_name(self, service_id: int) -> str:
        with self.app.app_context():
            service = db.session.get(Service, service_id)
            assert service is not None
            return service.name


# Blackpool postcodes in the official format, for searches by distance (made up coordinates, about 1 km apart).
SEED_POSTCODES = (
    ("FY1 1AD", 53.8170, -3.0540, "E01012671"),
    ("FY1 2AA", 53.8260, -3.0540, "E01012672"),
    ("FY1 3AB", 53.8080, -3.0540, "E01012673"),
)


def _seed(site: LiveSite) -> None:
    session = db.session
    session.add(AppMeta(key="demo", value="yes"))  # so the demo banner is on every page axe reads
    for pcds, lat, long, lsoa in SEED_POSTCODES:
        session.add(Postcode(postcode_key=pcds.replace(" ", ""), pcds=pcds, latitude=lat, longitude=long,
                             lsoa_code=lsoa, lad_code="E06000009"))  # fmt: skip
    session.commit()
    trust = create(
        session,
        "organization",
        {
            "name": "Harbour Lane Community Trust",
            "description": "A community hall and the groups that meet in it.",
            "sector": "voluntary",
            "charity_number": "1100001",
            "website": "https://harbour-lane.example.org",
            "email": "hello@harbour-lane.example.org",
            "phone": "01253 477000",
        },
        SEEDER,
    )
    walkers = create(session, "organization", {"name": "Pendle Walkers", "sector": "community"}, SEEDER)
    verified = (datetime.now(UTC) - timedelta(days=20)).replace(tzinfo=None).isoformat(timespec="seconds")
    crafts = create(
        session,
        "service",
        {
            "organization_id": trust.id,
            "name": "Tuesday Craft Circle",
            "description": "Knitting, sewing and card making over a cup of tea. Beginners welcome.",
            "categories": ["arts-crafts", "loneliness"],
            "phone": "01253 477001",
            "email": "crafts@harbour-lane.example.org",
            "url": "https://harbour-lane.example.org/crafts",
            "minimum_age": 18,
            "is_free": False,
            "cost_description": "£2 a session, tea included.",
            "referral_routes": ["self", "professional"],
            "delivery_modes": ["in-person"],
            "accessibility": ["step-free", "hearing-loop"],
            "languages": ["English", "Urdu"],
            "capacity": "waiting-list",
            "funding_status": "funded",
            "funder": "Blackpool Council",
            "funded_until": "2030-03-31",
            "internal_notes": "Ask for Sam at the front desk.",
            "last_verified_at": verified,
            "verified_by": "seed",
            "verified_how": "phone",
            "service_areas": ["E06000009"],
            "locations": [
                {
                    "name": "Harbour Lane Hall",
                    "address_1": "12 Harbour Lane",
                    "city": "Blackpool",
                    "postcode": "FY1 1AD",
                }
            ],
            "schedules": [
                {"byday": "TU", "opens_at": "10:00", "closes_at": "12:00"},
                {"by_appointment": True, "description": "Home visits by arrangement"},
            ],
            "contacts": [{"name": "Sam Jones", "title": "Coordinator", "phone": "01253 477002", "email": ""}],
        },
        SEEDER,
    )
    report_waiting_time(session, crafts.id, 3, source="link-worker", actor=SEEDER)
    # A second revision, so the history page has a diff and a restore button.
    update(
        session,
        "service",
        crafts.id,
        {"description": "Knitting, sewing and card making over a cup of tea. Beginners very welcome."},
        expected_version=crafts.version,
        actor=SEEDER,
    )
    walking = create(
        session,
        "service",
        {
            "organization_id": walkers.id,
            "name": "Walking for Wellbeing",
            "description": "Gentle led walks along the canal, about an hour.",
            "categories": ["physical-activity", "mental-health"],
            "schedules": [{"byday": "SA", "opens_at": "10:00", "closes_at": "11:00"}],
        },
        SEEDER,
    )
    site.ids.update(organization=trust.id, service=crafts.id, walking=walking.id)
    for role in ROLES:
        email = f"{role}@example.org"
        organization_id = trust.id if role == "group-editor" else None
        create_user(session, email_address=email, role=role, password=PASSWORD, organization_id=organization_id)
        site.emails[role] = email
    session.commit()


@pytest.fixture(scope="session")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """The app in a real HTTP server on a free loopback port, for the whole browser session."""
    instance = tmp_path_factory.mktemp("browser-instance")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'browser.sqlite'}",
            "SECRET_KEY": "browser-test-only-key",
            # Many sign-ins from one address; tests/directory/test_security.py checks the limits.
            "RATELIMIT_ENABLED": False,
            "INSTANCE_PATH": str(instance),
        }
    )
    site = LiveSite(url="", app=app)
    with app.app_context():
        init_database()
        _seed(site)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)  # port 0: the system picks a free one
    site.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="live-site", daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, launched once for the session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright package is not installed: pip install -e '.[test]'")
    if not Path(CHROMIUM).is_file():
        missing(f"no Chromium at {CHROMIUM}: apt-get install chromium (or set CHROMIUM to its path)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def sign_in_by_form(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form, as a person would (minus the keyboard, which test_pages checks)."""
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)  # each role lands on its own start (accounts/views.py)


@pytest.fixture(scope="session")
def signed_in_states(browser: Browser, live_site: LiveSite) -> Callable[[str], Any]:
    """Each role's cookies after one real sign-in, so later contexts start signed in (argon2 is slow on purpose)."""
    states: dict[str, Any] = {}

    def state(role: str) -> Any:
        if role not in states:
            context = browser.new_context(base_url=live_site.url)
            context.set_default_timeout(TIMEOUT_MS)
            sign_in_by_form(context.new_page(), live_site.emails[role])
            states[role] = context.storage_state()
            context.close()
        return states[role]

    return state


@pytest.fixture
def new_context(
    browser: Browser, live_site: LiveSite, signed_in_states: Callable[[str], Any]
) -> Iterator[Callable[..., BrowserContext]]:
    """Factory: a fresh browser context (its own cookies), anonymous or signed in as ``role``; closed afterwards."""
    opened: list[BrowserContext] = []

    def make(role: str | None = None, **options: Any) -> BrowserContext:
        if role is not None:
            options["storage_state"] = signed_in_states(role)
        context = browser.new_context(base_url=live_site.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    """An anonymous visitor's page."""
    return new_context().new_page()
