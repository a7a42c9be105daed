"""Polite website checks: is each listing's website still there?

A check sends ``HEAD`` and, when the server refuses or mishandles HEAD, ``GET``; it reads the
site's ``robots.txt`` first and does not request a path it disallows for our User-Agent; it waits
``min_interval`` seconds between requests to the same host. The result is evidence for staff
("the website did not answer three times running"), never a change to the listing.
"""

from __future__ import annotations

import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from . import http
from .base import FetchFailed


@dataclass(frozen=True)
class WebsiteCheck:
    """The outcome of checking one address."""

    url: str
    ok: bool
    status: int | None
    reason: str
    checked_at: datetime


@dataclass
class HostThrottle:
    """At most one request per ``min_interval`` seconds to each host."""

    min_interval: float = 2.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _last: dict[str, float] = field(default_factory=dict)

    def wait(self, host: str) -> None:
        """Sleep until this host may be asked again, then note the time."""
        last = self._last.get(host)
        if last is not None:
            delay = self.min_interval - (self.clock() - last)
            if delay > 0:
                self.sleep(delay)
        self._last[host] = self.clock()


class WebsiteChecker:
    """Checks websites politely; keeps each host's robots.txt and last request time."""

    def __init__(
        self,
        *,
        throttle: HostThrottle | None = None,
        allow_private: bool = False,
        timeout: float = 15.0,
        max_bytes: int = 1024 * 1024,
    ) -> None:
        self.throttle = throttle or HostThrottle()
        self.allow_private = allow_private
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}

    def _fetch(self, url: str, method: str) -> http.Response:
        host = urlsplit(url).netloc.lower()
        self.throttle.wait(host)
        return http.fetch(
            url,
            method=method,
            allow_private=self.allow_private,
            timeout=self.timeout,
            max_bytes=self.max_bytes,
            require_ok=False,
        )

    def allowed(self, url: str) -> bool:
        """Whether the site's robots.txt lets our User-Agent fetch ``url`` (no robots.txt: yes)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        if origin not in self._robots:
            parser: urllib.robotparser.RobotFileParser | None = None
            try:
                answer = self._fetch(origin + "/robots.txt", "GET")
                if answer.status in (401, 403):
                    parser = urllib.robotparser.RobotFileParser()
                    parser.parse(["User-agent: *", "Disallow: /"])  # as the standard library does for 401/403
                elif answer.ok:
                    parser = urllib.robotparser.RobotFileParser()
                    parser.parse(answer.body.decode("utf-8", "replace").splitlines())
            except FetchFailed:
                parser = None  # no robots.txt to read: the check itself will say whether the site answers
            self._robots[origin] = parser
        parser = self._robots[origin]
        return parser is None or parser.can_fetch(http.USER_AGENT, url)

    def check(self, url: str) -> WebsiteCheck:
        """HEAD, then GET if HEAD is refused; a failure is described, never raised."""
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        try:
            http.check_url(url, allow_private=self.allow_private)
        except FetchFailed as exc:
            return WebsiteCheck(url, False, None, str(exc), now)
        if not self.allowed(url):
            return WebsiteCheck(url, True, None, "not checked: the site's robots.txt asks us not to", now)
        try:
            answer = self._fetch(url, "HEAD")
            if answer.status in (403, 405, 501) or answer.status >= 500:
                answer = self._fetch(url, "GET")
        except FetchFailed as exc:
            return WebsiteCheck(url, False, None, str(exc), now)
        if answer.ok:
            return WebsiteCheck(url, True, answer.status, f"answered {answer.status}", now)
        return WebsiteCheck(url, False, answer.status, f"{url}: the server answered {answer.status}.", now)
