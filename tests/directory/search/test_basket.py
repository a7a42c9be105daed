"""The signposting basket and sheet: HTML and PDF, demand recorded once, nothing typed kept."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from directory.core.db import db
from directory.models import DemandEvent, Postcode, WaitingTimeReport
from tests.conftest import csrf_token, html, table_dumps

pytestmark = pytest.mark.both_backends


def _add(client: Any, service_id: int) -> Any:
    token = csrf_token(client, "/basket/")
    return client.post("/basket/add", data={"csrf_token": token, "service_id": str(service_id), "next": "/basket/"})


def _sheet(client: Any, **form: str) -> Any:
    token = csrf_token(client, "/basket/")
    return client.post("/basket/sheet", data={"csrf_token": token, **form})


def test_two_services_make_a_sheet_with_phone_address_times_and_qr(signed_in: Any, make_service: Any) -> None:
    first = make_service(
        name="Knit and natter", phone="01253 111222", categories=["arts-crafts", "loneliness"],
        referral_routes=["self"],
        schedules=[{"byday": "TU", "opens_at": "10:00", "closes_at": "12:00"}],
        locations=[{"name": "St John's Hall", "address_1": "Church Street", "city": "Blackpool",
                    "postcode": "FY1 3BB"}],
    )  # fmt: skip
    second = make_service(name="Money advice", phone="01253 333444", categories=["debt-benefits"], is_free=False,
                          cost_description="£1 a visit", referral_routes=["professional"])  # fmt: skip
    client = signed_in("link-worker", team="North PCN")
    assert _add(client, first.id).status_code == 302
    _add(client, second.id)
    _add(client, first.id)  # twice: still once
    basket = html(client.get("/basket/"))
    assert [li.get_text(" ", strip=True).split(" (")[0] for li in basket.select("ol.basket li")] == [
        "Knit and natter", "Money advice"]  # fmt: skip
    response = _sheet(client, note="Ask for Jo at the door", format="html")
    sheet = html(response)
    entries = sheet.select("section.entry")
    assert len(entries) == 2
    text_one = entries[0].get_text(" ", strip=True)
    assert "01253 111222" in text_one and "St John's Hall" in text_one and "Tuesdays, 10am to midday" in text_one
    assert "Next: Tue" in text_one
    assert "you can contact them yourself" in text_one and "Cost: free" in text_one
    assert "ask your link worker to refer you" in entries[1].get_text() and "£1 a visit" in entries[1].get_text()
    assert all(e.find("img", class_="qr")["src"].startswith("data:image/svg+xml") for e in entries)
    assert "Ask for Jo at the door" in sheet.find(class_="note").get_text()


def test_pdf_download(signed_in: Any, make_service: Any) -> None:
    service = make_service(name="Walking group", phone="01282 555666")
    client = signed_in("link-worker")
    _add(client, service.id)
    response = _sheet(client, format="pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-") and len(response.data) > 2000


def test_a_forged_host_never_makes_the_pdf_fetch_from_it_and_sheet_links_use_the_public_address(
    make_user: Any, make_service: Any, app: Any
) -> None:
    from tests.conftest import PASSWORD
    from tests.scrapers.loopback import LoopbackServer, Reply

    service = make_service(name="Walking group", phone="01282 555666")
    user = make_user("link-worker")
    with LoopbackServer() as elsewhere:
        elsewhere.routes["/static/sheet.css"] = Reply(b"body { color: red }", content_type="text/css")
        host = elsewhere.url.removeprefix("http://")
        # Every request of this browser claims to be for the other server's address.
        client = app.test_client()
        forged = {"environ_overrides": {"HTTP_HOST": host}}

        def token() -> str:
            return str(html(client.get("/basket/", **forged)).find("input", {"name": "csrf_token"})["value"])

        login = html(client.get("/login", **forged)).find("input", {"name": "csrf_token"})["value"]
        signed = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": login}, **forged)
        assert signed.status_code == 302
        client.post("/basket/add", data={"csrf_token": token(), "service_id": str(service.id)}, **forged)
        pdf = client.post("/basket/sheet", data={"csrf_token": token(), "format": "pdf"}, **forged)
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
        printed = html(client.post("/basket/sheet", data={"csrf_token": token(), "format": "html"}, **forged))
        assert elsewhere.requests == []  # the server asked the forged host for nothing
    online = printed.find("p", class_="online").get_text()
    assert online == f"Online: {app.config['PUBLIC_URL'].rstrip('/')}/services/{service.id}" and host not in online


def test_the_pdf_uses_only_the_apps_own_files(app: Any) -> None:
    from directory.search.sheet_pdf import BASE_URL, RefusedResource, own_file

    body, media_type = own_file(BASE_URL + "static/sheet.css", app.static_folder)
    assert b"@page" in body and media_type == "text/css"
    for url in ("http://127.0.0.1:1/static/sheet.css", BASE_URL + "static/../../pyproject.toml",
                BASE_URL + "elsewhere.css", "file:///etc/passwd"):  # fmt: skip
        with pytest.raises(RefusedResource):
            own_file(url, app.static_folder)


def test_sheet_records_one_event_per_service_and_category_once(signed_in: Any, make_service: Any, session: Any) -> None:
    session.add(Postcode(postcode_key="FY12BB", pcds="FY1 2BB", latitude=53.8, longitude=-3.05,
                         lsoa_code="E01012672", lad_code="E06000009"))  # fmt: skip
    session.commit()
    a = make_service(name="A", categories=["arts-crafts", "loneliness"])
    b = make_service(name="B", categories=["food"])
    client = signed_in("link-worker", team="South PCN")
    before = len(session.scalars(select(DemandEvent)).all())
    _add(client, a.id)
    _add(client, b.id)
    _sheet(client, format="html", postcode="FY1 2BB", note="Mrs Example, 12 Any Road")
    _sheet(client, format="pdf", postcode="FY1 2BB")  # the same sheet as a PDF: not counted again
    session.expire_all()
    events = session.scalars(select(DemandEvent).order_by(DemandEvent.id)).all()[before:]
    assert sorted((e.kind, e.category_code, e.service_id, e.lsoa_code, e.team) for e in events) == sorted([
        ("signposting", "arts-crafts", a.id, "E01012672", "South PCN"),
        ("signposting", "loneliness", a.id, "E01012672", "South PCN"),
        ("signposting", "food", b.id, "E01012672", "South PCN"),
    ])  # fmt: skip
    for table, dump in table_dumps(session):
        assert "FY1 2BB" not in dump and "Mrs Example" not in dump, table


def test_a_bad_client_postcode_stops_the_sheet_with_a_message(signed_in: Any, make_service: Any) -> None:
    service = make_service(name="Choir")
    client = signed_in("link-worker")
    _add(client, service.id)
    response = _sheet(client, format="html", postcode="nonsense")
    assert response.status_code == 422 and "not a valid UK postcode" in html(response).get_text()


def test_basket_is_for_staff_only(client: Any, signed_in: Any, make_service: Any, make_organization: Any) -> None:
    assert client.get("/basket/").status_code == 302
    org = make_organization()
    editor = signed_in("group-editor", organization_id=org.id)
    assert editor.get("/basket/").status_code == 403


def test_archived_services_cannot_be_added(signed_in: Any, make_service: Any, session: Any) -> None:
    from directory.listings import operations
    from tests.conftest import STAFF

    service = make_service(name="Closed club")
    operations.archive(session, "service", service.id, expected_version=1, actor=STAFF)
    client = signed_in("link-worker")
    assert _add(client, service.id).status_code == 400


def test_add_to_the_sheet_from_the_staff_listing_page(signed_in: Any, make_service: Any) -> None:
    service = make_service(name="Men's shed")
    client = signed_in("link-worker")
    page = html(client.get(f"/staff/services/{service.id}"))
    form = page.find("form", action="/basket/add")
    data = {i["name"]: i["value"] for i in form.find_all("input")}
    response = client.post("/basket/add", data=data)
    assert response.status_code == 302 and response.headers["Location"] == f"/staff/services/{service.id}"
    assert "Men's shed" in html(client.get("/basket/")).select_one("ol.basket").get_text()


def test_a_link_worker_records_a_wait_in_one_click_from_the_sheet(signed_in: Any, make_service: Any, app: Any) -> None:
    service = make_service(name="Chair yoga", phone="01253 777888")
    client = signed_in("link-worker")
    _add(client, service.id)
    sheet = html(_sheet(client, format="html"))
    [form] = sheet.select("section.entry .no-print form.wait-buttons")  # on screen only: paper cannot be clicked
    [button] = [b for b in form.select("button") if b.get_text() == "3 to 6 months"]
    data = {i["name"]: i["value"] for i in form.select("input[type=hidden]")} | {button["name"]: button["value"]}
    response = client.post(form["action"], data=data)
    assert response.status_code == 303 and response.headers["Location"] == "/basket/"
    with app.app_context():
        reports = db.session.scalars(select(WaitingTimeReport).where(WaitingTimeReport.service_id == service.id)).all()
        assert [(r.weeks, r.source) for r in reports] == [(18, "link-worker")]
