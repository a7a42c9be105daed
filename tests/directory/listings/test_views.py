"""The web pages, through the real app and its CSRF-protected forms."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import csrf_token, html, sign_in

pytestmark = pytest.mark.both_backends


def test_healthz_answers_with_the_database_reachable(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize(
    "path",
    ["/staff/", "/staff/services/new", "/staff/organisations/", "/admin/categories", "/admin/users"],
)
def test_anonymous_requests_to_staff_pages_are_sent_to_sign_in(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_anonymous_cannot_post_an_edit(client: Any, make_service: Any) -> None:
    service = make_service()
    token = csrf_token(client, "/login")
    response = client.post(
        f"/staff/services/{service.id}/edit", data={"csrf_token": token, "name": "x", "version": "1"}
    )
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_wrong_password_is_refused_with_a_message(client: Any, make_user: Any) -> None:
    user = make_user("admin")
    response = sign_in(client, user.email, "wrong password!")
    assert response.status_code == 401
    assert "do not match" in html(response).find(role="alert").get_text()


def test_a_form_without_csrf_token_is_refused(client: Any, make_user: Any) -> None:
    user = make_user("admin")
    response = client.post("/login", data={"email": user.email, "password": "x"})
    assert response.status_code == 400


def test_link_worker_cannot_reach_admin_pages(signed_in: Any) -> None:
    client = signed_in("link-worker")
    assert client.get("/admin/categories").status_code == 403


def test_group_editor_sees_only_their_own_listings(signed_in: Any, make_organization: Any, make_service: Any) -> None:
    mine, theirs = make_organization(), make_organization()
    own = make_service(organization_id=mine.id, name="Our lunch club")
    other = make_service(organization_id=theirs.id, name="Their lunch club")
    client = signed_in("group-editor", organization_id=mine.id)
    assert client.get(f"/staff/services/{own.id}/edit").status_code == 200
    assert client.get(f"/staff/services/{other.id}/edit").status_code == 403
    assert client.get(f"/staff/services/{other.id}/history").status_code == 403
    names = [h.get_text(strip=True) for h in html(client.get("/staff/")).select(".card h3")]
    assert "Our lunch club" in names and "Their lunch club" not in names
    assert client.get("/staff/services/new").status_code == 403


def _edit_form(client: Any, service_id: int) -> dict[str, Any]:
    """The edit form as a browser would submit it, unchanged."""
    page = html(client.get(f"/staff/services/{service_id}/edit"))
    form = page.find("form", class_="listing-form")
    data: dict[str, Any] = {}
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name:
            continue
        if field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            data[name] = chosen.get("value", "") if chosen else ""
        elif field.name == "textarea":
            data[name] = field.get_text()
        elif field.get("type") == "checkbox":
            if field.has_attr("checked"):
                data.setdefault(name, []).append(field["value"])
        else:
            data[name] = field.get("value", "")
    return data


def test_staff_edit_saves_a_revision_and_refuses_a_stale_form(signed_in: Any, make_service: Any) -> None:
    service = make_service(name="Tea and chat", categories=["loneliness"], phone="01282 123456")
    client = signed_in("link-worker")
    form = _edit_form(client, service.id)
    assert form["version"] == "1" and form["categories"] == ["loneliness"]
    response = client.post(f"/staff/services/{service.id}/edit", data={**form, "name": "Tea, chat and cake"})
    assert response.status_code == 302
    detail = html(client.get(f"/staff/services/{service.id}"))
    assert detail.find("h1").get_text() == "Tea, chat and cake"
    # The same old form sent again (version 1) must not overwrite the newer save.
    stale = client.post(f"/staff/services/{service.id}/edit", data={**form, "name": "Overwrite"})
    assert stale.status_code == 409
    assert "changed by someone else" in html(stale).find(role="alert").get_text()
    history = html(client.get(f"/staff/services/{service.id}/history"))
    rows = history.select("table.revisions tbody tr")
    assert len(rows) == 2 and "name" in rows[0].get_text()


def test_unchanged_form_round_trip_changes_no_field(signed_in: Any, make_service: Any, session: Any) -> None:
    service = make_service(
        name="Walk and talk", minimum_age=18, maximum_age=99, is_free=False, cost_description="£2",
        schedules=[{"byday": "MO", "opens_at": "10:00", "closes_at": "11:30"}],
        locations=[{"name": "Stanley Park", "address_1": "West Park Drive", "city": "Blackpool",
                    "postcode": "FY3 9HU"}],
        service_areas=["E06000009"], languages=["English", "Urdu"], delivery_modes=["in-person"],
        contacts=[{"name": "Sam", "phone": "01253 000000"}], funded_until="2027-03-31",
        last_verified_at="2026-09-01T10:00:00",
    )  # fmt: skip
    client = signed_in("admin")
    response = client.post(f"/staff/services/{service.id}/edit", data=_edit_form(client, service.id))
    assert response.status_code == 302
    from directory.listings import operations

    latest = operations.history(session, "service", service.id)[0]
    assert latest.changed_fields == []


def test_invalid_form_shows_each_error_and_saves_nothing(signed_in: Any, make_service: Any) -> None:
    service = make_service(name="Money advice")
    client = signed_in("community-development")
    form = _edit_form(client, service.id)
    response = client.post(
        f"/staff/services/{service.id}/edit", data={**form, "email": "nope", "url": "javascript:alert(1)"}
    )
    assert response.status_code == 422
    summary = html(response).find(class_="error-summary").get_text()
    assert "Email:" in summary and "Website:" in summary
    assert len(html(client.get(f"/staff/services/{service.id}/history")).select("table.revisions tbody tr")) == 1


def test_restore_a_revision_from_the_history_page(signed_in: Any, make_service: Any) -> None:
    service = make_service(name="Original name")
    client = signed_in("admin")
    form = _edit_form(client, service.id)
    client.post(f"/staff/services/{service.id}/edit", data={**form, "name": "Changed name"})
    page = html(client.get(f"/staff/services/{service.id}/history"))
    restore_form = page.select("table.revisions form")[0]  # the only non-current row: the original
    data = {i["name"]: i["value"] for i in restore_form.find_all("input")}
    response = client.post(restore_form["action"], data=data)
    assert response.status_code == 302
    assert html(client.get(f"/staff/services/{service.id}")).find("h1").get_text() == "Original name"


def test_archive_asks_first_then_hides_the_public_page_and_restore_brings_it_back(
    signed_in: Any, make_service: Any
) -> None:
    service = make_service(name="Allotment club")
    client = signed_in("admin")
    page = html(client.get(f"/staff/services/{service.id}"))
    assert not [f for f in page.select("main form") if f.get("action", "").endswith("/archive")]  # no one-click
    link = page.find("a", string="Archive…")
    asked = client.get(link["href"])
    assert asked.status_code == 200 and client.get(f"/services/{service.id}").status_code == 200  # asking hides nothing
    question = html(asked)
    assert question.find("h1").get_text() == "Archive Allotment club?"
    [form] = question.select("main form")
    response = client.post(link["href"], data={i["name"]: i["value"] for i in form.find_all("input")})
    assert response.status_code == 302
    assert client.get(f"/services/{service.id}").status_code == 404
    assert "Allotment club" not in html(client.get("/?q=allotment")).get_text()
    token = csrf_token(client, f"/staff/services/{service.id}")
    client.post(f"/staff/services/{service.id}/unarchive", data={"csrf_token": token, "version": "2"})
    assert client.get(f"/services/{service.id}").status_code == 200
    assert "Allotment club" in html(client.get("/?q=allotment")).get_text()


def test_archiving_an_organisation_names_the_services_it_will_hide(signed_in: Any, make_service: Any) -> None:
    first = make_service(name="Knit and natter")
    make_service(name="Craft café", organization_id=first.organization_id)
    client = signed_in("admin")
    page = html(client.get(f"/staff/organisations/{first.organization_id}/edit"))
    asked = html(client.get(page.find("a", string="Archive with its services…")["href"]))
    text = asked.get_text(" ")
    assert "2 live services" in text and "Knit and natter" in text and "Craft café" in text
    assert client.get(f"/services/{first.id}").status_code == 200
    assert signed_in("link-worker").get(f"/staff/organisations/{first.organization_id}/archive").status_code == 200
    editor = signed_in("group-editor", organization_id=first.organization_id)
    assert editor.get(f"/staff/organisations/{first.organization_id}/archive").status_code == 403


def test_public_page_leaves_out_staff_only_fields(client: Any, make_service: Any, session: Any) -> None:
    from directory.listings import operations
    from tests.conftest import STAFF

    service = make_service(
        name="Singing for the brain",
        funding_notes="Grant bid pending: SECRET-FUNDING",
        internal_notes="Coordinator unreliable: SECRET-INTERNAL",
    )
    operations.report_waiting_time(session, service.id, 4, source="link-worker", actor=STAFF)
    text = html(client.get(f"/services/{service.id}")).get_text()
    assert "Singing for the brain" in text and "about 4 weeks" in text
    assert "SECRET-FUNDING" not in text and "SECRET-INTERNAL" not in text
    assert STAFF.label not in text


def test_hostile_text_is_rendered_inert(client: Any, make_service: Any) -> None:
    service = make_service(name="<script>alert(1)</script>", description="<img src=x onerror=alert(1)>")
    page = html(client.get(f"/services/{service.id}"))
    assert page.find("script") is None and page.find("img") is None
    assert "<script>alert(1)</script>" in page.find("h1").get_text()


def test_staff_can_create_a_service_from_the_form(signed_in: Any, make_organization: Any) -> None:
    org = make_organization(name="Blackpool Carers Centre")
    client = signed_in("link-worker")
    token = csrf_token(client, "/staff/services/new")
    response = client.post(
        "/staff/services/new",
        data={
            "csrf_token": token, "organization_id": str(org.id), "name": "Young carers club",
            "categories": ["carers", "young-people"], "gender": "any", "capacity": "accepting",
            "funding_status": "funded", "status": "active", "is_free": "yes",
            "schedules-0-byday": "TH", "schedules-0-opens_at": "16:00", "schedules-0-closes_at": "18:00",
            "locations-0-name": "Carers Centre", "locations-0-postcode": "fy1 4hu",
        },
    )  # fmt: skip
    assert response.status_code == 302, html(response).get_text()
    page = html(client.get(response.headers["Location"]))
    assert "Thursdays, 4pm to 6pm" in page.get_text()
    assert "FY1 4HU" in page.get_text()


def test_admin_adds_and_retires_a_category(signed_in: Any) -> None:
    client = signed_in("admin")
    token = csrf_token(client, "/admin/categories")
    response = client.post(
        "/admin/categories", data={"csrf_token": token, "code": "mens-sheds", "name": "Men's sheds", "active": "yes"}
    )
    assert response.status_code == 302
    assert "Men's sheds" in html(client.get("/admin/categories")).get_text()
    bad = client.post("/admin/categories", data={"csrf_token": token, "code": "Bad Code!", "name": ""})
    assert bad.status_code == 422


def test_admin_edits_synonyms_and_search_uses_them(signed_in: Any, make_service: Any) -> None:
    make_service(name="Woodwork shed", categories=["older-people"])
    client = signed_in("admin")
    token = csrf_token(client, "/admin/synonyms")
    assert "woodwork" not in html(client.get("/?q=joinery")).get_text().lower()
    response = client.post("/admin/synonyms", data={"csrf_token": token, "term": "joinery", "alternatives": "woodwork"})
    assert response.status_code == 302
    assert "Woodwork shed" in html(client.get("/?q=joinery")).get_text()
    bad = client.post("/admin/synonyms", data={"csrf_token": token, "term": "", "alternatives": "x"})
    assert bad.status_code == 422
    assert signed_in("link-worker").get("/admin/synonyms").status_code == 403


def test_staff_are_offered_to_flag_a_gap_from_a_listing_and_from_thin_results(
    signed_in: Any, make_service: Any
) -> None:
    service = make_service(name="Only carers group", categories=["carers"])
    client = signed_in("link-worker")
    detail = html(client.get(f"/staff/services/{service.id}"))
    link = detail.find("a", string=lambda s: s and "Flag a gap" in s)
    assert link is not None and "from=listing" in link["href"] and "category=carers" in link["href"]
    results = html(client.get("/?category=carers"))
    few = results.find(class_="few")
    assert few is not None and few.find("a")["href"].startswith("/flags/new")


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_referral_form_file_upload_download_replace_and_restore(signed_in: Any, make_service: Any, app: Any) -> None:
    import io

    service = make_service(name="Counselling")
    staff = signed_in("link-worker")
    form = _edit_form(staff, service.id)
    response = staff.post(
        f"/staff/services/{service.id}/edit",
        data={**form, "referral_form_upload": (io.BytesIO(PDF), "referral.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    public = html(staff.get(f"/services/{service.id}"))
    link = public.find("a", string="Download the referral form")
    assert link is not None
    download = staff.get(link["href"])
    assert download.data == PDF and "attachment" in download.headers["Content-Disposition"]
    download.close()
    first_href = link["href"]
    # A second file replaces it; the first stays for the history and staff can still fetch it.
    form = _edit_form(staff, service.id)
    staff.post(f"/staff/services/{service.id}/edit",
               data={**form, "referral_form_upload": (io.BytesIO(PDF + b"v2"), "v2.pdf")},
               content_type="multipart/form-data")  # fmt: skip
    second_href = html(staff.get(f"/services/{service.id}")).find("a", string="Download the referral form")["href"]
    assert second_href != first_href
    old = staff.get(first_href)
    assert old.status_code == 200
    old.close()
    anonymous = app.test_client()
    assert anonymous.get(first_href).status_code == 404  # not the live form any more: not public
    live = anonymous.get(second_href)
    assert live.status_code == 200
    live.close()


def _zip_of(members: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("form.exe", b"MZ....", "is not a PDF"), ("form.pdf", b"<html>not a pdf</html>", "does not look like a PDF"),
     ("form.pdf", b"", "is empty"),
     ("form.docx", b"PK\x03\x04" + b"\x00" * 200, "is not a complete Word (.docx) file"),
     ("form.odt", _zip_of({"content.xml": b"<x/>"}), "is not a proper OpenDocument (.odt) file (it lacks mimetype)")],
)  # fmt: skip
def test_bad_referral_form_files_are_refused_by_name(
    signed_in: Any, make_service: Any, name: str, content: bytes, message: str
) -> None:
    import io

    service = make_service(name="Advice")
    client = signed_in("admin")
    form = _edit_form(client, service.id)
    response = client.post(f"/staff/services/{service.id}/edit",
                           data={**form, "referral_form_upload": (io.BytesIO(content), name)},
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 422 and message in html(response).get_text()


def test_link_worker_reports_a_listing_stopped_and_staff_see_it_unchanged(
    signed_in: Any, make_service: Any, session: Any
) -> None:
    from directory.models import Service
    from directory.models.verification import FollowUp

    service = make_service(name="Tuesday lunch club")
    client = signed_in("link-worker")
    token = csrf_token(client, f"/staff/services/{service.id}")
    response = client.post(
        f"/staff/services/{service.id}/report",
        data={"csrf_token": token, "reason": "reported-stopped", "note": "Hall locked for weeks"},
    )
    assert response.status_code == 302
    again = client.post(f"/staff/services/{service.id}/report",
                        data={"csrf_token": token, "reason": "reported-stopped", "note": "Still locked"})  # fmt: skip
    assert again.status_code == 302
    session.expire_all()
    reports = session.query(FollowUp).filter_by(service_id=service.id).all()
    assert [(r.reason, r.detail) for r in reports] == [("reported-stopped", "Hall locked for weeks")]
    assert reports[0].reported_by.startswith("staff: ")
    assert session.get(Service, service.id).status == "active"  # a report never changes the listing
    queue = html(signed_in("admin").get("/staff/follow-ups")).get_text()
    assert "Tuesday lunch club" in queue and "Hall locked for weeks" in queue
    bad = client.post(f"/staff/services/{service.id}/report", data={"csrf_token": token, "reason": "bored"})
    assert "Not reported" in html(client.get(bad.headers["Location"])).get_text()


def test_organisation_edit_saves_a_revision_and_refuses_a_stale_form(signed_in: Any, make_organization: Any) -> None:
    org = make_organization(name="Layton Lunch Club")
    client = signed_in("admin")
    page = html(client.get(f"/staff/organisations/{org.id}/edit"))
    form = page.find("form", class_="listing-form")
    data = {i["name"]: i.get("value", "") for i in form.find_all("input")}
    data.update(sector="community", description="")
    assert data["version"] == "1"
    saved = client.post(f"/staff/organisations/{org.id}/edit", data={**data, "name": "Layton Lunch Club CIC"})
    assert saved.status_code == 302
    stale = client.post(f"/staff/organisations/{org.id}/edit", data={**data, "name": "Overwrite"})
    assert stale.status_code == 409 and "changed by someone else" in html(stale).find(role="alert").get_text()
    bad = client.post(f"/staff/organisations/{org.id}/edit", data={**data, "version": "2", "email": "nope"})
    assert bad.status_code == 422
    response = client.get(f"/staff/organisations/{org.id}/history")
    assert response.status_code == 200, response.status_code
    history = html(response).select("table.revisions tbody tr")
    assert len(history) == 2 and "Layton Lunch Club CIC" in history[0].get_text()


def test_restore_an_organisation_revision_from_its_history(signed_in: Any, make_organization: Any) -> None:
    org = make_organization(name="Before")
    client = signed_in("admin")
    form = html(client.get(f"/staff/organisations/{org.id}/edit")).find("form", class_="listing-form")
    data = {i["name"]: i.get("value", "") for i in form.find_all("input")}
    client.post(f"/staff/organisations/{org.id}/edit", data={**data, "sector": "community", "name": "After"})
    restore = html(client.get(f"/staff/organisations/{org.id}/history")).select("table.revisions form")[0]
    response = client.post(restore["action"], data={i["name"]: i["value"] for i in restore.find_all("input")})
    assert response.status_code == 302
    page = html(client.get(f"/staff/organisations/{org.id}/edit"))
    assert page.find("input", {"name": "name"})["value"] == "Before"


def test_history_shows_a_group_editor_no_staff_only_field_or_staff_name(
    signed_in: Any, make_organization: Any, make_service: Any, session: Any
) -> None:
    from directory.core.writes import Actor
    from directory.listings import operations

    organization = make_organization(name="Knit Together")
    service = make_service(
        organization_id=organization.id, internal_notes="Secret: the treasurer is unwell",
        funding_notes="Grant ends, do not tell the group", verified_by="staff: verifier@example.org",
    )  # fmt: skip
    staff = Actor(label="staff: pencil@staff.example.org", source="staff")
    operations.update(session, "service", service.id, {"internal_notes": "Still secret", "description": "Tea too"},
                      expected_version=service.version, actor=staff)  # fmt: skip
    group = Actor(label="group: pat@knit.example.org (approved by staff: approver@example.org)", source="group")
    operations.update(session, "organization", organization.id, {"phone": "01253 123456"},
                      expected_version=organization.version, actor=group)  # fmt: skip
    session.commit()
    secrets = ("treasurer", "do not tell", "verifier@", "pencil@", "approver@", "tester@", "internal_notes",
               "funding_notes", "verified_by")  # fmt: skip

    group_editor = signed_in("group-editor", organization_id=organization.id)
    for path in (f"/staff/services/{service.id}/history", f"/staff/organisations/{organization.id}/history"):
        response = group_editor.get(path)
        assert response.status_code == 200
        text = str(html(response))
        assert not [word for word in secrets if word in text], path
        assert "the directory team" in html(response).get_text()
    seen = html(group_editor.get(f"/staff/services/{service.id}/history")).get_text(" ")
    assert "description" in seen and "Tea too" in seen  # public changes stay visible

    staff_view = str(html(signed_in("link-worker").get(f"/staff/services/{service.id}/history")))
    assert "Still secret" in staff_view and "pencil@staff.example.org" in staff_view
