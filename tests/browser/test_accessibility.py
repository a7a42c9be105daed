"""WCAG 2.2 AA: axe-core, run in Chromium on every page, reports no violations.

axe-core comes from PyPI: the ``axe-playwright-python`` package ships ``axe.min.js``. We read that
file and call ``axe.run`` ourselves, so the rule tags are ours to choose.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any

import pytest
from werkzeug.exceptions import NotFound

from tests.browser.conftest import TIMEOUT_MS, LiveSite, missing

try:
    from playwright.sync_api import Browser, BrowserContext, Page
except ImportError:
    if os.environ.get("CI"):
        raise  # CI installs the [test] extra: a missing package is a failure there, not a skip
    pytest.skip("the playwright package is not installed: pip install -e '.[test]'", allow_module_level=True)

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# (who is looking, path with {seeded ids}); every page a person can reach by GET.
PAGES: dict[str, tuple[str | None, str]] = {
    "public index": (None, "/"),
    "public search results": (None, "/?q=walking&category=physical-activity"),
    "public search, nothing found": (None, "/?q=zzzzqqq"),
    "staff search results": ("link-worker", "/?q=craft"),
    "public service": (None, "/services/{service}"),
    "public organisation": (None, "/organisations/{organization}"),
    "sign in": (None, "/login"),
    "not found": (None, "/no-such-page"),
    "staff listings": ("admin", "/staff/"),
    "staff listings, archived shown": ("admin", "/staff/?archived=yes"),
    "staff service": ("admin", "/staff/services/{service}"),
    "edit service": ("admin", "/staff/services/{service}/edit"),
    "new service": ("admin", "/staff/services/new"),
    "service history": ("admin", "/staff/services/{service}/history"),
    "organisations": ("admin", "/staff/organisations/"),
    "new organisation": ("admin", "/staff/organisations/new"),
    "edit organisation": ("admin", "/staff/organisations/{organization}/edit"),
    "organisation history": ("admin", "/staff/organisations/{organization}/history"),
    "archive a service?": ("admin", "/staff/services/{service}/archive"),
    "archive an organisation?": ("admin", "/staff/organisations/{organization}/archive"),
    "categories": ("admin", "/admin/categories"),
    "users": ("admin", "/admin/users"),
    "synonyms": ("admin", "/admin/synonyms"),
    "group editor's listings": ("group-editor", "/staff/"),
    "group editor's service form": ("group-editor", "/staff/services/{service}/edit"),
    "signposting basket": ("link-worker", "/basket/"),
    "forbidden": ("group-editor", "/admin/users"),
    # pages: gaps (issue 4)
    "gap map": ("community-development", "/gaps/map"),
    "gap score explained": ("community-development", "/gaps/score"),
    "search results by postcode, with their map": ("link-worker", "/?postcode=FY1+3AB&radius=10"),
    "gap table": ("community-development", "/gaps/table"),
    "funding risk": ("community-development", "/gaps/funding-risk"),
    "gap map, all of England by local authority": ("community-development", "/gaps/map?scope=england"),
    "gap table by local authority": ("community-development", "/gaps/table?level=authority"),
    # pages: backlog (issue 5)
    "flag a gap": ("link-worker", "/flags/new?category=carers&postcode=FY1+1AD&from=search"),
    "backlog board": ("community-development", "/backlog/"),
    "backlog list": ("community-development", "/backlog/list"),
    # pages: groups (issue 6)
    "ask to be listed": (None, "/listings/request"),
    "requests to be listed": ("admin", "/staff/listing-requests"),
    "group listings, signed out": (None, "/group/"),
    "adding a service without a group's link (forbidden)": (None, "/group/organisations/{organization}/services/new"),
    "edit link page with no link held": (None, "/group/link"),
    "still running page with no link held": (None, "/group/confirm"),
    "we have stopped page with no link held": (None, "/group/stopped"),
    "unsubscribe page with no link held": (None, "/group/unsubscribe"),
    "changes from groups": ("admin", "/staff/group-changes"),
    "listings to follow up": ("link-worker", "/staff/follow-ups"),
    "scheduled jobs": ("admin", "/admin/jobs"),
    "ask to manage a listing": (None, "/organisations/{organization}/claim"),
    "requests to manage listings": ("admin", "/staff/listing-claims"),
    # pages: imports (issue 7)
    "imports": ("admin", "/admin/imports/"),
    "import a spreadsheet": ("admin", "/admin/imports/spreadsheet"),
    "possible duplicates": ("admin", "/admin/imports/merges"),
}
# Whole blueprints that answer programs, not people: JSON (and CSV/GeoJSON exports).
JSON_PREFIXES = ("/api/oruk/",)
# GET routes without URL parameters that are not pages for people, and why.
NOT_PAGES = {
    "/healthz": "JSON for monitors",
    "/api/search": "JSON for programs",
    "/api/oruk/": "JSON for programs (ORUK API)",
    "/api/oruk/services": "JSON for programs (ORUK API)",
    "/api/oruk/taxonomies": "JSON for programs (ORUK API)",
    "/api/oruk/taxonomy_terms": "JSON for programs (ORUK API)",
    "/api/oruk/service_at_locations": "JSON for programs (ORUK API)",
    "/api/oruk/export/services.csv": "CSV export",
    "/api/oruk/export/services.geojson": "GeoJSON export",
}


@pytest.fixture(scope="module")
def axe_script() -> str:
    try:
        script = resources.files("axe_playwright_python").joinpath("axe.min.js")
    except ModuleNotFoundError:
        missing("axe-core is not installed: the axe-playwright-python package ships it (pip install -e '.[test]')")
    return script.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page_as(
    browser: Browser, live_site: LiveSite, signed_in_states: Callable[[str], Any]
) -> Iterator[Callable[[str | None], Page]]:
    """One page per role for the whole module, so each check costs a navigation, not a sign-in."""
    contexts: dict[str | None, BrowserContext] = {}
    pages: dict[str | None, Page] = {}

    def get(role: str | None) -> Page:
        if role not in pages:
            state = signed_in_states(role) if role else None
            # axe is injected through the DevTools protocol; a future Content-Security-Policy must not block it.
            contexts[role] = browser.new_context(base_url=live_site.url, storage_state=state, bypass_csp=True)
            contexts[role].set_default_timeout(TIMEOUT_MS)
            pages[role] = contexts[role].new_page()
        return pages[role]

    yield get
    for context in contexts.values():
        context.close()


def _axe(page: Page, axe_script: str) -> list[dict[str, Any]]:
    """Inject axe-core into the page and return its WCAG 2.2 A/AA violations."""
    page.evaluate(axe_script)
    results = page.evaluate(
        "options => axe.run(document, options)",
        {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    assert results["testEngine"]["name"] == "axe-core"
    return list(results["violations"])


def _report(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}")
            lines.append(f"      {node.get('failureSummary', '').replace(chr(10), ' ')}")
    return "\n".join(lines)


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_axe_violations(
    name: str, page_as: Callable[[str | None], Page], live_site: LiveSite, axe_script: str
) -> None:
    role, template = PAGES[name]
    page = page_as(role)
    response = page.goto(live_site.path(template))
    assert response is not None
    expected = 404 if name == "not found" or name.endswith("with no link held") else 200
    expected = 403 if name == "forbidden" or name.endswith("(forbidden)") else expected
    assert response.status == expected, f"{name}: {template} answered {response.status}"
    violations = _axe(page, axe_script)
    assert violations == [], f"{name} ({template}):\n{_report(violations)}"
    # What is folded away (filters, revision diffs) is read too, as someone who opens it would see it.
    if page.evaluate(
        "() => { const all = document.querySelectorAll('details'); all.forEach(d => d.open = true); return all.length }"
    ):
        violations = _axe(page, axe_script)
        assert violations == [], f"{name} ({template}), every <details> open:\n{_report(violations)}"


def test_axe_reports_violations_it_is_shown(page_as: Callable[[str | None], Page], axe_script: str) -> None:
    """The harness itself: a page with known faults must fail, or a silent axe would pass everything."""
    page = page_as(None)
    page.set_content(
        '<html><head><title>Faulty</title></head><body><main><h1>Faulty</h1><input type="text">'
        '<p style="color:#aaa;background:#fff">Pale text</p></main></body></html>'
    )
    found = {violation["id"] for violation in _axe(page, axe_script)}
    assert {"label", "color-contrast", "html-has-lang"} <= found


def test_every_page_without_url_parameters_is_checked(live_site: LiveSite) -> None:
    """A new GET page must be added to PAGES (or NOT_PAGES, with a reason), so axe reads it too."""
    checked = {template.split("?")[0] for _, template in PAGES.values()}
    unchecked = sorted(
        rule.rule
        for rule in live_site.app.url_map.iter_rules()
        if "GET" in (rule.methods or set()) and not rule.arguments and rule.rule not in checked | set(NOT_PAGES)
    )
    assert unchecked == [], f"add these pages to PAGES in {__name__}: {unchecked}"


def test_every_blueprint_with_pages_is_checked(live_site: LiveSite) -> None:
    """Pages with URL parameters too: every blueprint that serves HTML appears in PAGES at least once."""
    adapter = live_site.app.url_map.bind("127.0.0.1")
    covered = set()
    for _, template in PAGES.values():
        try:
            endpoint, _ = adapter.match(live_site.path(template).split("?")[0], method="GET")
        except NotFound:  # the 404 page matches no route, on purpose
            continue
        covered.add(str(endpoint).split(".")[0])
    blueprints = {
        str(rule.endpoint).split(".")[0]
        for rule in live_site.app.url_map.iter_rules()
        if "GET" in (rule.methods or set())
        and rule.rule not in NOT_PAGES
        and rule.endpoint != "static"
        and not rule.rule.startswith(JSON_PREFIXES)
    }
    assert blueprints - covered == set()
