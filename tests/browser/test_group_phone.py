"""A volunteer keeps their group's listings on a phone: nothing scrolls sideways, every control is big enough to
tap, two clubs with one name are told apart, and a reminder's link lands on (and marks) its own listing."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest

from directory.core.db import db
from directory.groups import links as groups
from directory.groups import requests as listing_requests
from tests.browser.conftest import LiveSite, missing
from tests.browser.test_accessibility import _axe, _report

try:
    from playwright.sync_api import BrowserContext, Page, expect
except ImportError:
    if os.environ.get("CI"):
        raise  # CI installs the [test] extra: a missing package is a failure there, not a skip
    pytest.skip("the playwright package is not installed: pip install -e '.[test]'", allow_module_level=True)

NewContext = Callable[..., BrowserContext]
PHONES = {"390x844": {"width": 390, "height": 844}, "320x640": {"width": 320, "height": 640}}
LONG_EMAIL = "the.thursday.afternoon.knitting.and.natter.group.organiser@harbour-lane-community-trust.example.org"

# Controls a thumb must hit, measured as drawn. A tick box counts by its label, which is what a tap lands on.
CONTROLS = "main button, main input, main select, main textarea, main a.button"
SMALL_TARGETS = (
    """() => [...document.querySelectorAll('"""
    + CONTROLS
    + """')]
    .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
    .map(el => {
        const tick = el.type === 'checkbox' || el.type === 'radio';
        const target = tick ? (el.closest('label') || document.querySelector(`label[for="${el.id}"]`) || el) : el;
        const box = target.getBoundingClientRect();
        return {what: (target.innerText || el.name || el.id || el.tagName).trim().slice(0, 50),
                width: Math.round(box.width), height: Math.round(box.height)};
    })
    .filter(t => t.width < 44 || t.height < 44)"""
)


def _phone(new_context: NewContext, size: str) -> Page:
    context = new_context(viewport=PHONES[size], is_mobile=True, has_touch=True)
    return context.new_page()


def _signed_in_group(page: Page, live_site: LiveSite, service_id: int | None = None) -> None:
    """Open a fresh edit link (as from an email) and press its button."""
    with live_site.app.app_context():
        token, _row = groups.invite(db.session, live_site.ids["organization"], LONG_EMAIL, created_by="test", days=14)
        db.session.commit()
    target = f"?next=service-{service_id}" if service_id else ""
    page.goto(f"/group/link/{token}{target}")
    page.get_by_role("button", name="Continue to your listings").click()
    page.wait_for_url(re.compile(r"/group/"))


@pytest.fixture(scope="module")
def twin_clubs(live_site: LiveSite) -> list[int]:
    """Two clubs with one name in two places, on different days, one with a very long email address."""
    made = []
    for place, day in (("Mereside Library", "TU"), ("Grange Park Community Centre", "TH")):
        made.append(
            live_site.make_service(
                name="Young carers club",
                categories=["carers"],
                email=LONG_EMAIL,
                locations=[{"name": place, "address_1": "1 Example Road", "city": "Blackpool"}],
                schedules=[{"byday": day, "opens_at": "16:00", "closes_at": "18:00"}],
            )  # fmt: skip
        )
    return made


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} is {width[0]} px wide on a {width[1]} px screen"


@pytest.mark.parametrize("size", PHONES)
def test_group_pages_fit_a_phone_and_every_control_is_big_enough_to_tap(
    new_context: NewContext, live_site: LiveSite, twin_clubs: list[int], size: str
) -> None:
    page = _phone(new_context, size)
    _signed_in_group(page, live_site)
    pages = [
        "/group/",
        f"/group/services/{twin_clubs[0]}/edit",
        f"/group/organisations/{live_site.ids['organization']}/edit",
        f"/group/organisations/{live_site.ids['organization']}/services/new",
    ]
    for path in [*pages, "/listings/request", f"/organisations/{live_site.ids['organization']}/claim"]:
        page.goto(path)
        _no_sideways_scroll(page)
        small: list[Any] = page.evaluate(SMALL_TARGETS)
        assert small == [], f"{path} at {size}: too small to tap: {small}"


