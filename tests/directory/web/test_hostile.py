"""Hostile text in every field is stored as given and rendered inert on every page, in JSON and in PDFs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import csrf_token, html

pytestmark = pytest.mark.both_backends

HOSTILE = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    '=HYPERLINK("http://evil.example")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "Robert'); DROP TABLE service;--",
    "\u202eright-to-left override",
    "Zalgo\u0301\u0302\u0303 text",
    "emoji 🧶🙂",
    "tab\tand\nnewline",
]


def _line(text: str) -> str:
    """Hostile text as a one-line field takes it: names, titles and addresses refuse line breaks and tabs."""
    return " ".join(text.split()) if any(c in text for c in "\r\n\t") else text


def _form(org_id: int, text: str) -> dict[str, Any]:
    line = _line(text)
    return {
        "organization_id": str(org_id), "name": line[:255], "description": text, "eligibility_conditions": text,
        "cost_description": text, "funder": line[:255], "funding_notes": text, "internal_notes": text,
        "verified_by": line[:255], "languages": text[:60], "categories": ["arts-crafts"], "gender": "any",
        "capacity": "accepting", "funding_status": "funded", "status": "active", "is_free": "yes",
        "schedules-0-byday": "MO", "schedules-0-opens_at": "10:00", "schedules-0-description": line[:255],
        "contacts-0-name": line[:255], "contacts-0-title": line[:255],
        "locations-0-name": line[:255], "locations-0-address_1": line[:255], "locations-0-city": line[:128],
    }  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_everywhere_stays_text(signed_in: Any, make_organization: Any, text: str) -> None:
    org = make_organization(name=_line(text)[:255], description=text)
    client = signed_in("admin")
    token = csrf_token(client, "/staff/services/new")
    response = client.post("/staff/services/new", data={"csrf_token": token, **_form(org.id, text)})
    assert response.status_code == 302, html(response).get_text()[:500]
    staff_url = response.headers["Location"]
    service_id = int(staff_url.rstrip("/").split("/")[-1])
    pages = [staff_url, f"/services/{service_id}", f"/organisations/{org.id}", f"/staff/services/{service_id}/edit",
             f"/staff/services/{service_id}/history", f"/staff/organisations/{org.id}/edit",
             "/?category=arts-crafts"]  # fmt: skip
    for path in pages:
        page = html(client.get(path))
        # Only the product's own script files, by address; nothing typed can become a script.
        scripts = page.find_all("script")
        assert all(tag.get("src", "").startswith("/static/") and not tag.get_text() for tag in scripts), path
        assert page.find("img", onerror=True) is None, path
        assert not any(tag.has_attr("onerror") for tag in page.find_all(True)), path
    # The name is shown exactly as typed (whitespace aside).
    shown = html(client.get(f"/services/{service_id}")).find("h1").get_text()
    assert " ".join(shown.split()) == " ".join(_line(text)[:255].split())
    # JSON carries it as a string, not markup.
    body = client.get("/api/search?category=arts-crafts").get_json()
    assert any(r["name"] == _line(text)[:255] for r in body["results"])
    assert json.dumps(body)  # serialisable, nothing raw
    # The printed sheet and its PDF.
    add_token = csrf_token(client, "/basket/")
    client.post("/basket/add", data={"csrf_token": add_token, "service_id": str(service_id)})
    sheet = client.post("/basket/sheet", data={"csrf_token": add_token, "format": "html", "note": text})
    assert html(sheet).find("script") is None and text.split("\n")[0][:20] in html(sheet).get_text()
    pdf = client.post("/basket/sheet", data={"csrf_token": add_token, "format": "pdf", "note": text})
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    client.post("/basket/clear", data={"csrf_token": add_token})


def test_a_line_break_in_a_one_line_field_is_refused_and_nothing_saved(signed_in: Any, make_organization: Any) -> None:
    org = make_organization()
    client = signed_in("admin")
    token = csrf_token(client, "/staff/services/new")
    form = {**_form(org.id, "ok"), "name": "Knit\r\nBcc: everyone@evil.example"}
    refused = client.post("/staff/services/new", data={"csrf_token": token, **form})
    assert refused.status_code == 422 and "Keep this to one line" in html(refused).get_text()
    assert "Knit" not in html(client.get("/?q=knit")).get_text(" ")


def test_overlong_and_nul_input_is_refused_with_a_named_field(signed_in: Any, make_organization: Any) -> None:
    org = make_organization()
    client = signed_in("admin")
    token = csrf_token(client, "/staff/services/new")
    overlong = client.post("/staff/services/new", data={"csrf_token": token, **_form(org.id, "ok"), "name": "y" * 300})
    assert overlong.status_code == 422 and "at most 255 characters" in html(overlong).get_text()
    nul = client.post("/staff/services/new", data={"csrf_token": token, **_form(org.id, "ok"), "name": "a\x00b"})
    assert nul.status_code == 422 and "control characters" in html(nul).get_text()
