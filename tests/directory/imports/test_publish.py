"""directory.imports.publish: a run written in short transactions, its new listings hidden until one publishing
transaction shows the whole run; a run that fails is taken back. Through the real app on a real SQLite file (and
PostgreSQL), with the run in a thread of its own and paused between chunks by its progress hook, so what other
users see and do meanwhile is checked at a known moment, not by timing."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from directory.core.db import db
from directory.imports.running import reset_stuck_runs, run_source
from directory.imports.sources import ensure_source
from directory.models import Service
from directory.models.imports import ExternalRecord, ImportRun, ImportSource
from scrapers.base import Parsed, ServiceRecord
from scrapers.spreadsheet import SpreadsheetImporter
from tests.conftest import html
from tests.directory.imports.test_running import unique
from tests.directory.imports.test_writer import everything
from tests.directory.listings.test_views import _edit_form

pytestmark = pytest.mark.both_backends

HEADER = "ID,Group name,Run by,Description,Postcode,Day,Start,End\n"
CHUNK = 2


@pytest.fixture
def config(app: Flask) -> dict[str, Any]:
    return {**app.config, "IMPORT_ALLOW_PRIVATE": True}


def sheet(word: str, known: int, new: int, changed: str = "Knitting") -> bytes:
    """``known`` listings the first run gave (the first with description ``changed``), then ``new`` more."""
    rows = [f"{word}-k{n},{word} known {n},{word} crafters,{changed if n == 0 else 'Knitting'},FY1 1PX,Tuesday,10:00,"
            f"12:00\n" for n in range(known)]  # fmt: skip
    rows += [f"{word}-n{n},{word} new {n},{word} makers,Sewing,FY4 4NW,Friday,10:00,12:00\n" for n in range(new)]
    return (HEADER + "".join(rows)).encode()


def found(client: Any, word: str) -> set[str]:
    """The names search finds for ``word`` (as staff, unverified listings too: a spreadsheet gives no verified
    date; archived ones, so hidden ones, are still left out)."""
    response = client.get("/api/search", query_string={"q": word, "unverified": "1"})
    return {r["name"] for r in response.get_json()["results"]}


def page_text(client: Any, service_id: int) -> str | None:
    """The listing page's words (not its markup: the form tokens in it change every second), or None if not shown."""
    response = client.get(f"/services/{service_id}")
    return html(response).get_text(" ", strip=True) if response.status_code == 200 else None


def listing_of(session: Any, source_id: int, external_id: str) -> Service:
    link = session.scalars(
        select(ExternalRecord).where(ExternalRecord.source_id == source_id, ExternalRecord.external_id == external_id)
    ).one()
    return session.get(Service, link.entity_id)


class Paused:
    """Runs an import in a thread of its own (its own app context, session and connection), paused by its progress
    hook once ``at`` records have been taken, until the test lets it go on."""

    def __init__(
        self, app: Flask, source_id: int, config: dict[str, Any], payload: bytes, at: int,
        then: BaseException | None = None, **kw: Any,
    ) -> None:  # fmt: skip
        self.paused, self.resume = threading.Event(), threading.Event()
        self.taken = 0
        self.run_id: int | None = None
        self.error: BaseException | None = None

        def progress(step: int) -> None:
            self.taken += step
            if self.taken == at:
                self.paused.set()
                self.resume.wait(30)
                if then is not None:
                    raise then

        def work() -> None:
            try:
                with app.app_context():
                    source = db.session.get(ImportSource, source_id)
                    run = run_source(db.session, source, config, payloads=[payload], chunk_size=CHUNK,
                                     progress=progress, **kw)  # fmt: skip
                    self.run_id = run.id
                    db.session.remove()
            except BaseException as exc:  # noqa: BLE001 - handed to the test
                self.error = exc
            finally:
                self.paused.set()

        self.thread = threading.Thread(target=work, daemon=True)

    def __enter__(self) -> Paused:
        self.thread.start()
        assert self.paused.wait(30), "the import never reached its pause"
        return self

    def __exit__(self, *exc: object) -> None:
        self.resume.set()
        self.thread.join(60)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error


@pytest.fixture
def seeded(session: Any, config: dict[str, Any]) -> Iterator[tuple[str, ImportSource, Service]]:
    """A spreadsheet source that gave three listings; the first of them."""
    # A word of its own (not a number apart from another test's), so no test's listings look like another's.
    word = "Q" + "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:10])
    source = ensure_source(session, name=unique("paused sheet"), kind="spreadsheet")
    first = run_source(session, source, config, payloads=[sheet(word, 3, 0)])
    assert (first.status, first.created) == ("succeeded", 3)
    yield word, source, listing_of(session, source.id, f"{word}-k0")


