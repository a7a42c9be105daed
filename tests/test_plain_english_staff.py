"""No official codes on the staff pages a community development worker or a link worker reads (issue 22).

An area is shown by the name people know it by ("Blackpool, around FY4 1"), a local authority by its name; the
official area code may wait one click away, inside a ``<details>`` that is closed until opened. So this test reads
what is on screen when a page opens: text nodes, not attributes or the values of inputs (a tick box's value may
stay a code, for the form to send), and not the inside of a closed ``<details>`` (its ``<summary>`` is read). It
checks that text for area codes and for the style guide's words to avoid (``tests/test_plain_english.py``). The
map's tooltips and popups are drawn by its script, so the words that script writes are checked too.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import event

from directory.backlog.flags import record_flag
from directory.core.db import db
from directory.gaps.cache import render_cache
from directory.models import Service, User
from tests.conftest import built_app, csrf_token
from tests.directory.gaps import gap_world
from tests.directory.gaps.gap_world import CODES, LAD
from tests.mailbox import db_session, make_listing, staff_client
from tests.test_plain_english import ADDRESSES, banned_words

AREA_CODE = re.compile(r"\b[EWSN]0\d{7}\b")


def on_screen(markup: bytes) -> list[str]:
    """The text a reader sees when the page opens: no scripts, attributes, input values or closed details."""
    page = BeautifulSoup(markup, "html.parser")
    for unread in page.find_all(["script", "style", "template", "input", "textarea", "select", "title"]):
        unread.decompose()
    for closed in page.find_all("details"):
        if not closed.has_attr("open"):
            for child in list(closed.children):
                if getattr(child, "name", None) != "summary":
                    child.extract()
    pieces = [ADDRESSES.sub(" ", str(node)).strip() for node in page.find_all(string=True)]
    return [piece for piece in pieces if piece and not piece.startswith("<!") and piece != "html"]


def codes_and_jargon(markup: bytes) -> list[str]:
    found = set()
    for piece in on_screen(markup):
        words = {f"{avoid!r} in {piece[:120]!r}" for avoid, pattern in banned_words() if pattern.search(piece)}
        if not words and AREA_CODE.search(piece):  # Welsh and Scottish codes too, which the guide's pattern is not
            words.add(f"an area code in {piece[:120]!r}")
        found |= words
    return sorted(found)


def test_the_reading_skips_closed_details_attributes_and_values_but_not_summaries() -> None:
    markup = (
        b'<p title="E06000009">Blackpool</p><input type="checkbox" value="E06000009">'
        b"<details><summary>Figures for E01012737</summary><p>LSOA E01012737</p></details>"
        b"<details open><p>Fylde E07000119</p></details><label>Burnley <span>E07000117</span></label>"
    )
    found = codes_and_jargon(markup)
    shown = ["'E07000117'", "'Figures for E01012737'", "'Fylde E07000119'"]
    assert [f.split(" in ", 1)[1] for f in found] == shown
    assert codes_and_jargon(b"<p>Cardiff W01001234</p>") == ["an area code in 'Cardiff W01001234'"]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with built_app("sqlite", tmp_path_factory.mktemp("instance")) as app:
        yield app


@pytest.fixture(scope="module")
def world(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The gap tests' world (three Blackpool areas scored for carers), a flag on the backlog, and a listing."""
    with db_session(app) as session:
        ids = gap_world.seed(session, app.config, tmp_path_factory.mktemp("gap-files"))
        worker = User(email="flagger@example.org", role="link-worker", password_hash="-", team="Layton PCN")
        session.add(worker)
        session.flush()
        saved = record_flag(session, {"category": "carers", "postcode": gap_world.POSTCODES["B"],
                                      "population_group": "carers", "urgency": "medium",
                                      "description": "No evening carers group within two buses."}, worker)  # fmt: skip
        ids["item"] = saved.item.id
        session.commit()
        ids["organization"] = session.get_one(Service, ids["fresh"]).organization_id
    ids["club"] = make_listing(app, name="Knit and natter", categories=["carers"], service_areas=[LAD, "E07000119"],
                               locations=[{"name": "Hall", "address_1": "2 Gap Street", "city": "Blackpool",
                                           "postcode": gap_world.POSTCODES["A"]}])  # fmt: skip
    return ids


