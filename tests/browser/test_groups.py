"""A group, in a real browser, follows the link in its reminder, reports a waiting time and finds it in search."""

from __future__ import annotations

import email
import os
import re
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from directory.core.clock import utcnow
from directory.core.db import db
from directory.verification.reminders import send_reminders
from tests.browser.conftest import LiveSite

try:
    from playwright.sync_api import Page, expect
except ImportError:
    if os.environ.get("CI"):
        raise  # CI installs the [test] extra: a missing package is a failure there, not a skip
    pytest.skip("the playwright package is not installed: pip install -e '.[test]'", allow_module_level=True)

CONTACT = "knitters@thornton.example.org"


def _written_messages(folder: Path) -> list[EmailMessage]:
    """Messages the development mail setting wrote to the instance folder (one file per connection)."""
    messages = []
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk, policy=default))
    return messages  # type: ignore[return-value]


def _seed_due_listing(live_site: LiveSite) -> int:
    """A listing last checked 170 days ago, 10 days before it is due: its contact gets the first reminder."""
    return live_site.make_service(
        name="Thornton Knit and Natter",
        description="Knitting, crochet and a cuppa on Thursday afternoons.",
        categories=["arts-crafts", "loneliness"],
        last_verified_at=(utcnow() - timedelta(days=170)).isoformat(timespec="seconds"),
        contacts=[{"name": "Jo", "title": "Organiser", "phone": "", "email": CONTACT}],
    )


def test_a_group_follows_its_reminder_reports_a_wait_and_sees_it_in_search(page: Page, live_site: LiveSite) -> None:
    service_id = _seed_due_listing(live_site)
    app = live_site.app
    app.config["PUBLIC_URL"] = live_site.url  # links in emails point at this server
    with app.app_context():
        counts = send_reminders(db.session, app.config)
        db.session.remove()
    assert counts.get("sent", 0) >= 1
    [reminder] = [m for m in _written_messages(Path(app.instance_path) / "mail") if m["To"] == CONTACT]
    text = reminder.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    [update] = [u for u in re.findall(r"https?://\S+", text) if "/group/link/" in u]
    assert update.startswith(live_site.url)

    page.goto(urlsplit(update).path + "?" + urlsplit(update).query)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit Harbour Lane Community Trust's listings")
    page.get_by_role("button", name="Continue to your listings").click()
    page.wait_for_url(re.compile(rf"/group/#service-{service_id}$"))
    listing = page.locator(f"#service-{service_id}")
    expect(listing.get_by_role("heading", level=2)).to_have_text("Thornton Knit and Natter")
    listing.get_by_label("Current wait for Thornton Knit and Natter, in weeks").fill("3")
    listing.get_by_role("button", name="Report wait").click()
    expect(page.get_by_role("status")).to_contain_text("the waiting time is published")

    page.goto("/?q=Thornton+knit")
    result = page.locator("li.result", has=page.get_by_role("link", name="Thornton Knit and Natter"))
    expect(result).to_contain_text("about 3 weeks, reported today")

    # The link worked once: opening it again is refused.
    response = page.goto(urlsplit(update).path)
    assert response is not None and response.status == 410
