"""Small facts read on nearly every request (synonyms, the demo flag), kept per process for a short while.

They change rarely and only by an admin's hand; the process that changes one forgets it at once, and other
web workers see the change within ``SECONDS``. Keyed by database, so one process may serve several (tests).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from .db import DbSession

SECONDS = 30.0
T = TypeVar("T")
_kept: dict[tuple[str, str], tuple[float, object]] = {}
_lock = threading.Lock()


def _key(session: DbSession, name: str) -> tuple[str, str]:
    return str(session.get_bind().engine.url), name


def cached(session: DbSession, name: str, load: Callable[[DbSession], T]) -> T:
    """``load(session)``'s value, read again once it is older than SECONDS. Values must be plain data (not ORM
    objects, which belong to one session) and must not be changed by callers."""
    key, now = _key(session, name), time.monotonic()
    with _lock:
        kept = _kept.get(key)
    if kept is not None and now - kept[0] < SECONDS:
        return kept[1]  # type: ignore[return-value]
    value = load(session)
    with _lock:
        _kept[key] = (now, value)
    return value


def forget(session: DbSession, name: str) -> None:
    with _lock:
        _kept.pop(_key(session, name), None)


def clear() -> None:
    """Forget everything (after a restore replaces the whole database)."""
    with _lock:
        _kept.clear()
