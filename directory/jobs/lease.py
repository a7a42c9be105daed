"""One scheduler at a time: a lease in the database (who holds it, until when) that the holder renews.

A second ``jobs run`` waits while the lease is held and takes over when its holder stops renewing: at once
when the holder was a process on this machine that has gone, otherwise when the lease runs out
(``JOBS_LEASE_SECONDS``). Every change is one conditional ``UPDATE`` (or the first ``INSERT``), so two
processes can never both believe they hold it, on SQLite or PostgreSQL. Functions here commit: the lease
is its own unit of work, done on its own connection, never inside a job's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..core.clock import utcnow
from ..core.liveness import gone_here
from ..models.jobs import SchedulerLease

NAME = "scheduler"
lease = SchedulerLease.__table__


@dataclass(frozen=True)
class Holder:
    holder: str
    acquired_at: datetime
    expires_at: datetime

    def live(self, now: datetime) -> bool:
        return self.expires_at > now and not gone_here(self.holder)


def current(engine: Engine, *, now: datetime | None = None) -> Holder | None:
    """Who holds the lease now; None when nobody does (never taken, released, or run out)."""
    now = now or utcnow()
    with engine.connect() as connection:
        row = connection.execute(
            select(lease.c.holder, lease.c.acquired_at, lease.c.expires_at).where(lease.c.name == NAME)
        ).first()
    if row is None:
        return None
    holder = Holder(str(row.holder), row.acquired_at, row.expires_at)
    return holder if holder.live(now) else None


def acquire(engine: Engine, me: str, seconds: float, *, now: datetime | None = None) -> bool:
    """Take or renew the lease for ``me``; False while another live process holds it."""
    now = now or utcnow()
    until = now + timedelta(seconds=seconds)
    with engine.connect() as connection:
        row = connection.execute(select(lease.c.holder, lease.c.expires_at).where(lease.c.name == NAME)).first()
    if row is None:
        try:
            with engine.begin() as connection:
                connection.execute(insert(lease).values(name=NAME, holder=me, acquired_at=now, expires_at=until))
            return True
        except IntegrityError:  # another process inserted it a moment ago: it holds the lease
            return False
    with engine.begin() as connection:
        others_dead = str(row.holder) != me and gone_here(str(row.holder))
        taken_since = now if str(row.holder) != me else None
        # Only the holder, or anyone once the holder's time has run out (or its process is gone), may write.
        condition = or_(lease.c.holder == me, lease.c.expires_at <= now)
        if others_dead:
            condition = or_(condition, lease.c.holder == str(row.holder))
        values = {"holder": me, "expires_at": until}
        if taken_since is not None:
            values["acquired_at"] = taken_since
        changed = connection.execute(update(lease).where(lease.c.name == NAME, condition).values(**values))
        return changed.rowcount == 1


def holds(engine: Engine, me: str, *, now: datetime | None = None) -> bool:
    """Whether ``me`` holds a lease that has not run out (checked before each scheduled run)."""
    holder = current(engine, now=now)
    return holder is not None and holder.holder == me


def release(engine: Engine, me: str) -> None:
    """Give the lease up at once (a clean stop), so a waiting scheduler need not wait for it to run out."""
    with engine.begin() as connection:
        connection.execute(update(lease).where(lease.c.name == NAME, lease.c.holder == me).values(expires_at=utcnow()))
