"""Rendered gap maps kept per web process, until the data they show changes.

A map page costs tens of milliseconds to build (hundreds for many areas), and every visitor of an
area and category sees the same map. Each process keeps the rendered map (folium's HTML and
script, with no per-request parts: the page wraps them with the request's CSP nonce) keyed by a
stamp of the data it shows, so a recomputation, an import, a listing change or a new gap flag
makes a new key in every process without any message between them. The cache is bounded by
size (``DIRECTORY_GAP_MAP_CACHE_MB``); the least recently used maps go first. The gap data's own
version stamp (changed by every import and computation) is kept here too, as part of that key.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar
from uuid import uuid4

from flask import Flask, current_app
from sqlalchemy import func, select

from ..core.clock import utcnow
from ..core.db import DbSession
from ..core.meta import read_meta, write_meta
from ..models import BacklogEvent, GapFlag, Revision

T = TypeVar("T")
DATA_VERSION_KEY = "gaps-data-version"


def bump_data_version(session: DbSession) -> None:
    """Mark the gap data as changed (no commit): cached maps keyed by the version are then rebuilt."""
    write_meta(session, DATA_VERSION_KEY, f"{utcnow():%Y%m%dT%H%M%S}-{uuid4().hex[:12]}")


def data_version(session: DbSession) -> str:
    """The version stamp of the imported and computed gap data, changed by every import and computation."""
    return str(read_meta(session, DATA_VERSION_KEY) or "")


class RenderCache:
    """A thread-safe least-recently-used cache bounded by the total size of its values (bytes)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def size(self) -> int:
        return self._bytes

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, key: Hashable, value: Any, size: int) -> None:
        """Keep ``value`` (``size`` bytes) unless it alone is larger than the whole cache."""
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if size > self.max_bytes:
                return
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes and self._items:
                _key, (_value, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def get_or_make(self, key: Hashable, make: Callable[[], T], size: Callable[[T], int]) -> T:
        found = self.get(key)
        if found is not None:
            return found  # type: ignore[no-any-return]
        value = make()
        self.put(key, value, size(value))
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


def render_cache(app: Flask | None = None) -> RenderCache:
    """This process's cache for the app (made on first use; two threads racing to make it is harmless)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cache = app.extensions.get("gap_render_cache")
    if cache is None:
        cache = app.extensions["gap_render_cache"] = RenderCache(int(app.config["GAP_MAP_CACHE_MB"]) * 1_000_000)
    assert isinstance(cache, RenderCache)
    return cache


def data_stamp(session: DbSession) -> tuple[Any, ...]:
    """What a gap map shows depends on: the gap data (imports and computations), the listings (every
    change is a revision), gap flags and backlog events, and today's date (listings age out of
    freshness by the day). Each is one indexed lookup."""
    return (
        data_version(session),
        session.scalar(select(func.max(Revision.id))),
        session.scalar(select(func.max(GapFlag.id))),
        session.scalar(select(func.max(BacklogEvent.id))),
        utcnow().date().isoformat(),
    )
