"""What people do, in a real browser: sign in by keyboard, search without JavaScript, edit, collide."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

import pytest

from tests.browser.conftest import LiveSite
from tests.conftest import PASSWORD

try:
    from playwright.sync_api import BrowserContext, Page, expect
except ImportError:
    if os.environ.get("CI"):
        raise  # CI installs the [test] extra: a missing package is a failure there, not a skip
    pytest.skip("the playwright package is not installed: pip install -e '.[test]'", allow_module_level=True)

NewContext = Callable[..., BrowserContext]


def _focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement ? document.activeElement.id : ''"))


def _tab_to(page: Page, selector: str, limit: int = 60) -> int:
    """Press Tab until the element matching this CSS selector has focus; returns how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("selector => !!document.activeElement?.matches(selector)", selector):
            return presses
    raise AssertionError(f"{selector} never took focus after {limit} presses of Tab")


def test_sign_in_by_keyboard_alone_lands_a_link_worker_on_search(page: Page, live_site: LiveSite) -> None:
    page.goto("/login")
    page.keyboard.press("Tab")
    skip_link = page.locator(":focus")
    expect(skip_link).to_have_text("Skip to content")  # the first stop skips the navigation
    expect(skip_link).to_be_in_viewport()  # and shows itself when focused
    _tab_to(page, "#email")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.type(live_site.emails["link-worker"])
    page.keyboard.press("Tab")
    assert _focused_id(page) == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_site.url}/")
    expect(page.get_by_role("button", name=re.compile("Sign out"))).to_be_visible()
    expect(page.locator("#q")).to_be_visible()  # the search a link worker came for


def test_search_and_open_a_listing_by_keyboard_alone(page: Page, live_site: LiveSite) -> None:
    page.goto("/")
    _tab_to(page, "input[name=q]")
    page.keyboard.type("walking")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"[?&]q=walking"))
    _tab_to(page, f"a[href='/services/{live_site.ids['walking']}']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_site.url}/services/{live_site.ids['walking']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Walking for Wellbeing")


def test_wrong_password_by_keyboard_is_refused_with_an_alert(page: Page, live_site: LiveSite) -> None:
    page.goto("/login")
    _tab_to(page, "#email")
    page.keyboard.type(live_site.emails["admin"])
    page.keyboard.press("Tab")
    page.keyboard.type("not the password at all")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    assert page.url == f"{live_site.url}/login"


def test_search_works_with_javascript_switched_off(new_context: NewContext, live_site: LiveSite) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/")
    search = page.get_by_role("search")
    search.locator("[name=q]").fill("walking")
    need = search.locator("[name=category]").first
    if need.evaluate("element => element.tagName") == "SELECT":
        need.select_option("physical-activity")
    else:  # a checkbox per need, perhaps folded away in a <details> that opens without scripts
        box = search.locator("input[name=category][value=physical-activity]")
        if not box.is_visible():
            search.locator("details", has=page.locator("input[name=category][value=physical-activity]")).locator(
                "summary"
            ).click()
        box.check()
    search.locator("[name=q]").press("Enter")
    page.wait_for_url(re.compile(r"[?&]q=walking"))
    assert "category=physical-activity" in page.url
    expect(page.get_by_role("link", name="Walking for Wellbeing")).to_be_visible()
    expect(page.get_by_role("link", name="Tuesday Craft Circle")).to_have_count(0)

    search.locator("[name=q]").fill("craft")
    search.get_by_role("button").last.click()  # the submit button, by mouse this time
    page.wait_for_url(re.compile(r"[?&]q=craft"))
    expect(page.get_by_role("link", name="Walking for Wellbeing")).to_have_count(0)


