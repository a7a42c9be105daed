"""The area page's map in headless Chromium: the area's outline and the services near it draw under the strict
CSP, with no base map and no network beyond loopback; axe finds nothing (issue 22)."""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import resources

import pytest

from tests.browser.conftest import LiveSite
from tests.browser.test_gap_map import gap_site, loopback_only, wait_for
from tests.directory.gaps import gap_world

try:
    from playwright.sync_api import BrowserContext
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("the playwright package is not installed: pip install -e '.[test]'", allow_module_level=True)

__all__ = ["gap_site"]  # the fixture, shared with the gap map's tests
AREA = f"/gaps/areas/{gap_world.CODES[1]}?category=carers"
DRAWN = "() => document.querySelectorAll('.area-map .folium-map path.leaflet-interactive').length"


def test_the_area_map_draws_the_outline_and_the_service_near_it(
    gap_site: LiveSite, new_context: Callable[..., BrowserContext]
) -> None:
    context = new_context("community-development")
    refused = loopback_only(context, gap_site)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(AREA)
    assert wait_for(page, DRAWN), "the area's outline did not draw"
    assert page.evaluate(DRAWN) == 1
    assert wait_for(page, "() => document.querySelectorAll('.area-map .leaflet-marker-icon').length > 0")
    assert page.locator(f'.area-map img.leaflet-marker-icon[alt="{gap_world.HOSTILE}"]').count() == 1
    assert page.locator("#gap-controls .leaflet-control-layers").count() == 1  # the chooser sits beside the map
    assert page.locator("h1").inner_text() == "Blackpool, around FY4 1"
    assert errors == [] and refused == []


def test_the_area_page_has_no_accessibility_violations(
    gap_site: LiveSite, new_context: Callable[..., BrowserContext]
) -> None:
    from tests.browser.test_accessibility import _axe, _report

    script = resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
    page = new_context("community-development", bypass_csp=True).new_page()  # axe goes in through DevTools
    page.goto(AREA)
    assert wait_for(page, DRAWN)
    page.locator("details.score-formula").first.evaluate("(d) => { d.open = true; }")
    violations = _axe(page, script)
    assert violations == [], _report(violations)


def test_without_javascript_the_area_page_still_holds_its_words_and_tables(
    gap_site: LiveSite, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context("community-development", java_script_enabled=False).new_page()
    page.goto(AREA)
    assert page.locator("p.score-words").first.inner_text().startswith("Among the 50% most deprived")
    assert page.get_by_role("link", name=gap_world.HOSTILE).count() == 1
    assert page.locator(".area-map path").count() == 0  # the map is extra; nothing else depends on it
