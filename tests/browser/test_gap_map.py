"""The gap map in headless Chromium: polygons and markers draw from our own origin, and hostile names stay text."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from directory.core.db import db
from directory.models.gaps import Lsoa
from tests.browser.conftest import LiveSite
from tests.directory.gaps import gap_world

try:
    from playwright.sync_api import BrowserContext, Page, Route
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("the playwright package is not installed: pip install -e '.[test]'", allow_module_level=True)

MAP = "/gaps/map?la=E06000009&category=carers"


@pytest.fixture(scope="module")
def gap_site(live_site: LiveSite, tmp_path_factory: pytest.TempPathFactory) -> LiveSite:
    """The live site with the hand-worked gap world loaded (once; other modules may have loaded it first)."""
    with live_site.app.app_context():
        if db.session.query(Lsoa).filter(Lsoa.code == gap_world.CODES[0]).first() is None:
            gap_world.seed(db.session, live_site.app.config, tmp_path_factory.mktemp("gap-files"))
        db.session.remove()
    return live_site


def loopback_only(context: BrowserContext, live_site: LiveSite) -> list[str]:
    """Refuse every request that is not to the live site; return the list of refused URLs."""
    refused: list[str] = []

    def route(route: Route) -> None:
        if route.request.url.startswith(live_site.url):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    return refused


def wait_for(page: Page, expression: str, timeout_s: float = 10.0) -> Any:
    """Poll an expression from outside: the page's CSP (rightly) forbids the eval wait_for_function needs."""
    deadline = time.monotonic() + timeout_s
    value = page.evaluate(expression)
    while not value and time.monotonic() < deadline:
        time.sleep(0.05)
        value = page.evaluate(expression)
    return value


def test_the_map_draws_polygons_and_markers_with_no_network_beyond_loopback(
    gap_site: LiveSite, new_context: Callable[..., BrowserContext]
) -> None:
    context = new_context("community-development")
    refused = loopback_only(context, gap_site)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(MAP)
    polygons = wait_for(page, "() => document.querySelectorAll('.folium-map path.leaflet-interactive').length >= 3")
    assert polygons, "the LSOA polygons did not draw"
    assert page.locator(".folium-map path.leaflet-interactive").count() == 3
    assert wait_for(page, "() => document.querySelectorAll('.folium-map .leaflet-marker-icon').length > 0")
    assert page.locator(".leaflet-control-layers-base input[type=radio]").count() == 3
    assert page.locator(".gap-legend").is_visible()
    assert errors == [] and refused == []


def test_an_areas_tooltip_and_figures_name_the_place_without_its_code(
    gap_site: LiveSite, new_context: Callable[..., BrowserContext]
) -> None:
    """Issue 22: a community development worker hovering or clicking an area reads its name, never a code."""
    context = new_context("community-development", viewport=SCREEN)
    loopback_only(context, gap_site)
    page = context.new_page()
    page.goto(MAP)
    assert wait_for(page, "() => document.querySelectorAll('.folium-map path.leaflet-interactive').length >= 3")
    area = page.locator(".folium-map path.leaflet-interactive").nth(1)  # the middle area: no marker over it
    area.hover()
    # not the authority's own label; the pointer may cross a neighbouring area on its way, whose tooltip can linger
    tooltips = page.locator(".leaflet-tooltip:not(.gap-place-label)")
    tooltip = tooltips.filter(has_text="around FY4 1:")
    tooltip.first.wait_for()
    # more than one of the map's layers may draw the area, each with the same tooltip
    assert set(tooltip.all_inner_texts()) == {"Blackpool, around FY4 1: click for its figures"}
    assert not any(re.search(r"E0\d{7}|LSOA", text) for text in tooltips.all_inner_texts())
    area.click()
    figures = page.locator(".leaflet-popup-content .gap-figures")
    figures.wait_for()
    assert figures.locator("strong").inner_text() == "Blackpool, around FY4 1"
    assert not re.search(r"E0\d{7}|LSOA", figures.inner_text()), figures.inner_text()


def test_a_hostile_service_name_in_a_popup_stays_text(
    gap_site: LiveSite, new_context: Callable[..., BrowserContext], tmp_path: Path
) -> None:
    context = new_context("community-development")
    loopback_only(context, gap_site)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(MAP)
    assert wait_for(page, "() => document.querySelectorAll('.folium-map .leaflet-marker-icon').length > 0")
    marker = page.locator(f'.folium-map img.leaflet-marker-icon[alt="{gap_world.HOSTILE}"]')
    marker.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.locator("strong").inner_text() == gap_world.HOSTILE
    assert popup.locator("img").count() == 0 and popup.locator("b").count() == 0
    assert popup.locator("a").get_attribute("href").startswith("/staff/services/")
    page.wait_for_timeout(200)
    assert dialogs == []


def test_the_map_page_has_no_accessibility_violations(
    gap_site: LiveSite, new_context: Callable[..., BrowserContext]
) -> None:
    """The map page with its data drawn (PAGES in test_accessibility checks it too, with whatever data it has)."""
    from tests.browser.test_accessibility import _axe, _report

    script = resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
    page = new_context("community-development", bypass_csp=True).new_page()  # axe goes in through DevTools
    page.goto(MAP)
    assert wait_for(page, "() => document.querySelectorAll('.folium-map path.leaflet-interactive').length >= 3")
    violations = _axe(page, script)
    assert violations == [], _report(violations)


