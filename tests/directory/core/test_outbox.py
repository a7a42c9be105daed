"""The outbox: one row per message under a unique key, kept in the transaction that causes it, sent after the
commit, failed sends retried by the ``outbox`` job, and a row left "sending" by a crash never sent again.

Real database (SQLite file and PostgreSQL) and a real SMTP server on loopback, started only when a test says
the mail server is up: in between, nothing listens on its port and every send is refused.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from directory.core import outbox
from directory.core.outbox import OutboundMail
from directory.core.writes import Actor
from directory.groups import requests as listing_requests
from directory.jobs.registry import run_job
from directory.models.groups import ListingRequest
from tests.conftest import built_app
from tests.mailbox import Mailbox, db_session, free_port, smtp_mailbox

pytestmark = pytest.mark.both_backends
STAFF = Actor(label="staff: outbox@example.org", source="staff")
ATTEMPTS = 3
_serial = iter(range(1, 10_000))


@pytest.fixture(scope="module")
def port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, backend: str, port: int) -> Iterator[Flask]:
    config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_TIMEOUT": 2, "MAIL_ATTEMPTS": ATTEMPTS,
              "PUBLIC_URL": "http://directory.test"}  # fmt: skip
    with built_app(backend, tmp_path_factory.mktemp("instance"), **config) as app:
        yield app


def kept(app: Flask, key: str, to: str) -> int:
    """A message queued and committed, not yet sent; its row id."""
    with db_session(app) as session:
        row = outbox.queue(session, key, to, "Your request to be listed", "listing_declined", request=_request(to))
        session.commit()
        return int(row.id)


def _request(email: str) -> ListingRequest:
    return ListingRequest(service_name="Lunch club", organization_name="Bispham lunch", email=email, reason="Full.")


def rows(app: Flask, key: str) -> list[tuple[str, int]]:
    with db_session(app) as session:
        found = session.scalars(select(OutboundMail).where(OutboundMail.key == key))
        return [(row.status, row.attempts) for row in found]


def test_the_key_refuses_a_second_row_for_the_same_message(app: Flask, port: int) -> None:
    address = f"twice{next(_serial)}@example.org"
    key = f"listing-declined:twice-{address}"
    row_id = kept(app, key, address)
    with db_session(app) as session:
        outbox.queue(session, key, address, "Again", "listing_declined", request=_request(address))
        with pytest.raises(IntegrityError):
            session.commit()
    assert rows(app, key) == [("pending", 0)]
    with smtp_mailbox(Mailbox(port)) as box, db_session(app) as session:
        assert outbox.deliver(session, row_id) == "sent"
        assert outbox.deliver(session, row_id) == "sent"  # already sent: not sent again
    assert len(box.to(address)) == 1


def test_a_decline_that_is_rolled_back_sends_nothing(app: Flask, port: int) -> None:
    address = f"rolled{next(_serial)}@example.org"
    values = {"organization_name": "Bispham lunch", "service_name": "Lunch club", "email": address,
              "categories": ["arts-crafts"], "contact_name": "Jo"}  # fmt: skip
    with db_session(app) as session:
        request = listing_requests.submit(session, values)
        session.commit()
        request_id = request.id
    with smtp_mailbox(Mailbox(port)) as box:
        with db_session(app) as session:
            listing_requests.decline(session, request_id, "Not a community group.", staff=STAFF)
            session.rollback()  # say the request failed after the decision, before its commit
        assert run_job(app, "outbox", trigger="test").outcome == "ok"
        assert box.to(address) == []
    assert rows(app, f"listing-declined:{request_id}") == []
    with db_session(app) as session:
        assert session.get_one(ListingRequest, request_id).status == "waiting"


def test_a_send_that_fails_is_kept_and_the_job_delivers_it_once_when_the_server_is_back(app: Flask, port: int) -> None:
    address = f"later{next(_serial)}@example.org"
    key = f"new-link:test-{address}"
    row_id = kept(app, key, address)
    with db_session(app) as session:  # the mail server is down
        assert outbox.deliver(session, row_id) == "failed"
        assert "Could not send email" in session.get_one(OutboundMail, row_id).error
    assert rows(app, key) == [("failed", 1)]
    with smtp_mailbox(Mailbox(port)) as box:
        assert run_job(app, "outbox", trigger="test").counts == {"sent": 1}
        assert run_job(app, "outbox", trigger="test").counts == {}
        [message] = box.to(address)
    with app.app_context():
        assert message["Message-ID"] == outbox.outbox_message_id(key) and "Full." in str(message)
    assert rows(app, key) == [("sent", 2)]


def test_a_row_left_sending_by_a_crash_is_not_sent_again(app: Flask, port: int) -> None:
    address = f"crashed{next(_serial)}@example.org"
    key = f"claim-link:crash-{address}"
    row_id = kept(app, key, address)
    with db_session(app) as session:  # claimed and committed, then the process died before sending or marking
        session.execute(update(OutboundMail).where(OutboundMail.id == row_id).values(status="sending", attempts=1))
        session.commit()
    with smtp_mailbox(Mailbox(port)) as box:
        assert run_job(app, "outbox", trigger="test").outcome == "ok"
        with db_session(app) as session:
            assert outbox.deliver(session, row_id) == "sending"
        assert box.to(address) == []
    assert rows(app, key) == [("sending", 1)]


def test_the_job_gives_up_after_the_set_number_of_attempts(app: Flask) -> None:
    address = f"never{next(_serial)}@example.org"
    key = f"claim-declined:never-{address}"
    row_id = kept(app, key, address)
    with db_session(app) as session:
        assert outbox.deliver(session, row_id) == "failed"
    for _ in range(ATTEMPTS + 1):
        run = run_job(app, "outbox", trigger="test")
    assert rows(app, key) == [("failed", ATTEMPTS)]
    assert run.counts == {"given_up": 1} and run.message == "1 email(s) failed every attempt."


def test_a_message_whose_request_ended_before_sending_is_sent_by_the_job(app: Flask, port: int) -> None:
    address = f"pending{next(_serial)}@example.org"
    key = f"invite:pending-{address}"
    kept(app, key, address)  # committed, and the worker stopped before delivering it
    with smtp_mailbox(Mailbox(port)) as box:
        assert run_job(app, "outbox", trigger="test").counts.get("sent") == 1
        run_job(app, "outbox", trigger="test")
        assert len(box.to(address)) == 1
    assert rows(app, key) == [("sent", 1)]
