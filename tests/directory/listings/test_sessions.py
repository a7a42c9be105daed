"""Monthly and fortnightly sessions through the real app: entered on the staff form, kept through an unchanged
save and a revision restore, shown as rules and next dates on the listing page, in search results and on the
signposting sheet. The clock is frozen at Saturday 5 December 2026 (the first Tuesday, 1 December, has passed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
import time_machine

from directory.listings import operations
from directory.models import Schedule, Service
from tests.conftest import STAFF, csrf_token, html

pytestmark = pytest.mark.both_backends

NOW = datetime(2026, 12, 5, 9, 0)


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def test_staff_enter_first_tuesday_of_the_month_and_clients_see_the_right_dates(
    frozen: None, signed_in: Any, make_organization: Any, session: Any, client: Any
) -> None:
    org = make_organization(name="Marton Methodists")
    staff = signed_in("link-worker")
    response = staff.post(
        "/staff/services/new",
        data={
            "csrf_token": csrf_token(staff, "/staff/services/new"), "organization_id": str(org.id),
            "name": "Memory cafe", "categories": ["loneliness"], "gender": "any", "capacity": "accepting",
            "funding_status": "funded", "status": "active", "is_free": "yes",
            "schedules-0-byday": "TU", "schedules-0-week_of_month": "1",
            "schedules-0-opens_at": "10:00", "schedules-0-closes_at": "12:00",
            "schedules-1-byday": "FR", "schedules-1-week_of_month": "-1", "schedules-1-opens_at": "14:00",
            "schedules-1-except_dates": "2026-12-25", "schedules-1-valid_to": "2027-06-30",
        },
    )  # fmt: skip
    assert response.status_code == 302, html(response).get_text()
    service_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    rows = session.query(Schedule).filter_by(service_id=service_id).order_by(Schedule.id).all()
    assert [(r.freq, r.byday, r.week_of_month, r.except_dates, r.valid_to) for r in rows] == [
        ("MONTHLY", "TU", 1, [], None),
        ("MONTHLY", "FR", -1, ["2026-12-25"], date(2027, 6, 30)),
    ]
    page = html(client.get(f"/services/{service_id}")).get_text(" ", strip=True)
    assert "First Tuesday of the month, 10am to midday" in page
    assert "Last Friday of the month, 2pm, until 30 Jun 2027" in page
    # The last Friday of December (25th) is a holiday: the next ones are January's and February's.
    assert "Next: Tue 5 Jan, 10am to midday; Fri 29 Jan, 2pm; Tue 2 Feb, 10am to midday" in page

    [found] = [r for r in client.get("/api/search?q=memory+cafe").get_json()["results"] if r["id"] == service_id]
    assert found["next_sessions"] == ["Tue 5 Jan, 10am to midday", "Fri 29 Jan, 2pm"]
    results = html(staff.get("/?q=memory+cafe"))
    card = next(c for c in results.select("li.result") if "Memory cafe" in c.get_text())
    assert "Next: Tue 5 Jan, 10am to midday" in card.get_text(" ", strip=True)  # a compact row shows the next one


def test_dates_off_are_written_and_shown_as_people_write_them(
    signed_in: Any, make_organization: Any, session: Any
) -> None:
    """A date written "25 December 2026" is accepted in the box for dates a session is not on, and shown so."""
    org = make_organization(name="Layton Library")
    staff = signed_in("link-worker")
    response = staff.post(
        "/staff/services/new",
        data={
            "csrf_token": csrf_token(staff, "/staff/services/new"), "organization_id": str(org.id),
            "name": "Story time", "categories": ["loneliness"], "gender": "any", "capacity": "accepting",
            "funding_status": "funded", "status": "active", "is_free": "yes",
            "schedules-0-byday": "SA", "schedules-0-opens_at": "10:00",
            "schedules-0-except_dates": "26 December 2026, 2 Jan 2027",
        },
    )  # fmt: skip
    assert response.status_code == 302, html(response).get_text()
    service_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    [row] = session.query(Schedule).filter_by(service_id=service_id).all()
    assert row.except_dates == ["2026-12-26", "2027-01-02"]
    form = html(staff.get(f"/staff/services/{service_id}/edit"))
    box = form.find("input", id="schedules-0-except_dates")
    assert box["value"] == "26 December 2026, 2 January 2027"
    assert form.find(id="schedules-0-except_dates-hint").get_text(strip=True) == (
        "Write each date like 25 December 2026, separated by commas."
    )


def test_an_unchanged_save_and_a_restore_keep_every_rule_field(signed_in: Any, make_service: Any, session: Any) -> None:
    service = make_service(
        name="Fortnightly walk",
        schedules=[
            {"byday": "MO", "interval": 2, "dtstart": "2026-11-30", "opens_at": "10:00", "valid_from": "2026-11-30"},
            {"bymonthday": 15, "opens_at": "18:00", "except_dates": ["2027-01-15"]},
        ],
    )
    staff = signed_in("admin")
    from tests.directory.listings.test_views import _edit_form

    form = _edit_form(staff, service.id)
    assert form["schedules-0-interval"] == "2" and form["schedules-1-bymonthday"] == "15"
    assert staff.post(f"/staff/services/{service.id}/edit", data=form).status_code == 302
    assert operations.history(session, "service", service.id)[0].changed_fields == []
    # Change the rule, then restore the first revision: the fortnight and the month day come back.
    form = _edit_form(staff, service.id)
    changed = {**form, "schedules-0-interval": "1", "schedules-1-bymonthday": "", "schedules-1-byday": "WE"}
    assert staff.post(f"/staff/services/{service.id}/edit", data=changed).status_code == 302
    session.expire_all()
    assert [s.interval for s in session.get(Service, service.id).schedules] == [1, 1]
    first = operations.history(session, "service", service.id)[-1]
    current = session.get(Service, service.id).version
    operations.restore_revision(session, first.id, expected_version=current, actor=STAFF)
    session.commit()
    session.expire_all()
    restored = session.get(Service, service.id).schedules
    assert [(s.interval, s.dtstart, s.bymonthday, s.except_dates) for s in restored] == [
        (2, date(2026, 11, 30), None, []),
        (1, None, 15, ["2027-01-15"]),
    ]


def test_a_bad_rule_on_the_form_is_named_and_saves_nothing(signed_in: Any, make_service: Any, session: Any) -> None:
    service = make_service(name="Choir", schedules=[{"byday": "WE", "opens_at": "19:00"}])
    staff = signed_in("link-worker")
    from tests.directory.listings.test_views import _edit_form

    form = _edit_form(staff, service.id)
    response = staff.post(
        f"/staff/services/{service.id}/edit", data={**form, "schedules-0-interval": "2", "schedules-0-dtstart": ""}
    )
    assert response.status_code == 422
    assert "Session 1: a session every 2 weeks or months needs a first date" in html(response).get_text()
    session.expire_all()
    assert [(s.interval, s.freq) for s in session.get(Service, service.id).schedules] == [(1, "WEEKLY")]


def test_the_signposting_sheet_prints_the_rule_and_the_next_date(
    frozen: None, signed_in: Any, make_service: Any
) -> None:
    service = make_service(
        name="Craft club", schedules=[{"byday": "WE", "week_of_month": 2, "opens_at": "13:00", "closes_at": "15:00"}]
    )
    staff = signed_in("link-worker", team="South PCN")
    token = csrf_token(staff, "/basket/")
    staff.post("/basket/add", data={"csrf_token": token, "service_id": str(service.id)})
    token = csrf_token(staff, "/basket/")
    sheet = html(staff.post("/basket/sheet", data={"csrf_token": token, "format": "html", "note": ""}))
    [entry] = sheet.select("section.entry")
    text = entry.get_text(" ", strip=True)
    # December 2026's second Wednesday is the 9th: still ahead on the 5th.
    assert "When: Second Wednesday of the month, 1pm to 3pm" in text
    assert "Next: Wed 9 Dec, 1pm to 3pm; Wed 13 Jan, 1pm to 3pm" in text


def test_staff_edit_a_places_accessibility_and_eligibility_and_clients_see_them(
    signed_in: Any, make_service: Any, session: Any, client: Any
) -> None:
    service = make_service(
        name="Tai chi",
        locations=[{"name": "Grange Park Hub", "address_1": "Dinmore Avenue", "city": "Blackpool"}],
    )
    staff = signed_in("link-worker")
    from tests.directory.listings.test_views import _edit_form

    form = _edit_form(staff, service.id)
    assert form["locations-0-accessibility"] == ""
    changed = {
        **form,
        "locations-0-accessibility": "Step-free entrance; Hearing loop in the main hall",
        "eligibility_conditions": "Over 60s living in Grange Park",
    }
    assert staff.post(f"/staff/services/{service.id}/edit", data=changed).status_code == 302
    session.expire_all()
    [place] = session.get(Service, service.id).locations
    assert place.accessibility == ["Step-free entrance", "Hearing loop in the main hall"]
    page = html(client.get(f"/services/{service.id}"))
    assert page.select_one(".place-access").get_text(strip=True) == (
        "Access: Step-free entrance; Hearing loop in the main hall"
    )
    assert "Over 60s living in Grange Park" in page.get_text()
    from directory.oruk.serialise import oruk_id

    body = client.get(f"/api/oruk/services/{oruk_id('service', service.id)}").get_json()
    assert body["eligibility_description"] == "Over 60s living in Grange Park"
    location = body["service_at_locations"][0]["location"]
    assert [a["description"] for a in location["accessibility"]] == [
        "Step-free entrance",
        "Hearing loop in the main hall",
    ]
    # Cleared on the form, cleared on the place.
    form = _edit_form(staff, service.id)
    assert form["locations-0-accessibility"] == "Step-free entrance; Hearing loop in the main hall"
    assert (
        staff.post(f"/staff/services/{service.id}/edit", data={**form, "locations-0-accessibility": ""}).status_code
        == 302
    )
    session.expire_all()
    assert session.get(Service, service.id).locations[0].accessibility == []


def test_a_group_sets_first_tuesday_of_the_month_through_its_edit_link(
    app: Any, make_service: Any, session: Any
) -> None:
    from directory.groups import links as groups
    from tests.mailbox import submit

    service = make_service(name="Knit club", schedules=[{"byday": "TU", "opens_at": "10:00", "closes_at": "12:00"}])
    token, _ = groups.invite(session, service.organization_id, "pat@example.org", created_by="staff: t", days=14)
    session.commit()
    contact = app.test_client()
    assert submit(contact, f"/group/link/{token}").status_code == 302
    page = html(contact.get(f"/group/services/{service.id}/edit"))
    assert page.find("select", id="schedules-0-week_of_month") is not None
    response = submit(contact, f"/group/services/{service.id}/edit", {"schedules-0-week_of_month": "1"})
    assert response.status_code in (302, 303), html(response).get_text(" ", strip=True)[:500]
    session.expire_all()
    [row] = session.get(Service, service.id).schedules
    assert (row.freq, row.byday, row.week_of_month, row.opens_at.hour) == ("MONTHLY", "TU", 1, 10)
