"""The rest of a link worker's path by keyboard, at 1366x768 and at 200% zoom (issue 22): closing a listing
asks first and names it, local authorities are tick boxes, a district flags a gap, and a postcode the directory
cannot place never stops the sheet. axe-core reports nothing on each page; nothing scrolls sideways."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from importlib import resources

import pytest

from directory.core.db import db
from directory.verification.follow_ups import queue_follow_up
from tests.browser.conftest import LiveSite
from tests.browser.test_accessibility import _axe, _report
from tests.browser.test_gap_map import gap_site  # noqa: F401 - a fixture this module uses

try:
    from playwright.sync_api import BrowserContext, Page, expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("the playwright package is not installed: pip install -e '.[test]'", allow_module_level=True)

NewContext = Callable[..., BrowserContext]
SCREENS = {
    "1366x768": {"viewport": {"width": 1366, "height": 768}},
    "200% zoom": {"viewport": {"width": 683, "height": 384}, "device_scale_factor": 2},
}


@pytest.fixture(scope="module")
def axe_js() -> str:
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


def _checked(page: Page, axe_js: str, *, sideways_ok: bool = False) -> None:
    """No axe violations, and no sideways scroll (a wide data table may scroll: WCAG 1.4.10 exempts it)."""
    violations = _axe(page, axe_js)
    assert violations == [], _report(violations)
    assert sideways_ok or page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def _tab_to(page: Page, test: str, limit: int = 80) -> int:
    """Press Tab until the focused element passes ``test`` (a JS predicate on it); returns the presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const e = document.activeElement; return !!e && ({test}); }}"):
            return presses
    raise AssertionError(f"never reached by Tab: {test}")


@pytest.mark.parametrize("screen", list(SCREENS))
def test_closed_on_the_follow_up_queue_asks_first_naming_the_listing(
    live_site: LiveSite, new_context: NewContext, axe_js: str, screen: str
) -> None:
    name = f"Kestrel lunch club ({screen})"
    service_id = live_site.make_service(name=name, phone="01253 400100")
    with live_site.app.app_context():
        queue_follow_up(db.session, service_id, "no-reply", cycle=screen)
        db.session.commit()
    page = new_context("link-worker", bypass_csp=True, **SCREENS[screen]).new_page()
    page.goto("/staff/follow-ups")
    _tab_to(page, f"e.tagName === 'BUTTON' && e.textContent.trim() === 'Closed: {name}'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Record {name} as closed?")
    expect(page.locator("main")).to_contain_text("will leave search, the public pages and the signposting sheet")
    assert live_site.service_name(service_id) == name
    _checked(page, axe_js)
    with live_site.app.app_context():
        from directory.models import Service

        assert db.session.get(Service, service_id).status == "active"  # nothing hidden until confirmed
        db.session.remove()
    _tab_to(page, "e.tagName === 'BUTTON' && e.textContent.startsWith('Yes, ')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_contain_text(f"{name}: recorded as closed")


@pytest.mark.parametrize("screen", list(SCREENS))
def test_local_authorities_are_tick_boxes_ticked_by_keyboard(
    gap_site: LiveSite,  # noqa: F811
    new_context: NewContext,
    axe_js: str,
    screen: str,
) -> None:
    page = new_context("community-development", bypass_csp=True, **SCREENS[screen]).new_page()
    page.goto("/gaps/table?category=carers")
    assert page.locator("select[multiple]").count() == 0
    expect(page.get_by_role("group", name="Local authorities")).to_be_visible()
    _tab_to(page, "e.type === 'checkbox' && e.name === 'la' && e.value === 'E06000009'")
    if not page.evaluate("() => document.activeElement.checked"):
        page.keyboard.press("Space")
    assert page.evaluate("() => document.activeElement.checked")
    _tab_to(page, "e.tagName === 'BUTTON' && e.textContent.trim() === 'Show'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "la=E06000009" in page.url
    expect(page.locator("#la-E06000009")).to_be_checked()
    box = page.locator("fieldset.authority-choice").bounding_box()
    assert box is not None and box["x"] + box["width"] <= SCREENS[screen]["viewport"]["width"]  # type: ignore[index]
    _checked(page, axe_js, sideways_ok=True)  # the ranked table beside it is wide


@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_district_flags_a_gap_and_an_unplaced_postcode_still_makes_the_sheet(
    live_site: LiveSite, new_context: NewContext, axe_js: str, screen: str
) -> None:
    page = new_context("link-worker", bypass_csp=True, **SCREENS[screen]).new_page()
    page.goto("/?q=zzqqxxnothing&postcode=FY1&category=carers")
    _tab_to(page, "e.classList.contains('flag-gap')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#postcode")).to_have_value("FY1")
    _checked(page, axe_js)
    page.locator("#description").focus()
    page.keyboard.type("No evening carers group anywhere in the district.")
    _tab_to(page, "e.tagName === 'BUTTON' && e.textContent.trim() === 'Flag this gap'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_contain_text("recorded for the whole FY1 district")
    expect(page.locator("main table")).to_contain_text("The whole FY1 district")
    _checked(page, axe_js)

    page.goto("/")
    page.goto(f"/staff/services/{live_site.ids['service']}")
    page.get_by_role("button", name=re.compile("signposting sheet")).first.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto("/basket/")
    page.locator("#postcode").focus()
    page.keyboard.type("FY1 1AA")
    _tab_to(page, "e.tagName === 'BUTTON' && e.textContent.trim() === 'Print the sheet'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".distances-note")).to_contain_text("Distances are left out")
    expect(page.locator("section.entry")).not_to_have_count(0)
    _checked(page, axe_js)
