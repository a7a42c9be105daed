"""Plain English on every page a member of the public or a group reads (issue 22).

The words to avoid are the table in docs/style-guide.md, read here, so the guide and this test cannot
disagree. Each page is fetched through the Flask test client from a real app on a real SQLite file, with
listings made through the write path; what a reader sees or hears is taken from the HTML (visible text, the
title, labels, hints, aria-label, alt, placeholder and the values shown in text boxes; not scripts, styles,
hidden inputs or addresses) and checked against every pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from directory.groups import links as groups
from directory.models import Postcode
from tests.conftest import built_app, csrf_token
from tests.mailbox import Mailbox, db_session, form_fields, make_listing, smtp_mailbox, staff_client, submit

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "style-guide.md"
SHOWN_ATTRIBUTES = ("title", "aria-label", "alt", "placeholder")
# Addresses are not words a reader has to understand (and may hold underscores or codes legitimately).
ADDRESSES = re.compile(r"https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)*")


def banned_words() -> list[tuple[str, re.Pattern[str]]]:
    """(what to avoid, its pattern) from the style guide's table of words to avoid."""
    section = GUIDE.read_text(encoding="utf-8").split("## Words to avoid", 1)[1].split("\n## ", 1)[0]
    found = []
    for line in section.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) == 3 and cells[1].startswith("`"):
            found.append((cells[0], re.compile(cells[1].strip("`").replace("\\|", "|"))))
    return found


def what_a_reader_meets(markup: bytes) -> list[str]:
    """Each piece of text a reader sees or a screen reader speaks, one string per text node or attribute."""
    page = BeautifulSoup(markup, "html.parser")
    for unread in page.find_all(["script", "style", "template"]):
        unread.decompose()
    pieces = [str(node).strip() for node in page.find_all(string=True)]
    for element in page.find_all(True):
        pieces += [str(element[name]) for name in SHOWN_ATTRIBUTES if element.has_attr(name)]
        if element.name == "input" and element.get("type", "text") in ("text", "email", "tel", "search", "number"):
            pieces.append(str(element.get("value", "")))
    pieces = [ADDRESSES.sub(" ", piece).strip() for piece in pieces]
    return [piece for piece in pieces if piece and not piece.startswith("<!") and piece != "html"]


def jargon_in(markup: bytes) -> list[str]:
    return sorted(
        {f"{avoid!r} in {piece[:120]!r}" for piece in what_a_reader_meets(markup)
         for avoid, pattern in banned_words() if pattern.search(piece)}
    )  # fmt: skip


def test_the_style_guide_table_is_read_and_catches_what_it_names() -> None:
    words = dict(banned_words())
    assert len(words) >= 12, words
    for avoid, example in [
        ("ONS (Office for National Statistics)", "ONS codes separated by commas"),
        ("postcode table", "not in this directory's postcode table"),
        ("Unfunded", "Funding: Unfunded"),
        ("Professional referral", "Professional referral"),
    ]:
        assert words[avoid].search(example), avoid
    assert any(p.search("E01012737") for p in words.values())
    assert any(p.search("service_areas") for p in words.values())
    assert any(p.search("email: 'pat@example' is not an email address") for p in words.values())
    markup = b'<p title="LSOA">Fine</p><script>var taxonomy_id = 1;</script><input type="hidden" value="E06000009">'
    assert jargon_in(markup) == ["'LSOA, MSOA (statistical areas)' in 'LSOA'"]


# The pages, fetched in one module-wide world: a mailbox, an app with review of some fields, two listings.


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_mailbox() as box:
        yield box


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Flask]:
    config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port, "PUBLIC_URL": "http://directory.test",
              "GROUP_REVIEW_FIELDS": "details"}  # fmt: skip
    with built_app("sqlite", tmp_path_factory.mktemp("instance"), **config) as app:
        with db_session(app) as session:
            session.add(Postcode(postcode_key="FY13AB", pcds="FY1 3AB", latitude=53.808, longitude=-3.054,
                                 lsoa_code="E01012673", lad_code="E06000009"))  # fmt: skip
            session.commit()
        yield app


