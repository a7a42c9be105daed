"""Flag a gap in a real browser: from a search that found nothing to the backlog board."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from importlib import resources

import pytest

from tests.browser.conftest import LiveSite, missing
from tests.browser.test_accessibility import _axe, _report

try:
    from playwright.sync_api import BrowserContext, expect
except ImportError:
    if os.environ.get("CI"):
        raise  # CI installs the [test] extra: a missing package is a failure there, not a skip
    pytest.skip("the playwright package is not installed: pip install -e '.[test]'", allow_module_level=True)

NewContext = Callable[..., BrowserContext]


@pytest.fixture(scope="module")
def axe_js() -> str:
    try:
        script = resources.files("axe_playwright_python").joinpath("axe.min.js")
    except ModuleNotFoundError:
        missing("axe-core is not installed: the axe-playwright-python package ships it (pip install -e '.[test]')")
    return script.read_text(encoding="utf-8")


def test_flag_a_gap_from_a_search_with_no_results_and_find_it_on_the_board(
    new_context: NewContext, live_site: LiveSite
) -> None:
    page = new_context("link-worker").new_page()
    page.goto("/?q=zzqqxx+nothing&category=carers&postcode=FY1+1AD")
    expect(page.get_by_role("status")).to_contain_text("0 services for ‘zzqqxx nothing’")
    expect(page.locator(".nothing")).to_contain_text("Nothing suitable was found")
    page.get_by_role("link", name=re.compile("Flag a gap")).click()
    page.wait_for_url(re.compile(r"/flags/new\?"))
    expect(page.locator("#category")).to_have_value("carers")
    expect(page.locator("#postcode")).to_have_value("FY1 1AD")
    page.select_option("#population_group", "older-people")
    # The guard warns while the worker types (pii-check.js asks POST /api/pii-check with the CSRF header).
    page.fill("#description", "Mrs Smith wants a carers group")
    expect(page.locator(".pii-warning mark")).to_have_text("Mrs Smith")
    page.fill("#description", "No carers group within two buses of the estate")
    expect(page.locator(".pii-warning mark")).to_have_count(0)
    page.check("#urgency-high")
    page.get_by_role("button", name="Flag this gap").click()
    page.wait_for_url(re.compile(r"/backlog/\d+$"))
    expect(page.locator(".flash-success")).to_contain_text("the gap is flagged")
    item_url = page.url
    page.get_by_role("link", name="Gap backlog").click()
    page.wait_for_url(f"{live_site.url}/backlog/")
    card = page.locator("section[aria-labelledby=col-new] li.backlog-card", has_text="Carers")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("1 flag from 1 worker")
    expect(card).to_contain_text("Urgency: High")
    card.get_by_role("link").click()
    assert page.url == item_url


def test_the_flag_form_works_with_javascript_switched_off(new_context: NewContext, live_site: LiveSite) -> None:
    context = new_context("link-worker", java_script_enabled=False)
    page = context.new_page()
    page.goto("/flags/new?category=food&postcode=FY1+2AA")
    page.fill("#description", "Ring 07700 900123 about a food bank")
    page.get_by_role("button", name="Flag this gap").click()
    expect(page.locator(".pii-warning mark")).to_have_text("07700 900123")
    page.check("#confirm_pii")
    page.get_by_role("button", name="Flag this gap").click()
    page.wait_for_url(re.compile(r"/backlog/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Food")


def test_item_and_summary_pages_have_no_axe_violations(
    new_context: NewContext, live_site: LiveSite, axe_js: str
) -> None:
    """Pages with an item id are not in the accessibility module's PAGES (no seeded item), so they are read here."""
    worker = new_context("link-worker").new_page()
    worker.goto("/flags/new?category=loneliness&postcode=FY1+3AB")
    worker.fill("#description", "No weekend lunch club for people on their own")
    worker.get_by_role("button", name="Flag this gap").click()
    worker.wait_for_url(re.compile(r"/backlog/\d+$"))
    path = worker.url.removeprefix(live_site.url)
    page = new_context("community-development", bypass_csp=True).new_page()
    for target in (path, f"{path}/summary"):
        page.goto(target)
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        violations = _axe(page, axe_js)
        assert violations == [], f"{target}:\n{_report(violations)}"


def test_board_cards_stay_inside_their_columns_whatever_they_hold(new_context: NewContext, live_site: LiveSite) -> None:
    """A long assignee address or area list once pushed an "In progress" card over the "Resolved" column."""
    from directory.accounts.users import create_user
    from directory.backlog.flags import record_flag
    from directory.backlog.workflow import transition
    from directory.core.db import db
    from directory.models import User
    from tests.conftest import PASSWORD

    with live_site.app.app_context():
        worker = db.session.query(User).filter_by(email=live_site.emails["link-worker"]).one()
        lead = create_user(
            db.session, email_address="community.development.lead.for.the.whole.fylde.coast@blackpool.example.org",
            role="community-development", password=PASSWORD,
        )  # fmt: skip
        need = "No debt advice at weekends within reach of the estate"
        values = {"category": "debt-benefits", "postcode": "FY1 1AD", "description": need}
        saved = record_flag(db.session, values, worker)
        transition(db.session, saved.item.id, "triaged", lead)
        transition(db.session, saved.item.id, "in-progress", lead, assignee_id=lead.id)
        db.session.commit()
    page = new_context("community-development", viewport={"width": 1366, "height": 768}).new_page()
    page.goto("/backlog/")
    expect(page.locator("section[aria-labelledby=col-in-progress] li.backlog-card")).not_to_have_count(0)
    spills = page.evaluate(
        """() => [...document.querySelectorAll('.board-column')].flatMap(column => {
            const edge = column.getBoundingClientRect();
            return [...column.querySelectorAll('li')].filter(card => {
                const box = card.getBoundingClientRect();
                const wider = card.scrollWidth > card.clientWidth + 1;
                return box.left < edge.left - 0.5 || box.right > edge.right + 0.5 || wider;
            }).map(card => column.getAttribute('aria-labelledby') + ': ' + card.innerText.slice(0, 60));
        })"""
    )
    assert spills == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
