"""Whether the process doing a long piece of work (an import run, a job run, the scheduler) is still there.

Work records who does it (``host:pid``) and a heartbeat. A run whose process has gone from this host is dead at
once; one on another host is dead when its heartbeat is older than the timeout. Then its source or job can run
again straight away, instead of waiting hours for a timer.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from types import TracebackType

logger = logging.getLogger(__name__)


def this_worker() -> str:
    """This process, as work records it (read each time: a forked worker has a pid of its own)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def gone_here(worker: str) -> bool:
    """Whether ``worker`` was a process on this machine that has stopped (one elsewhere is never judged here)."""
    host, _, pid = worker.rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not pid_alive(int(pid))


def worker_gone(worker: str, heartbeat_at: datetime | None, now: datetime, timeout: timedelta) -> bool:
    """Whether the process that recorded ``worker`` has stopped (work recorded by no worker is never judged)."""
    host, _, pid = worker.rpartition(":")
    if not host or not pid.isdigit():
        return False
    if host == socket.gethostname():
        return gone_here(worker)
    return heartbeat_at is None or now - heartbeat_at > timeout


class Heartbeat:
    """Calls ``beat`` every ``seconds`` on a daemon thread while the ``with`` block runs; a failed beat (the
    database busy or away for a moment) is skipped, never raised into the work."""

    def __init__(self, beat: Callable[[], object], seconds: float) -> None:
        self._beat, self._seconds = beat, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="heartbeat")

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        self._stop.set()
        self._thread.join(timeout=self._seconds + 5)

    def _loop(self) -> None:
        while not self._stop.wait(self._seconds):
            with contextlib.suppress(Exception):
                self._beat()