PLACE = {"name": "Central library", "address_1": "Queen Street", "city": "Blackpool", "postcode": "FY1 3AB"}
CONTACT = "pat@knit.example.org"


@pytest.fixture(scope="module")
def listings(app: Flask) -> dict[str, int]:
    """A volunteer-run club with every field a group fills in, and a funded advice service."""
    club = make_listing(
        app, name="Knit and natter", description="Knitting, tea and a chat.", categories=["arts-crafts"],
        phone="01253 111111", email="knit@example.org", funding_status="unfunded",
        referral_routes=["self", "professional", "gp"], delivery_modes=["in-person"], locations=[PLACE],
        service_areas=["E06000009", "E07000119"], languages=["English"], minimum_age="18",
        schedules=[{"byday": "TU", "opens_at": "10:00", "closes_at": "12:00"}],
        contacts=[{"name": "Pat", "title": "Organiser", "phone": "", "email": CONTACT}],
    )  # fmt: skip
    advice = make_listing(app, name="Knitting debt advice", categories=["debt-benefits"], funding_status="funded",
                          locations=[PLACE], referral_routes=["professional"])  # fmt: skip
    with db_session(app) as session:
        from directory.models import Service

        organization_id = session.get_one(Service, club).organization_id
    return {"club": club, "advice": advice, "organization": organization_id}


def edit_link(app: Flask, organization_id: int) -> str:
    with db_session(app) as session:
        token, _ = groups.invite(session, organization_id, CONTACT, created_by="staff: t", days=14)
        session.commit()
    return token


def group_client(app: Flask, organization_id: int) -> tuple[FlaskClient, list[tuple[str, Any]]]:
    """A group signed in with a real edit link, and the pages it met on the way (the link's own page first)."""
    client = app.test_client()
    link = f"/group/link/{edit_link(app, organization_id)}"
    entry = client.get(link, follow_redirects=True)
    response = submit(client, link)
    assert response.status_code == 302
    return client, [(link, entry)]


def public_pages(app: Flask, ids: dict[str, int]) -> Iterator[tuple[str, Any]]:
    client = app.test_client()
    for path in ("/", "/?q=knit", "/?q=knit&postcode=FY1+3AB", "/?q=knit&postcode=SW1A+1AA", "/?q=knit&postcode=ZZ",
                 "/?category=arts-crafts&postcode=FY1", f"/services/{ids['club']}", f"/services/{ids['advice']}",
                 f"/organisations/{ids['organization']}", "/listings/request", "/group/",
                 f"/organisations/{ids['organization']}/claim", "/services/999999", "/no-such-page"):  # fmt: skip
        yield path, client.get(path)
    bad_request = {"organization_name": "Knitters", "service_name": "", "email": "pat@example", "postcode": "FY1",
                   "phone": "call me", "categories": "no-such-need"}  # fmt: skip
    yield (
        "/listings/request (bad input)",
        client.post("/listings/request", data={**bad_request, "csrf_token": csrf_token(client, "/listings/request")}),
    )
    claim = f"/organisations/{ids['organization']}/claim"
    yield f"{claim} (bad input)", client.post(claim, data={"contact_name": "", "email": "pat@example", "role": "",
                                                            "csrf_token": csrf_token(client, claim)})  # fmt: skip


def group_pages(app: Flask, ids: dict[str, int]) -> Iterator[tuple[str, Any]]:
    client, met = group_client(app, ids["organization"])
    yield from met
    service_form = f"/group/services/{ids['club']}/edit"
    organisation_form = f"/group/organisations/{ids['organization']}/edit"
    add_service = f"/group/organisations/{ids['organization']}/services/new"
    for path in ("/group/", organisation_form, service_form, add_service):
        yield path, client.get(path)
    unplaced = {"service_name": "", "phone": "call us", "postcode": "FY1"}
    yield f"{add_service} (bad input)", submit(client, add_service, unplaced)
    yield f"{organisation_form} (bad email)", submit(client, organisation_form, {"email": "pat@example"})
    bad = {"email": "pat@example", "service_areas": "Blackpool, Nowhereshire", "locations-0-postcode": "FY1"}
    yield f"{service_form} (bad input)", submit(client, service_form, bad)
    saved = submit(client, service_form, {"description": "Knitting, tea, cake and a chat."})
    yield f"{service_form} (saved)", client.get(saved.headers["Location"])
    # A link used once is refused, with a button that emails a new one.
    used = f"/group/link/{edit_link(app, ids['organization'])}"
    submit(app.test_client(), used)
    reader = app.test_client()
    refused = reader.get(used, follow_redirects=True)
    yield f"{used} (used)", refused
    [form] = BeautifulSoup(refused.data, "html.parser").select("main form")
    yield "/group/new-link", reader.post(form["action"], data=dict(form_fields(form)))
    yield "/group/new-link (again, too soon)", reader.post(form["action"], data=dict(form_fields(form)))


