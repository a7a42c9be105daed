"""The public search: what widens a search beyond live, current listings is for staff only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from directory.core.clock import utcnow
from directory.listings import operations
from tests.conftest import STAFF, html

pytestmark = pytest.mark.both_backends


@pytest.fixture
def hidden(make_service: Any, session: Any) -> dict[str, Any]:
    archived = make_service(name="Zebra archived club", phone="01253 999001")
    operations.archive(session, "service", archived.id, expected_version=archived.version, actor=STAFF)
    long_ago = (utcnow() - timedelta(days=800)).replace(microsecond=0)
    unverified = make_service(name="Zebra unverified club", phone="01253 999002", last_verified_at=long_ago)
    live = make_service(name="Zebra live club", phone="01253 999003")
    session.commit()
    return {"archived": archived, "unverified": unverified, "live": live}


@pytest.mark.parametrize("who", ["anonymous", "group-editor"])
def test_only_staff_can_widen_a_search_to_archived_or_unverified_listings(
    client: Any, signed_in: Any, make_organization: Any, hidden: dict[str, Any], who: str
) -> None:
    reader = client if who == "anonymous" else signed_in("group-editor", organization_id=make_organization().id)
    found = reader.get("/api/search?q=zebra&archived=yes&unverified=yes").get_json()
    names = {result["name"] for result in found["results"]}
    assert names == {"Zebra live club"}
    page = html(reader.get("/?q=zebra&archived=yes&unverified=yes")).get_text(" ")
    assert "Zebra live club" in page and "archived club" not in page and "unverified club" not in page
    assert "999001" not in page and "999002" not in page


def test_staff_can_still_widen_a_search(signed_in: Any, hidden: dict[str, Any]) -> None:
    staff = signed_in("link-worker")
    names = {r["name"] for r in staff.get("/api/search?q=zebra&archived=yes&unverified=yes").get_json()["results"]}
    assert names == {"Zebra live club", "Zebra archived club", "Zebra unverified club"}