def test_a_staff_save_between_chunks_goes_through_at_once_and_users_see_the_run_only_when_published(
    app: Flask, session: Any, client: Any, signed_in: Callable[..., Any], config: dict[str, Any], seeded: Any
) -> None:
    word, source, known = seeded
    other = listing_of(session, source.id, f"{word}-k2")
    staff = signed_in("link-worker")
    form = _edit_form(staff, other.id)
    before = found(client, word)
    assert before == {f"{word} known {n}" for n in range(3)}
    payload = sheet(word, 3, 5, changed="Knitting and crochet")
    session.commit()  # the test's own reads start afresh after the pause
    # Paused after three chunks (known 0-1, one changed; known 2 and new 0; new 1-2) were written.
    with Paused(app, source.id, config, payload, at=3 * CHUNK):
        started = time.perf_counter()
        saved = staff.post(f"/staff/services/{other.id}/edit", data={**form, "description": "Saved mid-import"})
        waited = time.perf_counter() - started
        assert saved.status_code == 302, saved.status_code
        assert waited < 1.0, f"a staff save waited {waited:.1f} s for the import"
        # The chunks were committed (so the lock was free), but what they wrote is hidden until publishing.
        session.rollback()
        written = session.scalars(select(Service.status).where(Service.name.like(f"{word} new %"))).all()
        assert written == ["archived"] * 3
        assert found(client, word) == before
        assert "Knitting and crochet" not in (page_text(client, known.id) or "")
        assert all(page_text(client, i) is None for i in session.scalars(
            select(Service.id).where(Service.name.like(f"{word} new %"))))  # fmt: skip
    session.rollback()
    run = session.scalars(
        select(ImportRun).where(ImportRun.source_id == source.id).order_by(ImportRun.id.desc())
    ).first()
    assert (run.status, run.created, run.updated, run.unchanged) == ("succeeded", 5, 1, 2)
    assert found(client, word) == before | {f"{word} new {n}" for n in range(5)}
    assert "Knitting and crochet" in (page_text(client, known.id) or "")
    assert "Saved mid-import" in (page_text(client, other.id) or "")
    statuses = session.scalars(select(Service.status).where(Service.name.like(f"{word} %"))).all()
    assert set(statuses) == {"active"} and len(statuses) == 8


class FailsLast(SpreadsheetImporter):
    """A spreadsheet importer with a bug in its last record (not a bad row: an error the write path cannot name)."""

    def __init__(self, last: str) -> None:
        super().__init__()
        self.last = last

    def stream(self, payload: bytes) -> Iterator[Parsed]:
        for item in super().stream(payload):
            if isinstance(item, ServiceRecord) and item.external_id == self.last:
                item = dataclasses.replace(item, categories=(7,))  # type: ignore[arg-type]
            yield item


def test_a_run_that_fails_in_its_last_chunk_leaves_the_directory_as_it_was(
    session: Any, signed_in: Callable[..., Any], config: dict[str, Any], seeded: Any
) -> None:
    word, source, known = seeded
    client = signed_in("link-worker")
    before, shown, tables = found(client, word), page_text(client, known.id), everything(session)
    payload = sheet(word, 3, 5, changed="Knitting and crochet")
    taken: list[int] = []
    run = run_source(session, source, config, payloads=[payload], importer=FailsLast(f"{word}-n4"), chunk_size=CHUNK,
                     progress=taken.append)  # fmt: skip
    assert len(taken) == 7  # three chunks were written (hidden) before the last one failed
    assert run.status == "failed" and "nothing was changed (TypeError" in run.failure
    assert "The 3 new listings this run had written out of sight (never shown) were removed." in run.notices
    assert found(client, word) == before and page_text(client, known.id) == shown
    assert everything(session) == tables  # not even the hidden rows, their places, revisions or keys are left
    # The same file without the bug is imported whole, its new listings once each.
    again = run_source(session, source, config, payloads=[payload], chunk_size=CHUNK)
    assert (again.status, again.created, again.updated, again.unchanged) == ("succeeded", 5, 1, 2)
    assert len(found(client, word)) == 8


def test_all_or_nothing_with_a_rejected_row_takes_back_the_hidden_listings(
    session: Any, signed_in: Callable[..., Any], config: dict[str, Any], seeded: Any
) -> None:
    word, source, known = seeded
    client = signed_in("link-worker")
    before, tables = found(client, word), everything(session)
    bad = sheet(word, 3, 4, changed="Knitting and crochet") + f"{word}-bad,,{word} makers,,FY4 4NW,,,\n".encode()
    run = run_source(session, source, config, payloads=[bad], chunk_size=CHUNK, all_or_nothing=True)
    assert (run.status, run.created, run.updated, run.rejected_count) == ("succeeded", 0, 0, 1)
    assert any("nothing was kept" in n for n in run.notices)
    assert found(client, word) == before and everything(session) == tables


def test_a_run_whose_process_died_mid_run_is_taken_back_when_reset(
    app: Flask,
    session: Any,
    signed_in: Callable[..., Any],
    config: dict[str, Any],
    seeded: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    word, source, _ = seeded
    client = signed_in("link-worker")
    before, tables = found(client, word), everything(session)
    session.commit()
    died = Paused(app, source.id, config, sheet(word, 3, 6), at=3 * CHUNK + 1, then=SystemExit("the process died"))
    with pytest.raises(SystemExit), died:
        # The run's process is gone (as far as the directory can tell), two chunks of hidden listings written.
        monkeypatch.setattr("directory.imports.running.worker_gone", lambda *_: True)
        session.rollback()
        hidden = session.scalars(select(Service.status).where(Service.name.like(f"{word} new %"))).all()
        reset = reset_stuck_runs(session)
        session.commit()
        seen, left = found(client, word), everything(session)
    assert hidden == ["archived"] * 3 and reset == 1
    assert seen == before and left == tables