def test_two_clubs_with_one_name_are_told_apart_and_the_reminder_lands_on_its_own(
    new_context: NewContext, live_site: LiveSite, twin_clubs: list[int]
) -> None:
    page = _phone(new_context, "390x844")
    _signed_in_group(page, live_site, service_id=twin_clubs[1])
    page.wait_for_url(re.compile(rf"/group/#service-{twin_clubs[1]}$"))
    first, second = (page.locator(f"#service-{i}") for i in twin_clubs)
    expect(first.locator(".where-when")).to_contain_text("At Mereside Library · Next: Tue")
    expect(second.locator(".where-when")).to_contain_text("At Grange Park Community Centre · Next: Thu")
    expect(second).to_be_in_viewport()
    marked = second.evaluate("el => getComputedStyle(el).outlineStyle")
    assert marked != "none" and first.evaluate("el => getComputedStyle(el).outlineStyle") == "none"


def _fits_and_is_accessible(page: Page, axe: str) -> None:
    _no_sideways_scroll(page)
    small: list[Any] = page.evaluate(SMALL_TARGETS)
    assert small == [], f"{page.url}: too small to tap: {small}"
    violations = _axe(page, axe)
    assert violations == [], _report(violations)


def test_a_group_adds_another_service_on_a_phone_and_sees_it_listed_once_staff_approve(
    new_context: NewContext, live_site: LiveSite
) -> None:
    try:
        axe = resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
    except ModuleNotFoundError:
        missing("axe-core is not installed: the axe-playwright-python package ships it (pip install -e '.[test]')")
    page = new_context(viewport=PHONES["390x844"], is_mobile=True, has_touch=True, bypass_csp=True).new_page()
    _signed_in_group(page, live_site)
    page.get_by_role("link", name="Add another service").click()
    page.wait_for_url(re.compile(r"/group/organisations/\d+/services/new$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Add another service to Harbour Lane Community Trust")
    page.get_by_label("Postcode").fill("nowhere")
    page.get_by_label("What happens, and who it is for").fill("Tea, cake and mending.")
    page.get_by_role("button", name="Send for checking").click()  # the browser stops an empty required name
    expect(page.locator(".error-summary")).to_have_count(0)
    page.get_by_label("What you run").fill("Harbour Lane mending morning")
    page.get_by_role("button", name="Send for checking").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Postcode:")
    expect(page.get_by_label("What happens, and who it is for")).to_have_value("Tea, cake and mending.")
    _fits_and_is_accessible(page, axe)
    page.get_by_label("Postcode").fill("FY1 1AD")
    page.get_by_text("Arts and crafts", exact=True).click()  # a tap on the label ticks the box
    page.get_by_role("button", name="Send for checking").click()
    page.wait_for_url(re.compile(r"/group/#sent-for-checking$"))
    sent = page.locator("#sent-for-checking")
    expect(sent).to_contain_text("Harbour Lane mending morning: sent for checking on")
    _fits_and_is_accessible(page, axe)

    with live_site.app.app_context():
        [request] = [
            r for r in listing_requests.waiting(db.session) if r.service_name == "Harbour Lane mending morning"
        ]
        assert request.organization_id == live_site.ids["organization"]
        request_id, request_kind = request.id, type(request)
    staff = new_context("link-worker").new_page()
    staff.goto("/staff/listing-requests")
    staff.get_by_role("button", name="List Harbour Lane mending morning").click()
    expect(staff.locator(".flash-success")).to_contain_text("Listed Harbour Lane mending morning")
    page.reload()
    expect(page.locator("#sent-for-checking")).to_have_count(0)
    expect(page.locator(".group-listing h2", has_text="Harbour Lane mending morning")).to_have_count(1)
    # Out of the shared site again: it sits as near the seeded postcodes as the services other modules expect.
    with live_site.app.app_context():
        listed = db.session.get(request_kind, request_id)
        assert listed is not None and listed.service_id is not None
        service_id = listed.service_id
    live_site.archive_service(service_id)