def test_the_map_of_local_authorities_draws_and_opens_an_authoritys_own_map(
    gap_site: LiveSite, new_context: Callable[..., BrowserContext]
) -> None:
    context = new_context("community-development")
    refused = loopback_only(context, gap_site)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/gaps/map?scope=england&category=carers")
    assert wait_for(page, "() => document.querySelectorAll('.folium-map path.leaflet-interactive').length >= 1")
    assert page.locator(".gap-legend-note").is_visible()
    assert page.locator(".folium-map .leaflet-marker-icon").count() == 0  # figures per authority, not markers
    blackpool = page.locator(".folium-map path.leaflet-interactive").first
    blackpool.click()
    figures = page.locator(".leaflet-popup-content .gap-figures")
    figures.wait_for()
    assert "Worked out from its" in figures.inner_text() and figures.locator("img").count() == 0
    figures.get_by_role("link", name="Open its map of neighbourhoods").click()
    page.wait_for_url("**/gaps/map?category=carers&la=*")
    assert wait_for(page, "() => document.querySelectorAll('.folium-map path.leaflet-interactive').length >= 3")
    assert errors == [] and refused == []


SCREEN = {"width": 1280, "height": 900}


def _boxes(page: Page, selector: str) -> list[dict[str, float]]:
    return [box for box in (element.bounding_box() for element in page.locator(selector).all()) if box]


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])  # fmt: skip


def test_at_1280x900_the_map_is_above_the_fold_with_one_legend_that_covers_no_area(
    gap_site: LiveSite, new_context: Callable[..., BrowserContext]
) -> None:
    context = new_context("community-development", viewport=SCREEN)
    refused = loopback_only(context, gap_site)
    page = context.new_page()
    page.goto(MAP)
    assert wait_for(page, "() => document.querySelectorAll('.folium-map path.leaflet-interactive').length >= 3")
    box = page.locator(".folium-map").bounding_box()
    assert box is not None
    assert box["y"] < SCREEN["height"] / 3 and box["y"] + box["height"] <= SCREEN["height"], box  # the whole map
    assert box["width"] > SCREEN["width"] / 2 and box["height"] > 400, box
    # Leaflet animates the zoom to the fitted view (about a quarter of a second): measure once it has settled.
    assert wait_for(page, "() => !document.querySelector('.leaflet-zoom-anim')")
    time.sleep(0.5)
    areas = _boxes(page, ".folium-map path.leaflet-interactive")
    assert len(areas) == 3
    # The map is fitted to the areas: each is whole inside the map's box.
    assert all(box["x"] <= a["x"] and a["x"] + a["width"] <= box["x"] + box["width"] and box["y"] <= a["y"]
               and a["y"] + a["height"] <= box["y"] + box["height"] for a in areas), (box, areas)  # fmt: skip

    def legends() -> list[dict[str, float]]:
        shown = [legend for legend in page.locator(".gap-legend").all() if legend.is_visible()]
        assert len(shown) == 1, "exactly one legend on show"
        sections = [s for s in shown[0].locator("[data-layer]").all() if s.is_visible()]
        assert len(sections) == 1, "the legend keys the one colouring on show"
        return _boxes(page, ".gap-legend")

    legend = legends()
    assert page.locator(".gap-legend [data-layer=s]").is_visible()
    assert not any(_overlap(legend[0], area) for area in areas), (legend, areas)
    # No control sits over the areas either: the layer chooser is beside the map.
    chooser = page.locator(".leaflet-control-layers").bounding_box()
    assert chooser is not None and not any(_overlap(chooser, area) for area in areas), (chooser, areas)
    page.get_by_label("Deprivation (IMD decile)").check()
    assert wait_for(page, "() => !document.querySelector('.gap-legend [data-layer=d]').hidden")
    legend = legends()
    assert page.locator(".gap-legend [data-layer=d]").is_visible()
    assert not any(_overlap(legend[0], area) for area in _boxes(page, ".folium-map path.leaflet-interactive"))
    assert refused == []


def test_clicking_an_area_opens_its_figures_and_a_link_to_its_page(
    gap_site: LiveSite, new_context: Callable[..., BrowserContext]
) -> None:
    context = new_context("community-development", viewport=SCREEN)
    loopback_only(context, gap_site)
    page = context.new_page()
    page.goto(MAP)
    assert wait_for(page, "() => document.querySelectorAll('.folium-map path.leaflet-interactive').length >= 3")
    page.locator(".folium-map path.leaflet-interactive").nth(1).click()
    figures = page.locator(".leaflet-popup-content .gap-figures")
    figures.wait_for()
    text = figures.inner_text()
    assert "IMD decile" in text and "Gap score" in text and "Nearest Carers" in text
    link = figures.get_by_role("link", name="Open the area page")
    code = link.get_attribute("href").removeprefix("/gaps/areas/")
    assert code in gap_world.CODES and code not in text  # the link holds the code; the words do not
    link.click()
    page.wait_for_url(f"**/gaps/areas/{code}")


def test_the_authority_outline_and_its_name_are_drawn_over_the_areas(
    gap_site: LiveSite, new_context: Callable[..., BrowserContext]
) -> None:
    context = new_context("community-development", viewport=SCREEN)
    loopback_only(context, gap_site)
    page = context.new_page()
    page.goto(MAP)
    assert wait_for(page, "() => document.querySelectorAll('.leaflet-gapOutlines-pane path').length >= 1")
    label = page.locator(".gap-place-label")
    assert label.count() == 1 and label.inner_text() == "Blackpool"
    # The outline never takes a click meant for an area.
    assert page.locator(".leaflet-gapOutlines-pane path.leaflet-interactive").count() == 0
