"""Search results a link worker can scan, in Chromium at 1280x900: compact rows, a map of them around the
postcode drawn with the list, funding read from its dates, and the list alone without JavaScript."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import date, timedelta
from importlib import resources

import pytest

from tests.browser.conftest import LiveSite
from tests.browser.test_gap_map import loopback_only, wait_for

try:
    from playwright.sync_api import BrowserContext, expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("the playwright package is not installed: pip install -e '.[test]'", allow_module_level=True)

SCREEN = {"width": 1280, "height": 900}
NEARBY = "/?postcode=FY1+3AB&radius=10&sort=nearest"
ROW_MAX_PX = 120


@pytest.fixture(scope="module")
def placed(live_site: LiveSite) -> dict[str, int]:
    """Two more placed services: one whose funding ended (though its status still says funded), one ending soon;
    both further from FY1 3AB than the seeded craft circle, which other modules expect to be the nearest."""
    ended = live_site.make_service(
        name="Harbour Lunch Club", categories=["loneliness"], funding_status="funded",
        funded_until=(date.today() - timedelta(days=30)).isoformat(),
        description="A hot two-course lunch and company every Thursday, with transport for those who need it.",
        locations=[{"name": "Harbour Lane Hall", "address_1": "12 Harbour Lane", "city": "Blackpool",
                    "postcode": "FY1 2AA"}],
    )  # fmt: skip
    ending = live_site.make_service(
        name="Seafront Men's Shed", categories=["loneliness"], funding_status="time-limited",
        funded_until=(date.today() + timedelta(days=21)).isoformat(),
        locations=[{"name": "The Shed", "address_1": "3 Promenade", "city": "Blackpool", "postcode": "FY1 2AA"}],
    )  # fmt: skip
    return {"ended": ended, "ending": ending}


def test_results_are_compact_rows_beside_a_map_that_draws_them(
    live_site: LiveSite, placed: dict[str, int], new_context: Callable[..., BrowserContext]
) -> None:
    context = new_context("link-worker", viewport=SCREEN)
    refused = loopback_only(context, live_site)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(NEARBY)
    rows = page.locator("ol.results > li.result")
    assert rows.count() >= 3
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], "search.png"))
    heights = [rows.nth(i).bounding_box()["height"] for i in range(rows.count())]  # type: ignore[index]
    assert max(heights) <= ROW_MAX_PX, (heights, [rows.nth(i).inner_text() for i in range(rows.count())])
    drawn = wait_for(page, "() => Number(document.getElementById('results-map').getAttribute('data-drawn'))")
    placed_rows = page.locator("#results-map .results-map-marker")
    assert drawn >= 3 and placed_rows.count() == drawn
    box = page.locator("#results-map").bounding_box()
    assert box is not None and box["y"] < SCREEN["height"] and box["height"] > 300
    first = rows.first.bounding_box()
    assert first is not None and first["y"] < SCREEN["height"]  # the list starts on the first screen too
    assert errors == [] and refused == []


def test_funding_is_read_from_its_dates(live_site: LiveSite, placed: dict[str, int],
                                        new_context: Callable[..., BrowserContext]) -> None:  # fmt: skip
    page = new_context("link-worker", viewport=SCREEN).new_page()
    page.goto(NEARBY)
    ended = page.locator("li.result", has=page.get_by_role("link", name="Harbour Lunch Club"))
    expect(ended.locator(".funding")).to_have_text(re.compile(r"^Funding ended \d{1,2} \w{3} \d{4}$"))
    ending = page.locator("li.result", has=page.get_by_role("link", name="Seafront Men's Shed"))
    expect(ending.locator(".funding")).to_have_text("Funding ends in 3 weeks")
    expect(ended.locator(".result-line")).to_contain_text("A hot two-course lunch")
    assert page.get_by_text("Funded ended").count() == 0


def test_without_javascript_the_list_is_all_there_and_the_map_is_not_drawn(
    live_site: LiveSite, placed: dict[str, int], new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context("link-worker", viewport=SCREEN, java_script_enabled=False).new_page()
    page.goto(NEARBY)
    assert page.locator("ol.results > li.result").count() >= 3
    expect(page.get_by_role("link", name="Harbour Lunch Club")).to_be_visible()
    assert page.locator("#results-map .results-map-marker").count() == 0


def test_the_results_page_with_its_map_has_no_accessibility_violations(
    live_site: LiveSite, placed: dict[str, int], new_context: Callable[..., BrowserContext]
) -> None:
    from tests.browser.test_accessibility import _axe, _report

    script = resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
    page = new_context("link-worker", viewport=SCREEN, bypass_csp=True).new_page()
    page.goto(NEARBY)
    assert wait_for(page, "() => document.getElementById('results-map').getAttribute('data-drawn')")
    violations = _axe(page, script)
    assert violations == [], _report(violations)
