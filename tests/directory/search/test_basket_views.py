"""A link worker's path without JavaScript (issue 22): results announced, adding to the sheet back at the same
card, and a client postcode that cannot be placed never stopping the sheet."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from directory.models import DemandEvent, Postcode
from tests.conftest import csrf_token, html

pytestmark = pytest.mark.both_backends


@pytest.fixture
def found(session: Any, make_service: Any) -> list[Any]:
    """Three debt services, placed around FY1 3AB (in the postcode table)."""
    if session.get(Postcode, "FY13AB") is None:
        session.add(Postcode(postcode_key="FY13AB", pcds="FY1 3AB", latitude=53.808, longitude=-3.054,
                             lsoa_code="E01012673", lad_code="E06000009"))  # fmt: skip
        session.commit()
    place = {"name": "Hall", "address_1": "1 Road", "city": "Blackpool", "postcode": "FY1 3AB"}
    return [
        make_service(name=f"Quokka debt advice {n}", categories=["debt-benefits"], locations=[place])
        for n in ("one", "two", "three")
    ]


def test_the_results_are_in_the_title_and_a_status_and_the_form_lands_on_them(signed_in: Any, found: list[Any]) -> None:
    client = signed_in("link-worker")
    page = html(client.get("/?q=quokka&postcode=FY1+3AB"))
    assert page.title.get_text() == "3 services for ‘quokka’ near FY1 3AB – Search · Community asset directory"
    assert page.find(id="results-status", role="status").get_text() == "3 services for ‘quokka’ near FY1 3AB"
    heading = page.find("h2", id="results")
    assert heading["tabindex"] == "-1"
    # Without JavaScript the search form itself lands on the results: its address carries #results.
    assert page.find("form", role="search")["action"] == "/#results"
    # Nothing focusable sits between the results heading and the first result's "Add" button.
    following = heading.find_all_next(["a", "button", "input", "select", "summary", "textarea"])
    first = [e for e in following if e.name != "input" or e.get("type") != "hidden"][0]
    assert first.name == "button" and first.get_text(" ", strip=True).startswith("Add Quokka debt advice")
    nothing = html(client.get("/?q=zzzqqqxx"))
    assert nothing.title.get_text().startswith("0 services for ‘zzzqqqxx’ – Search")


def test_adding_comes_back_to_the_same_card_naming_the_service(signed_in: Any, found: list[Any]) -> None:
    client = signed_in("link-worker")
    results = html(client.get("/?q=quokka&postcode=FY1+3AB"))
    second = found[1]
    form = results.find(id=f"service-{second.id}").find("form", class_="sheet-toggle")
    data = {i["name"]: i["value"] for i in form.find_all("input")}
    response = client.post(form["action"], data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/?q=quokka&postcode=FY1+3AB#service-{second.id}"
    back = html(client.get(response.headers["Location"]))
    card = back.find(id=f"service-{second.id}")
    assert "on-sheet" in card["class"] and card.find(class_="on-sheet-label").get_text() == "On the sheet"
    assert not card.find(class_="on-sheet-label").has_attr("hidden")
    said = card.find(class_="sheet-said", role="status").get_text()
    assert said == "Added Quokka debt advice two to the signposting sheet (1 chosen)."
    assert card.find("button").get_text(" ", strip=True) == "Remove Quokka debt advice two from the signposting sheet"
    assert not back.select(".flash")  # said on the card, not at the top of a page the worker is not looking at
    other = back.find(id=f"service-{found[0].id}")
    assert other.find(class_="on-sheet-label").has_attr("hidden") and other.find(class_="sheet-said").get_text() == ""
    # Said once: the next visit does not repeat it, but the card still says it is on the sheet.
    again = html(client.get("/?q=quokka&postcode=FY1+3AB")).find(id=f"service-{second.id}")
    assert again.find(class_="sheet-said").get_text() == "" and "on-sheet" in again["class"]
    # And off again, from the same card.
    form = again.find("form", class_="sheet-toggle")
    off = client.post(form["action"], data={i["name"]: i["value"] for i in form.find_all("input")})
    assert off.headers["Location"].endswith(f"#service-{second.id}")
    card = html(client.get(off.headers["Location"])).find(id=f"service-{second.id}")
    took = "Took Quokka debt advice two off the signposting sheet (0 chosen)."
    assert card.find(class_="sheet-said").get_text() == took


def test_the_script_gets_an_answer_it_can_use_and_a_foreign_next_is_refused(signed_in: Any, found: list[Any]) -> None:
    client = signed_in("link-worker")
    token = csrf_token(client, "/basket/")
    answer = client.post("/basket/add", data={"csrf_token": token, "service_id": str(found[0].id)},
                         headers={"Accept": "application/json"})  # fmt: skip
    added = "Added Quokka debt advice one to the signposting sheet (1 chosen)."
    assert answer.get_json() == {"service_id": found[0].id, "on_sheet": True, "count": 1, "message": added}
    away = client.post("/basket/add", data={"csrf_token": token, "service_id": str(found[1].id),
                                            "next": "//evil.example/", "anchor": "service-1"})  # fmt: skip
    assert away.headers["Location"] == "/basket/#service-1"
    odd = client.post("/basket/add", data={"csrf_token": token, "service_id": str(found[2].id),
                                           "next": "/", "anchor": "x\"><script>"})  # fmt: skip
    assert odd.headers["Location"] == "/"  # an anchor that is not a card's is dropped


@pytest.mark.parametrize(
    ("typed", "note"),
    [("FY1 1AA", "not in this directory's list of postcodes"), ("FY1", "was a district, not a full postcode")],
)
def test_a_valid_postcode_that_cannot_be_placed_never_stops_the_sheet(
    signed_in: Any, found: list[Any], session: Any, typed: str, note: str
) -> None:
    client = signed_in("link-worker")
    token = csrf_token(client, "/basket/")
    client.post("/basket/add", data={"csrf_token": token, "service_id": str(found[0].id)})
    response = client.post("/basket/sheet", data={"csrf_token": token, "format": "html", "postcode": typed})
    assert response.status_code == 200
    sheet = html(response)
    assert note in sheet.find(class_="distances-note").get_text() and "Distances are left out" in sheet.get_text()
    assert typed not in sheet.find(class_="distances-note").get_text() and "FY1 1AA" not in sheet.get_text()
    assert not sheet.select(".how-far")  # the postcode is not printed, and no distance is guessed
    assert sheet.select("section.entry h2")[0].get_text() == "Quokka debt advice one"
    recorded = session.scalars(select(DemandEvent).where(DemandEvent.service_id == found[0].id)).all()
    assert recorded and all(event.lsoa_code is None for event in recorded)


def test_a_placed_postcode_prints_distances_and_a_mistyped_one_keeps_the_box(signed_in: Any, found: list[Any]) -> None:
    client = signed_in("link-worker")
    token = csrf_token(client, "/basket/")
    client.post("/basket/add", data={"csrf_token": token, "service_id": str(found[0].id)})
    sheet = html(client.post("/basket/sheet", data={"csrf_token": token, "format": "html", "postcode": "fy13ab"}))
    assert sheet.find(class_="how-far").get_text() == "About 0.0 km from your postcode"
    assert sheet.find(class_="distances-note") is None
    refused = client.post("/basket/sheet", data={"csrf_token": token, "format": "html", "postcode": "FY1 1A"})
    assert refused.status_code == 422
    page = html(refused)
    assert page.find("input", id="postcode")["value"] == "FY1 1A" and "not a valid UK postcode" in page.get_text()
