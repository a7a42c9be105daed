"""Freshness reminders on a frozen clock, delivered by a real SMTP server on loopback, and their links."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from directory.jobs.registry import run_job
from directory.listings.freshness import freshness
from directory.models import Revision, Service
from directory.models.jobs import JobRun
from directory.models.verification import ContactOptOut, FollowUp, Reminder
from directory.verification.batches import batch_size, id_batches
from directory.verification.contacts import opt_out
from directory.verification.reminders import reminder_offsets, send_reminders
from directory.verification.staleness import staleness_sweep
from tests.conftest import built_app, html
from tests.mailbox import (
    Mailbox,
    db_session,
    form_fields,
    link_to,
    links,
    make_listing,
    smtp_mailbox,
    staff_client,
    submit,
    text_and_html,
)

VERIFIED = datetime(2027, 1, 4, 9, 0)  # a Monday; due for review 180 days later, on 3 July 2027
DUE = VERIFIED + timedelta(days=180)


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_mailbox() as box:
        yield box


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, backend: str, mailbox: Mailbox) -> Iterator[Flask]:
    config = {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": mailbox.port,
        "PUBLIC_URL": "http://directory.test",
        "MAIL_CONTACT": "Blackpool directory team, 01253 000000",
        "REMINDER_REPEAT_DAYS": 152,  # these tests follow the 180-day schedule (issue 15: test_freshness.py)
        "REMINDER_ROUND_LIKELIHOOD": 0,  # on fixed days, whatever closures other tests record (test_closure_rate.py)
        "REMINDER_KEEP_ASKING_DAYS": 0,
        "REMINDER_SOONER_LIKELIHOOD": 101,  # nor ask doubted listings sooner (test_decay.py)
        "REMINDER_DAYS_BEFORE_DUE": "28,14,0",
        "REMINDER_PHONE_AFTER_DAYS": 14,
    }
    with built_app(backend, tmp_path_factory.mktemp("instance"), **config) as app:
        yield app


_emails = iter(range(1, 1_000_000))


@pytest.fixture
def contact() -> str:
    return f"organiser{next(_emails)}@group.example.org"


@pytest.fixture
def listing(app: Flask, contact: str) -> int:
    return make_listing(
        app,
        last_verified_at=VERIFIED.isoformat(),
        contacts=[{"name": "Sam", "title": "", "phone": "01253 400400", "email": contact}],
    )


def at(moment: datetime) -> Any:
    return time_machine.travel(moment, tick=False)


def reminders_job(app: Flask) -> JobRun:
    run = run_job(app, "reminders", trigger="test")
    assert run.outcome == "ok", run.error
    return run


def service_row(app: Flask, service_id: int) -> Service:
    with db_session(app) as session:
        service = session.get_one(Service, service_id)
        session.expunge(service)
        return service


def follow_ups(app: Flask, service_id: int) -> list[tuple[str, str]]:
    with db_session(app) as session:
        rows = session.scalars(select(FollowUp).where(FollowUp.service_id == service_id).order_by(FollowUp.id))
        return [(row.reason, row.detail) for row in rows]


@pytest.mark.parametrize(
    ("days", "state"),
    [(0, "fresh"), (179, "fresh"), (180, "due"), (269, "due"), (270, "stale"), (364, "stale"), (365, "unverified")],
)
def test_listings_age_by_the_threshold_settings(app: Flask, days: int, state: str) -> None:
    assert freshness(VERIFIED, app.config, now=VERIFIED + timedelta(days=days)).state == state
    assert freshness(None, app.config, now=VERIFIED).state == "unverified"
    assert (app.config["FRESH_DAYS"], app.config["STALE_DAYS"], app.config["UNVERIFIED_DAYS"]) == (180, 270, 365)


def test_three_escalating_reminders_arrive_by_smtp_then_staff_are_asked_to_phone(
    app: Flask, listing: int, contact: str, mailbox: Mailbox
) -> None:
    assert reminder_offsets(app.config) == [28, 14, 0]
    with at(DUE - timedelta(days=29)):
        reminders_job(app)
    assert mailbox.to(contact) == []

    with at(DUE - timedelta(days=28)):
        run = reminders_job(app)
        reminders_job(app)  # the same day again sends nothing new
    assert run.counts.get("sent", 0) >= 1
    [first] = mailbox.to(contact)
    assert first["Subject"].startswith("Is ") and service_row(app, listing).name in first["Subject"]
    assert first["List-Unsubscribe"].strip().startswith("<http://directory.test/group/unsubscribe/")
    text, body = text_and_html(first)
    assert "Blackpool directory team, 01253 000000" in text and "Blackpool directory team, 01253 000000" in body
    assert [link.split("/")[4] for link in links(first)] == ["confirm", "link", "stopped", "unsubscribe"]

    with at(DUE - timedelta(days=14)):
        reminders_job(app)
    with at(DUE):
        reminders_job(app)
    sent = mailbox.to(contact)
    assert [m["Subject"].split(":")[0] for m in sent] == [first["Subject"].split(":")[0], "Reminder", "Last reminder"]

    with at(DUE + timedelta(days=13)):
        reminders_job(app)
    assert follow_ups(app, listing) == []
    with at(DUE + timedelta(days=14)):
        reminders_job(app)
        reminders_job(app)  # queued once, not twice
        page = html(staff_client(app, "link-worker").get("/staff/follow-ups"))
    [(reason, detail)] = follow_ups(app, listing)
    assert reason == "no-reply" and contact in detail
    assert service_row(app, listing).name in page.find("table").get_text()
    assert len(mailbox.to(contact)) == 3  # never a fourth email
    assert service_row(app, listing).status == "active"  # it sinks as it ages; nothing is deleted


def test_one_click_links_are_exchanged_for_a_clean_address_before_anything_is_answered(
    app: Flask, listing: int, contact: str, mailbox: Mailbox
) -> None:
    with at(DUE - timedelta(days=28)):
        reminders_job(app)
        [message] = mailbox.to(contact)
        for kind in ("confirm", "stopped", "unsubscribe"):
            link = link_to(message, f"/group/{kind}/")
            client = app.test_client()
            opened = client.get(link)
            clean = opened.headers["Location"]
            assert opened.status_code == 303 and re.fullmatch(rf"/group/{kind}\?link=\d+", clean)
            secret = link.rsplit("/", 1)[1]
            page = client.get(clean)
            assert page.status_code == 200 and secret not in page.get_data(as_text=True)
            assert html(page).select("main form button")  # the button, on the clean address
            stranger = app.test_client().get(clean)  # the clean address holds nothing by itself
            assert stranger.status_code == 404 and "not recognised" in stranger.get_data(as_text=True)
        assert app.test_client().get("/group/confirm/not-a-link").status_code == 404  # refused before any exchange
    assert service_row(app, listing).last_verified_at == VERIFIED  # opening and exchanging changed nothing
    assert follow_ups(app, listing) == []


def test_two_reminders_open_in_one_browser_each_answer_for_their_own_listing(
    app: Flask, listing: int, contact: str, mailbox: Mailbox
) -> None:
    sam = [{"name": "Sam", "title": "", "phone": "01253 400400", "email": contact}]
    other = make_listing(app, last_verified_at=VERIFIED.isoformat(), contacts=sam)
    with at(DUE - timedelta(days=28)):
        reminders_job(app)
        first, second = sorted(mailbox.to(contact), key=lambda m: listing_named(app, m) != listing)
        browser = app.test_client()
        first_page = browser.get(link_to(first, "/group/confirm/")).headers["Location"]
        browser.get(link_to(second, "/group/confirm/"))  # a second tab, opened later
        assert submit(browser, first_page).status_code == 200  # the first tab's button
    assert service_row(app, listing).last_verified_at != VERIFIED
    assert service_row(app, other).last_verified_at == VERIFIED


def listing_named(app: Flask, message: Any) -> int:
    """The listing a reminder is about, found by its name in the subject."""
    with db_session(app) as session:
        return next(s.id for s in session.scalars(select(Service)) if s.name in str(message["Subject"]))


def test_one_click_confirmation_refreshes_the_verification_through_the_write_path(
    app: Flask, listing: int, contact: str, mailbox: Mailbox
) -> None:
    moment = DUE - timedelta(days=28, hours=-2)
    with at(moment):
        reminders_job(app)
        [message] = mailbox.to(contact)
        confirm = link_to(message, "/group/confirm/")
        client = app.test_client()
        page = html(client.get(confirm, follow_redirects=True))
        assert [b.get_text() for b in page.select("main form button")][0] == (
            "Yes, still running and the details are correct"
        )
        response = submit(client, confirm)
        assert response.status_code == 200
        assert "Thank you" in html(response).get_text()
        used = app.test_client().get(confirm)
        assert used.status_code == 410  # the link works once, and can ask for an edit link instead
        assert [b.get_text() for b in html(used).select("main form button")] == ["Email me a new link"]
    service = service_row(app, listing)
    assert service.last_verified_at == moment.replace(microsecond=0)
    assert (service.verified_how, service.verified_by) == ("group-confirmed", f"group: {contact}")
    with db_session(app) as session:
        revision = session.scalars(
            select(Revision).where(Revision.entity_type == "service", Revision.entity_id == listing)
            .order_by(Revision.id.desc())
        ).first()  # fmt: skip
        assert revision is not None
        assert (revision.actor, revision.source, revision.action) == (
            f"group: {contact}",
            "group",
            "confirmed by group",
        )
    with at(DUE):  # a new cycle: the old schedule's reminders are not sent
        reminders_job(app)
    assert len(mailbox.to(contact)) == 1
    with at(moment + timedelta(days=180 - 28)):  # the new cycle's first reminder
        reminders_job(app)
    assert len(mailbox.to(contact)) == 2


def test_the_update_link_signs_the_group_in_at_the_listing(
    app: Flask, listing: int, contact: str, mailbox: Mailbox
) -> None:
    with at(DUE - timedelta(days=28)):
        reminders_job(app)
        [message] = mailbox.to(contact)
        client = app.test_client()
        response = submit(client, link_to(message, "/group/link/"))
        assert response.status_code == 302
        assert response.headers["Location"] == f"/group/#service-{listing}"
        home = html(client.get("/group/"))
        assert home.find(id=f"service-{listing}").find("a", href=f"/group/services/{listing}/edit")
        assert client.get(f"/group/services/{listing}/edit").status_code == 200


def test_we_have_stopped_is_kept_as_evidence_for_staff_and_deletes_nothing(
    app: Flask, listing: int, contact: str, mailbox: Mailbox
) -> None:
    with at(DUE - timedelta(days=28)):
        reminders_job(app)
        [message] = mailbox.to(contact)
        stopped = link_to(message, "/group/stopped/")
        response = submit(app.test_client(), stopped, {"note": "Our last session was in May; the hall closed."})
        assert response.status_code == 200
    [(reason, detail)] = follow_ups(app, listing)
    assert reason == "group-stopped" and "the hall closed" in detail
    assert service_row(app, listing).status == "closed"  # out of search at once (issue 15); staff confirm or restore
    with at(DUE):
        reminders_job(app)
    assert len(mailbox.to(contact)) == 1  # no more reminders while staff check

    staff = staff_client(app, "link-worker")
    page = html(staff.get("/staff/follow-ups"))
    form = page.find("label", string=f"Outcome for {service_row(app, listing).name}").find_parent("form")
    index = list(page.select("main form")).index(form)
    asked = submit(staff, "/staff/follow-ups", {"resolution": "closed", "note": "Hall sold."}, form_index=index)
    assert asked.status_code == 200  # asked first, like archiving: closing hides a listing (issue 22)
    confirm = html(asked)
    name = service_row(app, listing).name
    assert confirm.h1.get_text(strip=True) == f"Record {name} as closed?"
    with db_session(app) as session:
        assert session.scalars(select(FollowUp).where(FollowUp.service_id == listing)).one().resolved_at is None
    [form] = confirm.select("main form")
    fields = dict(form_fields(form))
    assert (fields["note"], fields["resolution"], fields["confirmed"]) == ("Hall sold.", "closed", "yes")
    assert staff.post(form["action"], data=fields).status_code == 303
    service = service_row(app, listing)
    assert service.status == "closed"  # closed, not archived and not deleted
    with db_session(app) as session:
        assert session.scalars(select(FollowUp).where(FollowUp.service_id == listing)).one().resolution == "closed"


def test_a_group_can_ask_not_to_be_emailed_and_is_phoned_instead(
    app: Flask, listing: int, contact: str, mailbox: Mailbox
) -> None:
    with at(DUE - timedelta(days=28)):
        reminders_job(app)
        [message] = mailbox.to(contact)
        assert submit(app.test_client(), link_to(message, "/group/unsubscribe/")).status_code == 200
    with db_session(app) as session:
        assert session.scalars(select(ContactOptOut).where(ContactOptOut.email == contact)).one()
    with at(DUE - timedelta(days=14)):
        reminders_job(app)
    assert len(mailbox.to(contact)) == 1
    [(reason, detail)] = follow_ups(app, listing)
    assert reason == "no-email" and "asked not to be emailed" in detail


def test_a_listing_without_an_email_goes_straight_to_the_phone_queue(app: Flask, mailbox: Mailbox) -> None:
    listing = make_listing(app, last_verified_at=VERIFIED.isoformat())
    with at(DUE - timedelta(days=28)):
        reminders_job(app)
    [(reason, detail)] = follow_ups(app, listing)
    assert reason == "no-email" and "no email address" in detail


def test_a_funding_end_date_gets_its_own_check_in_and_then_evidence(app: Flask, contact: str, mailbox: Mailbox) -> None:
    ends = date(2027, 3, 31)
    listing = make_listing(
        app, last_verified_at=VERIFIED.isoformat(), funding_status="time-limited", funder="Lottery", funded_until=ends,
        contacts=[{"name": "Sam", "title": "", "phone": "", "email": contact}],
    )  # fmt: skip
    with at(datetime(2027, 2, 28, 9)):
        reminders_job(app)
    assert mailbox.to(contact) == []
    with at(datetime(2027, 3, 1, 9)):
        reminders_job(app)
        reminders_job(app)
    [message] = mailbox.to(contact)
    assert message["Subject"].startswith("Funding for ")
    text, _ = text_and_html(message)
    assert "31 March 2027" in text and "Lottery" in text
    with at(datetime(2027, 4, 1, 2)):
        run = run_job(app, "staleness", trigger="test")
    assert run.outcome == "ok" and run.counts.get("funding_ended_queued") == 1
    [(reason, detail)] = follow_ups(app, listing)
    assert reason == "funding-ended" and "31 March 2027" in detail


def test_a_mail_server_that_is_down_is_recorded_and_changes_no_listing(tmp_path: Path) -> None:
    from tests.mailbox import free_port

    with built_app("sqlite", tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2) as down:
        listing = make_listing(
            down, last_verified_at=VERIFIED.isoformat(),
            contacts=[{"name": "", "title": "", "phone": "", "email": "a@b.example.org"}],
        )  # fmt: skip
        with at(DUE), db_session(down) as session:
            counts = send_reminders(session, down.config)
            assert counts["failed"] == 1 and "sent" not in counts
            [row] = session.scalars(select(Reminder).where(Reminder.service_id == listing)).all()
            assert row.status == "failed" and "Could not send email" in row.error
            assert session.get_one(Service, listing).last_verified_at == VERIFIED


def test_without_a_mail_server_messages_are_written_to_the_instance_folder(tmp_path: Path) -> None:
    with built_app("sqlite", tmp_path) as dev:
        listing = make_listing(
            dev, last_verified_at=VERIFIED.isoformat(),
            contacts=[{"name": "", "title": "", "phone": "", "email": "dev@group.example.org"}],
        )  # fmt: skip
        with at(DUE - timedelta(days=28)):
            reminders_job(dev)
    [written] = list((tmp_path / "mail").iterdir())
    content = written.read_text()
    assert "To: dev@group.example.org" in content
    assert "text/plain" in content and "text/html" in content
    assert "/group/confirm/" in content and listing > 0


# --- batches: a national directory is worked a few hundred listings at a time ------------------------------

ON_THE_DAY = DUE - timedelta(days=28)  # the first reminder's day for listings verified on VERIFIED
TEN = [
    {"contacts": [{"name": "", "title": "", "phone": "", "email": "one@group.example.org"}]},
    {"contacts": [{"name": "", "title": "", "phone": "", "email": "two@group.example.org"}]},
    {"email": "three@group.example.org"},  # the service's own email when no contact has one
    {"email": "fresh@group.example.org", "last_verified_at": (ON_THE_DAY - timedelta(days=10)).isoformat()},
    {},  # no email anywhere: staff phone
    {"email": "opted@group.example.org"},  # asked not to be emailed: staff phone
    {"email": "funded@group.example.org", "funding_status": "time-limited",
     "funded_until": ON_THE_DAY.date() + timedelta(days=10)},  # a funding check-in too
    {"email": "ended@group.example.org", "funding_status": "time-limited", "funder": "Lottery",
     "funded_until": date(2027, 3, 31)},  # funding ended: staff check
    {"email": "paused@group.example.org", "status": "paused"},
    {"email": "closed@group.example.org", "status": "closed"},  # not live: left alone
]  # fmt: skip


def _jobs_on(app: Flask, batch: int) -> tuple[dict[str, int], dict[str, int]]:
    with db_session(app) as session:
        return staleness_sweep(session, app.config, batch=batch), send_reminders(session, app.config, batch=batch)


def _outcome(app: Flask) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with db_session(app) as session:
        reminders = sorted(
            (r.service_id, r.kind, r.cycle, r.sequence, r.email, r.status) for r in session.scalars(select(Reminder))
        )
        queued = sorted((f.service_id, f.reason, f.cycle, f.detail) for f in session.scalars(select(FollowUp)))
    return reminders, queued


@pytest.mark.both_backends
def test_batches_of_three_do_exactly_what_one_pass_does_and_a_re_run_sends_nothing_twice(
    tmp_path: Path, backend: str
) -> None:
    results = {}
    for batch in (3, 10_000):
        with smtp_mailbox() as box:
            config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": box.port, "PUBLIC_URL": "http://directory.test"}
            with built_app(backend, tmp_path / str(batch), **config) as app:
                with at(VERIFIED):
                    ids = [make_listing(app, **{"last_verified_at": VERIFIED.isoformat(), **extra}) for extra in TEN]
                    with db_session(app) as session:
                        opt_out(session, "Opted@group.example.org")
                        session.commit()
                        assert [len(chunk) for chunk in id_batches(session, select(Service.id), 3)] == [3, 3, 3, 1]
                with at(ON_THE_DAY):
                    first = _jobs_on(app, batch)
                    box.wait_for(6)
                    outcome = _outcome(app)
                    again = _jobs_on(app, batch)
                with at(ON_THE_DAY + timedelta(days=1)):
                    next_day = _jobs_on(app, batch)
                assert _outcome(app) == outcome
                results[batch] = (first, outcome, sorted(r[0] for r in box.recipients))
                assert len(box.messages) == 7  # six reminders and one funding check-in, each once

        staleness, reminders = first
        assert staleness["funding_ended_queued"] == 1
        assert reminders == {"checked": 9, "sent": 6, "funding_checkins": 1, "queued_for_phone": 2}
        for counts in (*again, *next_day):
            assert not {"sent", "funding_checkins", "queued_for_phone", "funding_ended_queued", "failed"} & set(counts)
        follow_ups = {(service_id, reason) for service_id, reason, _c, _d in outcome[1]}
        assert follow_ups == {(ids[4], "no-email"), (ids[5], "no-email"), (ids[7], "funding-ended")}
    assert results[3] == results[10_000]
    assert results[3][2] == sorted(
        ["one@group.example.org", "two@group.example.org", "three@group.example.org", "funded@group.example.org",
         "funded@group.example.org", "ended@group.example.org", "paused@group.example.org"]
    )  # fmt: skip


def test_a_batch_needs_at_least_one_listing() -> None:
    assert batch_size({"JOBS_BATCH_SIZE": 500}) == 500
    assert batch_size({"JOBS_BATCH_SIZE": 500}, 3) == 3
    with pytest.raises(ValueError, match="at least one listing"):
        batch_size({"JOBS_BATCH_SIZE": 0})
