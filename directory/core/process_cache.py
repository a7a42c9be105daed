"""Small facts read on nearly every request (synonyms, the demo flag), kept per process until they change.

They change rarely and only by an admin's hand. Whoever changes one calls :func:`changed` in the same transaction,
which writes a new stamp for it in ``app_meta``; every process compares its copy's stamp with the stored one (one
primary-key read) and reads the fact again when they differ. So a change made on one web node is seen by every
other node and worker as soon as it commits, with no message between them (see ``docs/operations.md``). A copy is
also read again once it is older than ``SECONDS``, for changes made outside the app (by hand in SQL). Keyed by
database, so one process may serve several (tests).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar
from uuid import uuid4

from .db import DbSession
from .meta import read_meta, write_meta

SECONDS = 300.0
STAMP = "cache-stamp:"  # + the fact's name: its app_meta key
T = TypeVar("T")
_kept: dict[tuple[str, str], tuple[float, str, object]] = {}
_lock = threading.Lock()


def _key(session: DbSession, name: str) -> tuple[str, str]:
    return str(session.get_bind().engine.url), name


def cached(session: DbSession, name: str, load: Callable[[DbSession], T]) -> T:
    """``load(session)``'s value, read again when its stamp has changed (or it is older than SECONDS). Values must
    be plain data (not ORM objects, which belong to one session) and must not be changed by callers."""
    key, now = _key(session, name), time.monotonic()
    stamp = read_meta(session, STAMP + name) or ""
    with _lock:
        kept = _kept.get(key)
    if kept is not None and kept[1] == stamp and now - kept[0] < SECONDS:
        return kept[2]  # type: ignore[return-value]
    value = load(session)
    with _lock:
        _kept[key] = (now, stamp, value)
    return value


def changed(session: DbSession, name: str) -> None:
    """The fact ``name`` has changed in the caller's transaction (no commit): every process reads it again once the
    caller commits."""
    write_meta(session, STAMP + name, uuid4().hex)
    session.flush()
    with _lock:
        _kept.pop(_key(session, name), None)


def clear() -> None:
    """Forget everything (after a restore replaces the whole database)."""
    with _lock:
        _kept.clear()
