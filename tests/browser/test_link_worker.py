"""A link worker by keyboard alone, in Chromium at 1366x768 and at 200% zoom (issue 22): the results are
announced and in view, three services go on the sheet in at most ten key presses without losing place, and
the same works without JavaScript. axe-core reports nothing on each page reached."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any

import pytest

from tests.browser.conftest import LiveSite
from tests.browser.test_accessibility import _axe, _report

try:
    from playwright.sync_api import BrowserContext, Page, expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("the playwright package is not installed: pip install -e '.[test]'", allow_module_level=True)

NewContext = Callable[..., BrowserContext]
LAPTOP = {"viewport": {"width": 1366, "height": 768}}
# 200% zoom on that screen: half the CSS pixels, each drawn twice.
ZOOMED = {"viewport": {"width": 683, "height": 384}, "device_scale_factor": 2}
WORD = "Wombat"  # in every name below and nowhere else, so the search finds exactly these
MAX_PRESSES = 10


def _focused(page: Page) -> dict[str, Any]:
    """What has focus, read through locators: page.evaluate does not run in a page without JavaScript."""
    toggle = page.locator("form.sheet-toggle button:focus")
    if not toggle.count():
        return {"toggle": False, "text": "", "card": ""}
    card = page.locator("li.result:has(form.sheet-toggle button:focus)").get_attribute("id") or ""
    return {"toggle": True, "text": " ".join(toggle.inner_text().split()), "card": card}


@pytest.fixture(scope="module")
def axe_js() -> str:
    """axe-core, as the accessibility module reads it (the axe-playwright-python package ships it)."""
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def wombats(live_site: LiveSite) -> Iterator[list[tuple[int, str]]]:
    """Four debt services around FY1 2AA, each with a place, so the search by postcode finds them all;
    archived after this module, as they are nearer the seeded postcodes than anything other modules expect."""
    made = []
    for n, where in enumerate(("FY1 2AA", "FY1 1AD", "FY1 3AB", "FY1 2AA")):
        name = f"{WORD} debt clinic {n + 1}"
        service_id = live_site.make_service(
            name=name, categories=["debt-benefits"], phone=f"01253 40000{n}",
            locations=[{"name": "Advice centre", "address_1": f"{n + 1} Market Street", "city": "Blackpool",
                        "postcode": where}],
        )  # fmt: skip
        made.append((service_id, name))
    yield made
    for service_id, _ in made:
        live_site.archive_service(service_id)


def _search_by_keyboard(page: Page) -> int:
    """From the search page, by keyboard: the words, then the postcode, then Enter. Returns presses used."""
    page.goto("/")
    presses = 0
    while not page.locator("#q:focus").count():
        page.keyboard.press("Tab")
        presses += 1
        assert presses < 30, "the search box was not reached by Tab"
    page.keyboard.type(WORD)
    page.keyboard.press("Tab")
    page.keyboard.type("FY1 2AA")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return presses


def _in_view(page: Page, selector: str, height: int) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= -1 and box["y"] + min(box["height"], 40) <= height


def _add_three(page: Page) -> tuple[int, list[str]]:
    """Tab and Enter only, from where the results page put focus, until three results are on the sheet."""
    presses, added = 0, []
    while len(added) < 3 and presses < 40:
        page.keyboard.press("Tab")
        presses += 1
        focused = _focused(page)
        if focused["toggle"] and focused["text"].startswith("Add"):
            card = focused["card"]
            page.keyboard.press("Enter")
            presses += 1
            status = page.locator(f"#{card} .sheet-said")
            expect(status).to_have_text(re.compile(rf"^Added {WORD} debt clinic \d to the signposting sheet"))
            added.append(card)
            after = _focused(page)
            assert after["toggle"] and after["card"] == card, after  # focus stays on the card's button
            assert after["text"].startswith("Remove"), after
            expect(page.locator(f"#{card} .on-sheet-label")).to_be_visible()
    return presses, added


def _no_violations(page: Page, axe_js: str) -> None:
    violations = _axe(page, axe_js)
    assert violations == [], _report(violations)


@pytest.mark.parametrize("screen", ["1366x768", "200% zoom"])
def test_results_are_announced_and_three_go_on_the_sheet_in_ten_key_presses(
    live_site: LiveSite, wombats: list[tuple[int, str]], new_context: NewContext, axe_js: str, screen: str
) -> None:
    size = LAPTOP if screen == "1366x768" else ZOOMED
    page = new_context("link-worker", **size).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    _search_by_keyboard(page)
    said = f"4 services for ‘{WORD}’ near FY1 2AA"
    expect(page).to_have_title(f"{said} – Search · Community asset directory")
    expect(page.locator("#results-status")).to_have_text(said)
    expect(page.locator("#results")).to_be_focused()
    assert _in_view(page, "#results", size["viewport"]["height"])  # type: ignore[index]
    presses, added = _add_three(page)
    assert len(added) == 3 and presses <= MAX_PRESSES, (presses, added)
    expect(page.get_by_role("link", name="Signposting sheet (3)")).to_be_visible()
    assert errors == []  # the script ran under the Content-Security-Policy: nothing refused, nothing thrown
    _no_violations(page, axe_js)
    page.goto("/basket/")
    expect(page.locator("ol.basket > li")).to_have_count(3)
    # Off again from the card, in place: one Enter on the focused "Remove".
    page.goto(f"/?q={WORD}&postcode=FY1+2AA")
    page.locator(f"#{added[0]} form.sheet-toggle button").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#{added[0]} .sheet-said")).to_have_text(re.compile(r"^Took .* off the signposting sheet"))
    expect(page.locator(f"#{added[0]} .on-sheet-label")).to_be_hidden()
    expect(page.get_by_role("link", name="Signposting sheet (2)")).to_be_visible()


@pytest.mark.parametrize("screen", ["1366x768", "200% zoom"])
def test_without_javascript_the_search_lands_on_the_results_and_adding_comes_back_to_the_card(
    live_site: LiveSite, wombats: list[tuple[int, str]], new_context: NewContext, axe_js: str, screen: str
) -> None:
    size = LAPTOP if screen == "1366x768" else ZOOMED
    height = size["viewport"]["height"]  # type: ignore[index]
    page = new_context("link-worker", java_script_enabled=False, **size).new_page()
    _search_by_keyboard(page)
    assert page.url.endswith("#results")
    assert _in_view(page, "#results", height)
    presses, added = 0, []
    while len(added) < 3 and presses < 40:
        page.keyboard.press("Tab")  # from the #results target: the browser's Tab starts there
        presses += 1
        focused = _focused(page)
        if focused["toggle"] and focused["text"].startswith("Add"):
            with page.expect_navigation():
                page.keyboard.press("Enter")
            presses += 1
            card = focused["card"]
            assert page.url.endswith(f"#{card}")
            assert _in_view(page, f"#{card}", height)
            expect(page.locator(f"#{card} .sheet-said")).to_contain_text("to the signposting sheet")
            expect(page.locator(f"#{card} .on-sheet-label")).to_have_text("On the sheet")
            added.append(card)
    assert len(added) == 3 and presses <= MAX_PRESSES + 3, (presses, added)  # a page load each: Tab restarts nearby
    # axe-core is itself a script, so it cannot run in this page (page.evaluate waits for ever there). It
    # checks the same server-rendered page, with this session's sheet, in a context where scripts run.
    context_with_axe = new_context("link-worker", bypass_csp=True, **size)
    context_with_axe.add_cookies(page.context.cookies())
    check = context_with_axe.new_page()
    check.goto(page.url)
    expect(check.locator(".on-sheet-label:visible")).to_have_count(3)
    _no_violations(check, axe_js)