def test_an_edit_saved_in_the_browser_appears_in_the_history(new_context: NewContext, live_site: LiveSite) -> None:
    service_id = live_site.make_service(name="Seaside Knit and Natter")
    page = new_context("admin").new_page()
    page.goto(f"/staff/services/{service_id}/edit")
    page.fill("#name", "Seaside Knit, Natter and Tea")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"{live_site.url}/staff/services/{service_id}")
    expect(page.get_by_role("status")).to_contain_text("Saved")
    page.goto(f"/staff/services/{service_id}/history")
    expect(page.get_by_role("heading", level=1)).to_have_text("History of Seaside Knit, Natter and Tea")
    rows = page.locator("table.revisions tbody tr")
    expect(rows).to_have_count(2)
    newest = rows.first
    expect(newest).to_contain_text("update")
    expect(newest).to_contain_text(live_site.emails["admin"])
    newest.locator("summary").click()  # open the diff, as a reader would
    expect(newest.locator("del", has_text="Seaside Knit and Natter")).to_be_visible()
    expect(newest.locator("ins", has_text="Seaside Knit, Natter and Tea")).to_be_visible()
    assert live_site.service_name(service_id) == "Seaside Knit, Natter and Tea"


def test_a_stale_edit_is_refused_and_the_first_save_kept(new_context: NewContext, live_site: LiveSite) -> None:
    service_id = live_site.make_service(name="Harbour Singers")
    first = new_context("admin").new_page()  # two sessions: two people with the form open at once
    second = new_context("link-worker").new_page()
    for page in (first, second):
        page.goto(f"/staff/services/{service_id}/edit")
    first.fill("#name", "Harbour Singers (Mondays)")
    second.fill("#name", "Harbour Singers (Thursdays)")

    first.get_by_role("button", name="Save", exact=True).click()
    first.wait_for_url(f"{live_site.url}/staff/services/{service_id}")
    with second.expect_response(f"{live_site.url}/staff/services/{service_id}/edit") as answer:
        second.get_by_role("button", name="Save", exact=True).click()
    assert answer.value.status == 409
    expect(second.get_by_role("alert")).to_contain_text("changed by someone else")
    expect(second.locator("#name")).to_have_value("Harbour Singers (Thursdays)")  # their typing is not lost

    assert live_site.service_name(service_id) == "Harbour Singers (Mondays)"
    second.goto(f"/staff/services/{service_id}")
    expect(second.get_by_role("heading", level=1)).to_contain_text("Harbour Singers (Mondays)")


def test_search_by_postcode_add_two_to_the_basket_and_open_the_sheet(
    new_context: NewContext, live_site: LiveSite
) -> None:
    near = live_site.make_service(
        name="Bingo and a brew", phone="01253 470470", categories=["loneliness"], referral_routes=["self"],
        locations=[{"name": "Church hall", "address_1": "2 North Road", "city": "Blackpool", "postcode": "FY1 2AA"}],
    )  # fmt: skip
    assert near
    page = new_context("link-worker").new_page()
    page.goto("/")
    search = page.get_by_role("search")
    search.locator("[name=postcode]").fill("FY1 3AB")
    search.locator("[name=sort]").select_option("nearest")
    search.locator("[name=postcode]").press("Enter")
    page.wait_for_url(re.compile(r"postcode=FY1"))
    results = page.locator("ol.results > li")
    expect(results.first).to_contain_text("Tuesday Craft Circle")
    expect(results.first).to_contain_text("1.0 km")
    page.get_by_role("button", name="Add Tuesday Craft Circle to the signposting sheet").click()
    page.get_by_role("button", name="Add Bingo and a brew to the signposting sheet").click()
    page.get_by_role("link", name=re.compile(r"Signposting sheet \(2\)")).click()
    expect(page.locator("ol.basket > li")).to_have_count(2)
    page.get_by_label("A note for your client (optional)").fill("Bring a friend if you like.")
    page.get_by_role("button", name="Print the sheet").click()
    entries = page.locator("section.entry")
    expect(entries).to_have_count(2)
    expect(entries.nth(1)).to_contain_text("01253 470470")
    expect(page.locator(".note")).to_contain_text("Bring a friend if you like.")
    drawn = page.eval_on_selector_all("img.qr", "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)")
    assert drawn == [True, True]