def reminder_pages(app: Flask, ids: dict[str, int]) -> Iterator[tuple[str, Any]]:
    """The one-click pages a reminder email links to: still running (with a bad answer), stopped, unsubscribe."""

    def link(kind: str) -> str:
        with db_session(app) as session:
            service_id = None if kind == "unsubscribe" else ids["club"]
            token, _ = groups.issue_token(
                session, kind=kind, organization_id=ids["organization"], email=CONTACT, days=14, service_id=service_id
            )
            session.commit()
        return f"/group/{kind}/{token}"

    for kind in ("confirm", "stopped", "unsubscribe"):
        path = link(kind)
        client = app.test_client()
        yield f"/group/{kind}", client.get(path, follow_redirects=True)
        if kind == "confirm":
            yield "/group/confirm (paused, no date)", submit(client, path, {"answer": "paused", "paused_until": ""})
        yield f"/group/{kind} (answered)", submit(app.test_client(), link(kind))


def sheet_pages(app: Flask, ids: dict[str, int]) -> Iterator[tuple[str, Any]]:
    """The signposting sheet a link worker prints for a client (the client reads it)."""
    worker = staff_client(app, "link-worker")
    for service_id in (ids["club"], ids["advice"]):
        worker.post("/basket/add", data={"service_id": service_id, "csrf_token": csrf_token(worker, "/basket/")})
    token = csrf_token(worker, "/basket/")
    yield "/basket/sheet", worker.post("/basket/sheet", data={"postcode": "FY1 3AB", "csrf_token": token})
    yield "/basket/sheet (unknown postcode)", worker.post("/basket/sheet", data={"postcode": "SW1A 1AA",
                                                                                 "csrf_token": token})  # fmt: skip


def test_every_public_and_group_page_is_in_plain_english(app: Flask, listings: dict[str, int]) -> None:
    found: dict[str, list[str]] = {}
    statuses = {}
    for path, response in [
        *public_pages(app, listings),
        *group_pages(app, listings),
        *sheet_pages(app, listings),
        *reminder_pages(app, listings),  # last: "we have stopped" takes the club out of results
    ]:
        statuses[path] = response.status_code
        assert response.mimetype == "text/html", path
        if words := jargon_in(response.data):
            found[path] = words
    # The pages really are the ones meant: errors shown where input was bad, the pages found where good.
    assert statuses["/?q=knit&postcode=SW1A+1AA"] == 422 and statuses["/no-such-page"] == 404
    assert statuses["/listings/request (bad input)"] == 422 and statuses["/group/new-link"] == 200
    assert statuses[f"/group/services/{listings['club']}/edit (bad input)"] == 422
    assert statuses[f"/group/organisations/{listings['organization']}/services/new (bad input)"] == 422
    assert statuses["/group/confirm (paused, no date)"] == 422 and statuses["/group/stopped (answered)"] == 200
    report = "\n".join(f"{path}:\n  " + "\n  ".join(words) for path, words in found.items())
    assert not found, f"words to avoid (docs/style-guide.md) on public or group pages:\n{report}"


def test_sign_in_reaches_the_group_pages_as_a_person_would(app: Flask, listings: dict[str, int]) -> None:
    """The group pages above are the signed-in ones, not the 'use the link in your email' page."""
    client, _ = group_client(app, listings["organization"])
    home = BeautifulSoup(client.get("/group/").data, "html.parser")
    assert "Knit and natter" in home.get_text(" ")
