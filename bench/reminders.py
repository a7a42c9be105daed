"""The staleness sweep and the reminders job against a national database: time and peak memory.

    python bench/reminders.py [--source /tmp/national.sqlite] [--database /tmp/reminders_bench.sqlite]
        [--email-share 0.5] [--batch-size 500] [--mail dummy|file] [--tracemalloc]

The source (made by bench/generate.py) is copied first and never written. On the copy, the schema is
migrated to every head, then a share of organisations is given an email address (the generator leaves
them without one, which would send every listing to the phone queue). Each job then runs twice in this
process, as the scheduler would: the first run catches up on every listing at once (the worst day, after
an import), the re-run must send and queue nothing new. Mail goes to Flask-Mailman's dummy backend (or
with --mail file, to files in a temporary instance folder), never to a network.

Peak memory is the growth of this process's peak RSS (resource.getrusage) during each run; with
--tracemalloc, also the peak of Python allocations during the run (slower). Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from directory import create_app  # noqa: E402
from directory.core.db import db  # noqa: E402
from directory.models import Service  # noqa: E402
from directory.models.verification import FollowUp, Reminder  # noqa: E402
from directory.ops.database import init_database  # noqa: E402
from directory.verification.reminders import send_reminders  # noqa: E402
from directory.verification.staleness import staleness_sweep  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def measure(label: str, job: Callable[[], dict[str, int]], *, trace: bool) -> dict[str, Any]:
    before = peak_rss_mb()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    counts = job()
    elapsed = time.perf_counter() - started
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    if trace:
        tracemalloc.stop()
    row = {"label": label, "seconds": elapsed, "rss_growth_mb": peak_rss_mb() - before, "traced_peak_mb": traced}
    extra = f", Python peak {traced:.1f} MB" if traced is not None else ""
    print(f"{label:<22} {elapsed:8.1f} s   peak RSS +{row['rss_growth_mb']:.1f} MB{extra}   {counts}", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    temp = Path(tempfile.gettempdir())
    parser.add_argument("--source", default=str(temp / "national.sqlite"), help="national SQLite (not modified)")
    parser.add_argument("--database", default=str(temp / "reminders_bench.sqlite"), help="the copy the jobs run on")
    parser.add_argument("--email-share", type=float, default=0.5, help="share of organisations given an email")
    parser.add_argument("--batch-size", type=int, default=None, help="listings per batch (default: the setting)")
    parser.add_argument("--mail", choices=("dummy", "file"), default="dummy")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    args = parser.parse_args()

    source, target = Path(args.source).resolve(), Path(args.database).resolve()
    if source == target:
        parser.error("--database must be a copy, not the source itself")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)

    instance = Path(tempfile.mkdtemp(prefix="reminders-bench-"))
    config: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{target}", "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "bench-only", "MAIL_BACKEND": args.mail, "PUBLIC_URL": "http://directory.bench",
    }  # fmt: skip
    if args.batch_size:
        config["JOBS_BATCH_SIZE"] = args.batch_size
    app = create_app(config)
    with app.app_context():
        started = time.perf_counter()
        init_database()
        session = db.session
        every = max(1, round(1 / args.email_share)) if args.email_share > 0 else 0
        if every:
            session.execute(
                text("UPDATE organization SET email = 'group' || id || '@example.org' WHERE id % :every = 0"),
                {"every": every},
            )
            session.commit()
        live = session.scalar(select(func.count()).select_from(Service).where(Service.status.in_(("active", "paused"))))
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"load {os.getloadavg()[0]:.1f}; {live:,} live listings; every {every or '-'}th organisation has an "
              f"email; batch size {app.config.get('JOBS_BATCH_SIZE', 'n/a')}; mail {args.mail}; "
              f"prepared in {time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip
        print(f"RSS before the jobs: {peak_rss_mb():.0f} MB", flush=True)
        rows = [
            measure("staleness", lambda: staleness_sweep(session, app.config), trace=args.tracemalloc),
            measure("staleness (re-run)", lambda: staleness_sweep(session, app.config), trace=args.tracemalloc),
            measure("reminders", lambda: send_reminders(session, app.config), trace=args.tracemalloc),
            measure("reminders (re-run)", lambda: send_reminders(session, app.config), trace=args.tracemalloc),
        ]
        reminders = session.scalar(select(func.count()).select_from(Reminder))
        follow_ups = session.scalar(select(func.count()).select_from(FollowUp))
        print(f"stored: {reminders:,} reminders, {follow_ups:,} follow-ups", flush=True)
        db.engine.dispose()
    shutil.rmtree(instance, ignore_errors=True)
    total = sum(row["seconds"] for row in rows)
    print(f"total {total:.1f} s; peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
