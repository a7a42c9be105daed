"""More than one machine: two web nodes and two schedulers on one PostgreSQL and one Redis, as real processes.

Each node is ``python -m directory.cli serve`` (gunicorn; one worker, so each node has one map cache to watch) on
its own loopback port with its own instance folder, so nothing is shared on disk: only the database, Redis and the
secret key, as on two machines.
The test proves what a deployment behind a load balancer relies on: a sign-in limit reached through one node holds
on the other; a save through one node (a listing, a synonym) is seen through the other at once; a gap
recomputation by the scheduler refreshes both nodes' cached maps; and with two schedulers each job runs once.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import select, update

from directory.accounts.users import create_user
from directory.jobs import scheduler as jobs
from directory.models import Deprivation
from directory.models.jobs import JobRun
from tests.conftest import PASSWORD, built_app
from tests.directory.gaps.gap_world import CODES, LAD, seed
from tests.mailbox import db_session, form_fields, free_port, make_listing
from tests.redis_server import redis_server

SCHEDULE = "gaps=30 4 * * *; staleness=0 2 * * *"
ADMIN = "admin@node.example.org"
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="starts gunicorn and redis-server processes")


def _until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(0.2)


def _env(app: Flask, instance: Path, redis_url: str) -> dict[str, str]:
    instance.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ, "DIRECTORY_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "DIRECTORY_INSTANCE_PATH": str(instance), "DIRECTORY_SECRET_KEY": "one-key-for-every-node",
        "DIRECTORY_RATE_LIMIT_STORAGE": redis_url, "DIRECTORY_LOGIN_RATE_LIMIT": "3 per minute",
        "DIRECTORY_TRUSTED_PROXIES": "1", "DIRECTORY_JOBS_SCHEDULE": SCHEDULE, "DIRECTORY_JOBS_LEASE_SECONDS": "6",
        "DIRECTORY_IMPORT_QUEUE_POLL": "0", "DIRECTORY_PUBLIC_URL": "http://directory.test",
    }  # fmt: skip


@contextlib.contextmanager
def _processes(*commands: tuple[dict[str, str], list[str]]) -> Iterator[list[subprocess.Popen[bytes]]]:
    children = [
        subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "directory.cli", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for env, args in commands
    ]
    try:
        yield children
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.communicate(timeout=30)
            except subprocess.TimeoutExpired:  # pragma: no cover - a stuck child must not hang the suite
                child.kill()
                child.communicate()


def _healthy(base: str) -> bool:
    try:
        return requests.get(base + "/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _form(client: requests.Session, url: str, selector: str = "main form") -> dict[str, str]:
    page = client.get(url, timeout=30)
    assert page.status_code == 200, f"{url} answered {page.status_code}"
    form = BeautifulSoup(page.text, "html.parser").select(selector)[-1]
    return dict(form_fields(form))


def _sign_in_statuses(base: str, count: int, address: str) -> list[int]:
    """``count`` wrong sign-ins from one client (behind the proxy, so its address is in X-Forwarded-For)."""
    client = requests.Session()
    token = _form(client, base + "/login")["csrf_token"]
    return [
        client.post(base + "/login", data={"email": "guess@example.org", "password": "wrong", "csrf_token": token},
                    headers={"X-Forwarded-For": address}, allow_redirects=False, timeout=30).status_code
        for _ in range(count)
    ]  # fmt: skip


def _map(client: requests.Session, base: str) -> tuple[str, int]:
    """Which drawing of the gap map the node served (folium names each drawing's map afresh, so the same name is
    the same cached drawing), and the IMD decile it shows for the first area."""
    page = client.get(f"{base}/gaps/map", params={"category": "carers", "la": LAD}, timeout=60)
    assert page.status_code == 200, page.status_code
    drawing = re.search(r"var (map_[0-9a-f]+) = L\.map\(", page.text)
    decile = re.search(r'"c":"' + CODES[0] + r'","n":"[^"]*","d":(\d+)', page.text)
    assert drawing is not None and decile is not None, "no map on the page"
    return drawing.group(1), int(decile.group(1))


def _store_missed_runs(app: Flask) -> None:
    """Both scheduled jobs fell due while no scheduler was up: each must run once when the schedulers start."""
    scheduler = jobs.start_scheduler(app)
    scheduler.pause()
    for name in ("gaps", "staleness"):
        scheduler.modify_job(name, next_run_time=datetime.now(UTC) - timedelta(minutes=5))
    scheduler.shutdown()


def _runs(app: Flask) -> list[tuple[str, str, str]]:
    with db_session(app) as session:
        return [(r.name, r.outcome, r.worker) for r in session.scalars(select(JobRun).order_by(JobRun.id))]


def test_two_web_nodes_and_two_schedulers_share_limits_saves_maps_and_jobs(tmp_path: Path) -> None:
    with redis_server(tmp_path) as redis_url, built_app("postgresql", tmp_path, JOBS_SCHEDULE=SCHEDULE) as app:
        with db_session(app) as session:
            ids = seed(session, app.config, tmp_path / "files")
            create_user(session, email_address=ADMIN, role="admin", password=PASSWORD)
            session.commit()
        listing = make_listing(app, name="Quillwort knitting circle", categories=["arts-crafts"])
        _store_missed_runs(app)
        ports = free_port(), free_port()
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        nodes = [
            (_env(app, tmp_path / f"node-{n}", redis_url),
             ["serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--insecure-cookies"])
            for n, port in enumerate(ports)
        ]  # fmt: skip
        with _processes(*nodes):
            for base in bases:
                _until(lambda base=base: _healthy(base), 60, f"the node at {base}")
            one, two = bases

            # Signed in through one node, the same (signed, stateless) session works on the other.
            staff = requests.Session()
            token = _form(staff, one + "/login")["csrf_token"]
            signed = staff.post(
                one + "/login", data={"email": ADMIN, "password": PASSWORD, "csrf_token": token},
                headers={"X-Forwarded-For": "198.51.100.1"}, allow_redirects=False, timeout=30,
            )  # fmt: skip
            assert signed.status_code == 302
            assert staff.get(two + f"/staff/services/{listing}/edit", timeout=30).status_code == 200

            # A save through one node is seen through the other at once: a listing, and a synonym (kept in memory).
            found_before = staff.get(two + "/", params={"q": "bramblefrost"}, timeout=30).text
            assert f"/services/{listing}" not in found_before
            form = _form(staff, f"{one}/staff/services/{listing}/edit", "form.listing-form")
            saved = staff.post(f"{one}/staff/services/{listing}/edit", data={**form, "name": "Quillwort craft circle"},
                               allow_redirects=False, timeout=30)  # fmt: skip
            assert saved.status_code == 302, saved.text[:500]
            assert "Quillwort craft circle" in staff.get(f"{two}/services/{listing}", timeout=30).text
            form = _form(staff, one + "/admin/synonyms", "form.listing-form")
            form.update({"term": "bramblefrost", "alternatives": "quillwort", "needs": ""})
            assert staff.post(one + "/admin/synonyms", data=form, allow_redirects=False, timeout=30).status_code == 302
            assert f"/services/{listing}" in staff.get(two + "/", params={"q": "bramblefrost"}, timeout=30).text

            # Each node renders the gap map once and then serves it from its cache.
            before = [_map(staff, base) for base in bases]
            assert [_map(staff, base) for base in bases] == before, "each node keeps its rendered map"
            with db_session(app) as session:  # the area data changes under the maps; nothing is recomputed yet
                session.execute(update(Deprivation).where(Deprivation.lsoa_code == CODES[0]).values(imd_decile=10))
                session.commit()
            assert [_map(staff, base) for base in bases] == before, "no recomputation yet: the cached maps stand"
            assert [decile for _, decile in before] == [1, 1]

            # Two schedulers: the lease lets one run the missed gaps and staleness runs, once each.
            schedulers = [(_env(app, tmp_path / f"scheduler-{n}", redis_url), ["jobs", "run"]) for n in range(2)]
            with _processes(*schedulers):
                _until(lambda: sum(outcome == "ok" for _, outcome, _ in _runs(app)) >= 2, 90, "the missed runs")
                time.sleep(4)  # room for the second scheduler to start a run too, were it able to
            runs = _runs(app)
            assert sorted((name, outcome) for name, outcome, _ in runs) == [("gaps", "ok"), ("staleness", "ok")]
            assert len({worker for _, _, worker in runs}) == 1, "one scheduler ran them"

            # The recomputation reached both nodes' maps: each drew its map again from the new figures.
            after = [_map(staff, base) for base in bases]
            assert after[0][0] != before[0][0] and after[1][0] != before[1][0], "each node drew its map again"
            assert [decile for _, decile in after] == [10, 10], "from the recomputed figures"

            # A sign-in limit reached through one node holds on the other (Redis keeps the counts).
            assert _sign_in_statuses(one, 3, "203.0.113.7") == [401, 401, 401]
            assert _sign_in_statuses(two, 1, "203.0.113.7") == [429]
            assert _sign_in_statuses(two, 1, "203.0.113.8") == [401], "another client is not limited"
        assert ids["fresh"]
