"""directory.imports.evidence: a website check keeps evidence for staff and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from directory.imports.evidence import check_websites
from directory.models import Service
from directory.models.verification import FollowUp
from scrapers.website import WebsiteChecker
from tests.scrapers.loopback import LoopbackServer, Reply


def test_a_dead_website_is_evidence_for_staff_and_changes_nothing(
    session: Any, server: LoopbackServer, make_service: Callable[..., Any]
) -> None:
    server.routes["/alive"] = Reply(b"<html>still here</html>", content_type="text/html")
    server.routes["/gone"] = Reply(b"gone", status=410, content_type="text/plain")
    alive = make_service(name="Alive", url=server.url + "/alive")
    gone = make_service(name="Gone", url=server.url + "/gone")
    versions = {s.id: s.version for s in (alive, gone)}
    outcomes = {sid: ok for sid, ok, _ in check_websites(session, WebsiteChecker(allow_private=True))}
    assert outcomes[alive.id] is True and outcomes[gone.id] is False
    session.expire_all()
    assert {sid: session.get(Service, sid).version for sid in versions} == versions  # evidence, never a change
    follow_ups = session.scalars(select(FollowUp).where(FollowUp.service_id.in_(list(versions)))).all()
    assert [(f.service_id, f.reason) for f in follow_ups] == [(gone.id, "website-failed")]
