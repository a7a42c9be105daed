"""A group names the council areas it covers without a fixed place: names in, codes stored, names shown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from directory.groups import links as groups
from directory.models import Service
from tests.conftest import built_app, html
from tests.mailbox import db_session, make_listing, submit

pytestmark = pytest.mark.both_backends


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Flask]:
    with built_app(backend, tmp_path_factory.mktemp("instance"), GROUP_REVIEW_FIELDS="details") as app:
        yield app


def signed_in_group(app: Flask, service_id: int) -> FlaskClient:
    with db_session(app) as session:
        organization_id = session.get_one(Service, service_id).organization_id
        token, _ = groups.invite(session, organization_id, "pat@knit.example.org", created_by="staff: t", days=14)
        session.commit()
    client = app.test_client()
    assert submit(client, f"/group/link/{token}").status_code == 302
    return client


def stored_areas(app: Flask, service_id: int) -> list[str]:
    with db_session(app) as session:
        return sorted(area.lad_code for area in session.get_one(Service, service_id).service_areas)


def shown_areas(client: FlaskClient, service_id: int) -> str:
    return str(html(client.get(f"/group/services/{service_id}/edit")).find("input", id="service_areas")["value"])


def test_names_are_stored_as_codes_and_shown_as_names(app: Flask) -> None:
    service_id = make_listing(app, service_areas=["E06000009"])
    client = signed_in_group(app, service_id)
    assert shown_areas(client, service_id) == "Blackpool"
    form = f"/group/services/{service_id}/edit"
    assert submit(client, form, {"service_areas": "Blackpool, fylde, City of Bristol"}).status_code == 302
    assert stored_areas(app, service_id) == ["E06000009", "E06000023", "E07000119"]
    assert shown_areas(client, service_id) == "Blackpool, City of Bristol, Fylde"
    # The public page names them too.
    page = html(client.get(f"/services/{service_id}")).get_text(" ")
    assert "Covers Blackpool" in page and "Covers Fylde" in page and "E06000009" not in page


def test_codes_are_still_accepted_as_imports_and_older_data_send_them(app: Flask) -> None:
    service_id = make_listing(app)
    client = signed_in_group(app, service_id)
    response = submit(client, f"/group/services/{service_id}/edit", {"service_areas": "e07000117, Pendle"})
    assert response.status_code == 302
    assert stored_areas(app, service_id) == ["E07000117", "E07000122"]


def test_an_unknown_name_is_named_in_the_error_and_nothing_changes(app: Flask) -> None:
    service_id = make_listing(app, service_areas=["E06000009"])
    client = signed_in_group(app, service_id)
    response = submit(client, f"/group/services/{service_id}/edit", {"service_areas": "Blackpool, Nowhereshire",
                                                                     "phone": "01253 222222"})  # fmt: skip
    assert response.status_code == 422
    page = html(response)
    summary = page.find(class_="error-summary").get_text(" ", strip=True)
    assert "Areas covered without a fixed place: We do not know 'Nowhereshire' as a council area" in summary
    assert page.find("input", id="service_areas")["value"] == "Blackpool, Nowhereshire"  # what they typed, kept
    assert stored_areas(app, service_id) == ["E06000009"]
    with db_session(app) as session:
        assert session.get_one(Service, service_id).phone != "01253 222222"