def development_worker_pages(app: Flask, ids: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    client = staff_client(app, "community-development")
    for path in ("/gaps/map?category=carers", f"/gaps/map?la={LAD}&category=carers", "/gaps/table?category=carers",
                 f"/gaps/table?category=carers&la={LAD}", f"/gaps/areas/{CODES[0]}?category=carers",
                 f"/gaps/areas/{CODES[2]}?category=carers", "/backlog/", "/backlog/list", f"/backlog/{ids['item']}",
                 f"/backlog/{ids['item']}/summary", "/gaps/funding-risk", f"/staff/services/{ids['club']}/edit",
                 f"/staff/organisations/{ids['organization']}/edit", "/staff/services/new"):  # fmt: skip
        yield f"{path} (community development)", client.get(path)


def link_worker_pages(app: Flask, ids: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    client = staff_client(app, "link-worker")
    for path in ("/?q=knit", "/?q=carers&postcode=FY4+1AA", f"/services/{ids['club']}", "/backlog/",
                 f"/backlog/{ids['item']}", "/flags/new", "/staff/follow-ups"):  # fmt: skip
        yield f"{path} (link worker)", client.get(path)
    client.post("/basket/add", data={"service_id": ids["club"], "csrf_token": csrf_token(client, "/basket/")})
    token = csrf_token(client, "/basket/")
    yield "/basket/sheet", client.post("/basket/sheet", data={"postcode": "FY4 1AA", "csrf_token": token})


def test_staff_pages_show_no_codes_and_no_words_to_avoid(app: Flask, world: dict[str, Any]) -> None:
    found: dict[str, list[str]] = {}
    for path, response in [*development_worker_pages(app, world), *link_worker_pages(app, world)]:
        assert response.status_code == 200, path
        if words := codes_and_jargon(response.data):
            found[path] = words
    report = "\n".join(f"{path}:\n  " + "\n  ".join(words) for path, words in found.items())
    assert not found, f"codes or words to avoid (docs/style-guide.md) on staff pages:\n{report}"


def test_the_area_pages_name_the_place_and_keep_the_code_one_click_away(app: Flask, world: dict[str, Any]) -> None:
    page = BeautifulSoup(staff_client(app, "community-development").get(f"/gaps/areas/{CODES[0]}").data,
                         "html.parser")  # fmt: skip
    assert "Blackpool, around FY4 1" in page.h1.get_text(" ")
    assert any(CODES[0] in details.get_text() for details in page.select("details:not([open])"))


def test_the_map_script_writes_no_code_in_its_tooltips_or_popups(app: Flask, world: dict[str, Any]) -> None:
    """The words the map's script puts on screen: each line it writes is a string it joins to a property."""
    client = staff_client(app, "community-development")
    for path in ("/gaps/map?category=carers", f"/gaps/map?la={LAD}&category=carers"):
        page = BeautifulSoup(client.get(path).data, "html.parser")
        script = "\n".join(s.get_text() for s in page.find_all("script") if not s.get("src"))
        assert "g.name = function" in script, path
        assert "p.c +" not in script and "+ p.c" not in script, f"{path}: a tooltip or popup shows the code"


@contextlib.contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs inside the block."""
    seen: list[str] = []

    def keep(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", keep)


# The read of local authority names: the largest name of each authority code, from a table of areas.
NAMES_READ = re.compile(r"max\((?:\w+\.)?lad_name\)", re.IGNORECASE)


@pytest.mark.parametrize("path", ["/gaps/table?category=carers", "/backlog/", "/backlog/list"])
def test_a_page_reads_the_authority_names_once(app: Flask, world: dict[str, Any], path: str) -> None:
    """The names are read from two tables (the lookup and the deprivation files): once each per page, however many
    parts of the page name areas (the choices, the rows, each backlog item)."""
    client = staff_client(app, "community-development")
    with app.app_context():
        render_cache().clear()  # a first visit: the list of authorities to choose from is read too
    with statements(app) as seen:
        assert client.get(path).status_code == 200
    reads = [s for s in seen if NAMES_READ.search(s)]
    assert len(reads) == 2, reads
