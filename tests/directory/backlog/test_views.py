"""Gap flags and the backlog through the web: the flag form, the board, the item page, the export and access."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from directory.core.db import db
from directory.core.personal_data import PersonalDataOverride
from directory.models import Postcode, User
from directory.models.backlog import BacklogEvent, BacklogItem, GapFlag
from tests.conftest import csrf_token, html

POSTCODES = (
    ("FY1 1AD", 53.8170, -3.0540, "E01012671"),
    ("FY1 2AA", 53.8260, -3.0540, "E01012672"),
)


@pytest.fixture(scope="module", autouse=True)
def places(app: Flask) -> Iterator[None]:
    with app.app_context():
        for pcds, lat, lon, lsoa in POSTCODES:
            db.session.add(Postcode(postcode_key=pcds.replace(" ", ""), pcds=pcds, latitude=lat, longitude=lon,
                                    lsoa_code=lsoa, lad_code="E06000009"))  # fmt: skip
        db.session.commit()
        db.session.remove()
    yield


def post_flag(client: FlaskClient, **values: str) -> Any:
    form = {
        "csrf_token": csrf_token(client, "/flags/new"),
        "category": "carers",
        "postcode": "FY1 1AD",
        "population_group": "carers",
        "description": "No evening carers group.",
        "urgency": "medium",
    }
    form.update(values)
    return client.post("/flags/new", data=form)


def item_id_from(response: Any) -> int:
    assert response.status_code == 302, response.data
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def test_a_staff_search_that_finds_nothing_offers_a_prefilled_flag(signed_in: Callable[..., FlaskClient]) -> None:
    client = signed_in("link-worker")
    page = html(client.get("/?q=zzqqxx&category=carers&postcode=FY1+1AD"))
    link = page.select_one("div.nothing a.flag-gap")
    assert link is not None and "Flag a gap" in link.get_text()
    query = parse_qs(urlparse(str(link["href"])).query)
    assert query == {"category": ["carers"], "postcode": ["FY1 1AD"], "from": ["search"]}
    form = html(client.get(str(link["href"])))
    assert form.select_one("#category option[selected]")["value"] == "carers"
    assert form.select_one("#postcode")["value"] == "FY1 1AD"
    assert form.select_one("input[name=raised_from]")["value"] == "search"
    assert form.select_one("script[src$='pii-check.js']") is not None
    assert form.select_one("form#flag-form")["data-pii-url"] == "/api/pii-check"


def test_the_public_search_does_not_offer_a_flag(client: FlaskClient) -> None:
    page = html(client.get("/?q=zzqqxx"))
    assert page.select_one("a.flag-gap") is None


def test_flagging_a_gap_puts_it_on_the_board(signed_in: Callable[..., FlaskClient], app: Flask) -> None:
    client = signed_in("link-worker", team="Layton PCN")
    item_id = item_id_from(post_flag(client, category="food", description="No food pantry open on Saturdays."))
    page = html(client.get(f"/backlog/{item_id}"))
    assert "the gap is flagged" in page.select_one(".flash-success").get_text()
    assert "Food" in page.h1.get_text()
    board = html(client.get("/backlog/"))
    column = board.select_one("section[aria-labelledby=col-new]")
    assert column is not None
    assert f"/backlog/{item_id}" in [a["href"] for a in column.select("a")]
    with app.app_context():
        flag = db.session.scalars(select(GapFlag).where(GapFlag.item_id == item_id)).one()
        assert (flag.lsoa_code, flag.team, flag.raised_from) == ("E01012671", "Layton PCN", "form")


def test_personal_data_is_shown_back_and_must_be_confirmed(signed_in: Callable[..., FlaskClient]) -> None:
    client = signed_in("link-worker")
    text = "Mrs Smith (07700 900123) needs a lunch club."
    refused = post_flag(client, category="older-people", description=text)
    assert refused.status_code == 422
    page = html(refused)
    assert [m.get_text() for m in page.select(".pii-warning mark")] == ["Mrs Smith", "07700 900123"]
    assert page.select_one("#confirm_pii") is not None
    assert page.select_one("#description").get_text() == text  # the worker's text is kept to edit
    assert "a person's name and a phone number" in page.select_one(".error-summary").get_text()
    saved = post_flag(client, category="older-people", description=text, confirm_pii="yes")
    assert saved.status_code == 302


def test_a_bad_postcode_is_named_and_nothing_is_saved(signed_in: Callable[..., FlaskClient], app: Flask) -> None:
    client = signed_in("link-worker")
    with app.app_context():
        before = len(db.session.scalars(select(GapFlag)).all())
    # A district alone ("FY1") is accepted now, as a district flag; a string that is no postcode is not.
    response = post_flag(client, postcode="FY1 ZZZZ")
    assert response.status_code == 422
    assert "FY1 ZZZZ" in html(response).select_one("#postcode-error").get_text()
    with app.app_context():
        assert len(db.session.scalars(select(GapFlag)).all()) == before


def test_hostile_text_is_stored_as_given_and_rendered_inert(signed_in: Callable[..., FlaskClient]) -> None:
    client = signed_in("community-development")
    hostile = '<script>alert("x")</script> "quotes" & =cmd|'
    item_id = item_id_from(post_flag(client, category="animals", description=hostile))
    page = html(client.get(f"/backlog/{item_id}"))
    assert not [s for s in page.find_all("script") if "alert" in s.get_text()]
    assert hostile in page.select_one("td.description").get_text()
    export = client.get("/backlog/list?format=csv&category=animals")
    assert export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert rows[0]["descriptions"] == hostile  # starts with <, so no prefix is needed
    summary = html(client.get(f"/backlog/{item_id}/summary"))
    assert hostile in summary.select_one("ul.descriptions").get_text()


def test_csv_export_prefixes_formula_cells(signed_in: Callable[..., FlaskClient]) -> None:
    client = signed_in("community-development")
    post_flag(client, category="parenting-families", description='=HYPERLINK("http://x")')
    export = client.get("/backlog/list?format=csv&category=parenting-families")
    assert "attachment" in export.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert rows[0]["descriptions"] == '\'=HYPERLINK("http://x")'


def _move(client: FlaskClient, item_id: int, to: str, **extra: str) -> Any:
    token = csrf_token(client, f"/backlog/{item_id}")
    return client.post(f"/backlog/{item_id}/status", data={"csrf_token": token, "to_status": to, **extra})


def test_the_workflow_through_the_item_page(signed_in: Callable[..., FlaskClient], make_service: Any) -> None:
    client = signed_in("community-development")
    item_id = item_id_from(post_flag(client, category="bereavement", description="No grief group for parents."))
    page = html(client.get(f"/backlog/{item_id}"))
    buttons = [b.get_text(strip=True) for b in page.select(".workflow button")]
    assert buttons == ["Move to triaged", "Move to declined"]
    illegal = _move(client, item_id, "resolved")
    assert illegal.status_code == 409
    assert "cannot move to resolved" in html(illegal).select_one(".flash-error").get_text()
    assert _move(client, item_id, "triaged").status_code == 302
    me = html(client.get(f"/backlog/{item_id}")).select_one("#move-assignee option")["value"]
    assert _move(client, item_id, "in-progress", assignee_id=str(me)).status_code == 302
    service = make_service(name="Little Stars Bereavement Group", categories=["bereavement"])
    assert _move(client, item_id, "resolved", service_id=str(service.id)).status_code == 302
    page = html(client.get(f"/backlog/{item_id}"))
    assert "Resolved" in page.select_one(".status-line").get_text()
    assert page.find("a", string="Little Stars Bereavement Group") is not None
    history = [li.get_text(" ", strip=True) for li in page.select("ol.history li")]
    assert any("moved from in progress to resolved" in line for line in history)
    assert any("assigned to" in line for line in history)


def test_declining_needs_a_reason_and_shows_it(signed_in: Callable[..., FlaskClient]) -> None:
    client = signed_in("admin")
    item_id = item_id_from(post_flag(client, category="domestic-abuse", description="No refuge outreach."))
    refused = _move(client, item_id, "declined", reason="")
    assert refused.status_code == 409 and "Give a reason" in html(refused).select_one(".flash-error").get_text()
    assert _move(client, item_id, "declined", reason="Commissioned county-wide from April.").status_code == 302
    page = html(client.get(f"/backlog/{item_id}"))
    assert "Commissioned county-wide from April." in page.get_text()


def test_a_stale_form_is_refused(signed_in: Callable[..., FlaskClient]) -> None:
    client = signed_in("community-development")
    item_id = item_id_from(post_flag(client, category="lgbtq", description="No LGBTQ+ over-50s group."))
    token = csrf_token(client, f"/backlog/{item_id}")
    old = {"csrf_token": token, "to_status": "triaged", "version": "1"}
    assert client.post(f"/backlog/{item_id}/status", data=old).status_code == 302
    again = client.post(f"/backlog/{item_id}/status", data={**old, "to_status": "declined", "reason": "dup"})
    assert again.status_code == 409
    assert "changed by someone else" in html(again).select_one(".flash-error").get_text()


def test_merge_and_split_through_the_item_page(signed_in: Callable[..., FlaskClient]) -> None:
    client = signed_in("community-development")
    first = item_id_from(post_flag(client, category="young-people", postcode="FY1 1AD", description="Youth club."))
    second_flag = post_flag(client, category="young-people", postcode="FY1 1AD", description="Another youth club.")
    assert item_id_from(second_flag) == first  # the same LSOA (no MSOA lookup loaded here): one item
    page = html(client.get(f"/backlog/{first}"))
    boxes = page.select("#split-form input[name=flag_id]")
    assert len(boxes) == 2
    token = csrf_token(client, f"/backlog/{first}")
    split = client.post(f"/backlog/{first}/split", data={"csrf_token": token, "flag_id": boxes[1]["value"]})
    new_id = item_id_from(split)
    assert new_id != first
    merged = client.post(f"/backlog/{first}/merge", data={"csrf_token": token, "items": f"#{new_id}"})
    assert item_id_from(merged) == first
    page = html(client.get(f"/backlog/{new_id}"))
    assert "Merged into" in page.get_text()
    bad = client.post(f"/backlog/{first}/merge", data={"csrf_token": token, "items": "twelve"})
    assert bad.status_code == 422


def test_comments_with_personal_data_need_confirming(signed_in: Callable[..., FlaskClient], app: Flask) -> None:
    client = signed_in("link-worker")
    item_id = item_id_from(post_flag(client, category="housing", description="No tenancy support."))
    token = csrf_token(client, f"/backlog/{item_id}")
    refused = client.post(f"/backlog/{item_id}/comment", data={"csrf_token": token, "comment": "Email jo@example.org"})
    assert refused.status_code == 422
    assert html(refused).select_one(".pii-warning mark").get_text() == "jo@example.org"
    saved = client.post(f"/backlog/{item_id}/comment", data={"csrf_token": token, "comment": "Email jo@example.org",
                                                             "confirm_pii": "yes"})  # fmt: skip
    assert saved.status_code == 302
    page = html(client.get(f"/backlog/{item_id}"))
    # Saved anyway: the address is masked, and the override is kept (who, which kinds, which comment).
    assert page.select("ol.history li.event-comment q")[-1].get_text() == "Email [email]"
    with app.app_context():
        event = db.session.scalars(select(BacklogEvent).where(BacklogEvent.kind == "comment")
                                   .order_by(BacklogEvent.id.desc())).first()  # fmt: skip
        assert event is not None and event.body == "Email [email]"
        override = db.session.scalars(
            select(PersonalDataOverride).where(PersonalDataOverride.field == "backlog_event.body",
                                               PersonalDataOverride.record_id == event.id)
        ).one()  # fmt: skip
        writer = db.session.get(User, override.user_id)
        assert writer is not None and writer.role == "link-worker"
        assert (override.kinds, override.by) == ("email", writer.email)
        assert override.created_at is not None


def test_board_and_list_filter_and_sort(signed_in: Callable[..., FlaskClient]) -> None:
    client = signed_in("community-development")
    item_id = item_id_from(post_flag(client, category="faith-groups", description="No interfaith group."))
    listed = html(client.get("/backlog/list?category=faith-groups&sort=flags&status=all"))
    assert [a["href"] for a in listed.select("tbody a")] == [f"/backlog/{item_id}"]
    assert "sorted by most flags" in listed.caption.get_text()
    none = html(client.get("/backlog/list?category=faith-groups&status=resolved"))
    assert "No items match." in none.tbody.get_text()
    board = html(client.get("/backlog/?category=faith-groups&area=E06000009"))
    assert board.select_one(f"a[href='/backlog/{item_id}']") is not None
    other_area = html(client.get("/backlog/?category=faith-groups&area=E07000117"))
    assert other_area.select_one(f"a[href='/backlog/{item_id}']") is None


def test_the_summary_is_one_printable_page_with_the_evidence(
    signed_in: Callable[..., FlaskClient], make_service: Any
) -> None:
    client = signed_in("community-development")
    make_service(name="Harbour Allotments", categories=["nature-environment"],
                 locations=[{"name": "Plot", "postcode": "FY1 2AA"}])  # fmt: skip
    item_id = item_id_from(post_flag(client, category="nature-environment", description="No green gym."))
    page = html(client.get(f"/backlog/{item_id}/summary"))
    headings = [h.get_text() for h in page.select("article.bid-summary h2")]
    assert headings == ["The need", "The evidence", "Deprivation", "Nearest existing provision"]
    nearest = page.select_one("article.bid-summary ol").get_text()
    assert "Harbour Allotments" in nearest and "1.0 km" in nearest
    assert page.select_one("link[href$='backlog.css']") is not None


def test_nav_links_to_the_backlog_for_staff_only(
    signed_in: Callable[..., FlaskClient], make_organization: Callable[..., Any]
) -> None:
    client = signed_in("link-worker")
    assert html(client.get("/")).select_one("nav a[href='/backlog/']") is not None
    editor = signed_in("group-editor", organization_id=make_organization().id)
    assert html(editor.get("/staff/")).select_one("nav a[href='/backlog/']") is None


@pytest.mark.parametrize("path", ["/flags/new", "/backlog/", "/backlog/list", "/backlog/list?format=csv"])
def test_pages_send_anonymous_visitors_to_sign_in(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/flags/new", "/backlog/", "/backlog/list"])
def test_group_editors_are_refused_every_backlog_page(
    signed_in: Callable[..., FlaskClient], make_organization: Callable[..., Any], path: str
) -> None:
    client = signed_in("group-editor", organization_id=make_organization().id)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("action", ["status", "assign", "merge", "split"])
def test_link_workers_are_refused_every_workflow_action(signed_in: Callable[..., FlaskClient], action: str) -> None:
    client = signed_in("link-worker")
    item_id = item_id_from(post_flag(client, category="drugs-alcohol", description="No recovery cafe."))
    token = csrf_token(client, f"/backlog/{item_id}")
    response = client.post(f"/backlog/{item_id}/{action}", data={"csrf_token": token, "to_status": "triaged"})
    assert response.status_code == 403


def test_workflow_actions_need_the_csrf_token(signed_in: Callable[..., FlaskClient], app: Flask) -> None:
    client = signed_in("community-development")
    item_id = item_id_from(post_flag(client, category="employment-volunteering", description="No job club."))
    response = client.post(f"/backlog/{item_id}/status", data={"to_status": "triaged"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(BacklogItem, item_id).status == "new"


def test_an_unknown_item_is_not_found(signed_in: Callable[..., FlaskClient]) -> None:
    client = signed_in("community-development")
    assert client.get("/backlog/999999").status_code == 404
    assert client.get("/backlog/999999/summary").status_code == 404


def test_the_flag_form_accepts_a_listing_and_a_map_point(
    signed_in: Callable[..., FlaskClient], make_service: Any
) -> None:
    client = signed_in("link-worker")
    service = make_service(name="Full Craft Club")
    page = html(client.get(f"/flags/new?service_id={service.id}&from=listing&category=arts-crafts"))
    assert "Full Craft Club" in page.select_one(".from-listing").get_text()
    saved = post_flag(client, postcode="", latitude="53.8258", longitude="-3.0541", category="specific-conditions",
                      raised_from="map", description="Nothing for long covid.")  # fmt: skip
    item_id = item_id_from(saved)
    page = html(client.get(f"/backlog/{item_id}"))
    assert "E01012672" in page.select_one("table").get_text()
