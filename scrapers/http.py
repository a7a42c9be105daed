"""All outbound HTTP goes through :func:`fetch`: the one place that decides what may be requested.

Rules (SSRF and resource safety):

- only ``http`` and ``https`` URLs;
- hosts that resolve to private, loopback, link-local, multicast, reserved or unspecified
  addresses are refused, unless ``allow_private`` is passed (tests pass it for their loopback
  server; the setting ``DIRECTORY_IMPORT_ALLOW_PRIVATE`` lets an admin allow an intranet feed).
  The address is checked twice: when the name is resolved (for a clear message) and again on the
  connected socket, so a name that re-resolves to a private address between the two is refused;
- redirects are followed by hand, at most ``max_redirects`` times, each hop checked again;
- the response is read in chunks and abandoned past ``max_bytes``, and a declared ``Content-Length``
  over the cap is refused before reading;
- the whole exchange (connecting, every redirect, the headers and the body) has one deadline of
  ``timeout`` seconds: a watchdog shuts the connection's socket when it passes, so a server that
  answers a byte at a time (each byte inside the per-read timeout) cannot hold a worker either;
- every request says who it is (``USER_AGENT``); proxies and ``.netrc`` from the environment are
  ignored, so the checks above see the real destination.

Every failure raises :class:`~scrapers.base.FetchFailed` with a message that names the URL.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .base import FetchFailed

USER_AGENT = "community-asset-directory/0.1 (listing importer; +https://github.com/community-asset-directory)"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_TIMEOUT = 20.0
DEFAULT_MAX_REDIRECTS = 5
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Response:
    """A fetched response: the final URL after redirects, status, headers and body."""

    url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class RefusedAddress(OSError):
    """The destination is a private or otherwise internal address."""


def _refused(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Refuse a URL that is not http(s) or whose host resolves to an internal address."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchFailed(f"{url}: only http and https addresses can be fetched (this is {parts.scheme or 'none'}).")
    if not parts.hostname:
        raise FetchFailed(f"{url}: the address has no host name.")
    if parts.username or parts.password:
        raise FetchFailed(f"{url}: addresses with a user name or password are not fetched.")
    if allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError) as exc:
        raise FetchFailed(f"{url}: the host name could not be resolved ({exc}).") from exc
    for info in infos:
        address = str(info[4][0])
        if _refused(address):
            raise FetchFailed(
                f"{url}: refused, {parts.hostname} is a private or internal address ({address}). "
                "An administrator can allow internal sources with DIRECTORY_IMPORT_ALLOW_PRIVATE."
            )


def _check_peer(sock: socket.socket) -> None:
    address = str(sock.getpeername()[0])
    if _refused(address):
        sock.close()
        raise RefusedAddress(f"connected to a private or internal address ({address})")


class _Deadline:
    """Shuts every socket a fetch uses once its deadline passes, waking any read blocked on it."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        _watching.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _watching.deadline = None

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing left to wake
        sock.shutdown(socket.SHUT_RDWR)


# The deadline of the fetch running on this thread: connections register their sockets with it.
_watching = threading.local()


def _watch(sock: socket.socket | None) -> None:
    deadline: _Deadline | None = getattr(_watching, "deadline", None)
    if deadline is not None:
        deadline.watch(sock)


class _GuardedHTTPConnection(HTTPConnection):
    check_peer = True

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        if self.check_peer:
            _check_peer(sock)
        _watch(sock)
        return sock


class _GuardedHTTPSConnection(HTTPSConnection):
    check_peer = True

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        if self.check_peer:
            _check_peer(sock)
        _watch(sock)
        return sock


class _OpenHTTPConnection(_GuardedHTTPConnection):
    check_peer = False  # DIRECTORY_IMPORT_ALLOW_PRIVATE: an intranet feed, still under the deadline


class _OpenHTTPSConnection(_GuardedHTTPSConnection):
    check_peer = False


class _ReusingWatch:
    """A pooled connection kept alive from an earlier fetch is registered with this fetch's deadline too."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)  # type: ignore[misc]
        _watch(getattr(conn, "sock", None))
        return conn


class _CheckedHTTPPool(_ReusingWatch, HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _CheckedHTTPSPool(_ReusingWatch, HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _OpenHTTPPool(_ReusingWatch, HTTPConnectionPool):
    ConnectionCls = _OpenHTTPConnection


class _OpenHTTPSPool(_ReusingWatch, HTTPSConnectionPool):
    ConnectionCls = _OpenHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    """An adapter whose connections check the address they actually reached (unless private addresses are
    allowed) and answer to the fetch's deadline."""

    def __init__(self, *, check_peer: bool) -> None:
        self.check_peer = check_peer
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = (
            {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}
            if self.check_peer
            else {"http": _OpenHTTPPool, "https": _OpenHTTPSPool}
        )


def client(allow_private: bool = False) -> requests.Session:
    """A connection-reusing session with the same checks, for many requests to one feed.

    Pass it to :func:`fetch` as ``session``; close it when done.
    """
    return _session(allow_private)


def _session(allow_private: bool) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxies or .netrc from the environment: we check the real destination
    adapter = _GuardedAdapter(check_peer=not allow_private)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update({"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
    return session


def fetch(
    url: str,
    *,
    method: str = "GET",
    allow_private: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = DEFAULT_TIMEOUT,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
    headers: dict[str, str] | None = None,
    require_ok: bool = True,
    session: requests.Session | None = None,
) -> Response:
    """Request ``url`` under the rules in this module's docstring and return the whole response.

    With ``require_ok`` (the default) a status outside 200-299 raises ``FetchFailed``; without
    it the response is returned so the caller can treat the status as evidence.
    """
    started = time.monotonic()
    deadline = started + timeout
    own = session is None
    active = session if session is not None else _session(allow_private)
    try:
        with _Deadline(timeout) as watchdog:
            return _follow(url, method, active, allow_private, max_bytes, timeout, max_redirects, headers,
                           require_ok, started, deadline, watchdog)  # fmt: skip
    finally:
        if own:
            active.close()


def _follow(
    url: str,
    method: str,
    active: requests.Session,
    allow_private: bool,
    max_bytes: int,
    timeout: float,
    max_redirects: int,
    headers: dict[str, str] | None,
    require_ok: bool,
    started: float,
    deadline: float,
    watchdog: _Deadline,
) -> Response:
    current = url
    try:
        for _hop in range(max_redirects + 1):
            check_url(current, allow_private=allow_private)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchFailed(f"{url}: no answer within {timeout:g} seconds.")
            try:
                answer = active.request(
                    method,
                    current,
                    headers=headers,
                    stream=True,
                    allow_redirects=False,
                    timeout=(min(remaining, 10.0), remaining),
                )
            except requests.Timeout as exc:
                raise FetchFailed(f"{url}: no answer within {timeout:g} seconds.") from exc
            except requests.RequestException as exc:
                reason = "a private or internal address" if "private or internal" in str(exc) else _short(exc)
                raise FetchFailed(f"{url}: could not connect ({reason}).") from exc
            with answer:
                if answer.is_redirect:
                    location = answer.headers.get("Location", "")
                    current = urljoin(current, location)
                    continue
                body = _read(answer, url=url, max_bytes=max_bytes, deadline=deadline, timeout=timeout)
                response = Response(
                    url=current,
                    status=answer.status_code,
                    headers={k.lower(): v for k, v in answer.headers.items()},
                    body=body,
                    elapsed=time.monotonic() - started,
                )
            if watchdog.expired:  # a connection shut mid-headers can look like a short, complete answer
                raise FetchFailed(f"{url}: cut off at the deadline.")
            if require_ok and not response.ok:
                raise FetchFailed(f"{url}: the server answered {response.status} {answer.reason or ''}".rstrip() + ".")
            return response
    except FetchFailed:
        if watchdog.expired:
            raise FetchFailed(f"{url}: no complete answer within {timeout:g} seconds.") from None
        raise
    raise FetchFailed(f"{url}: more than {max_redirects} redirects (a redirect loop?).")


def _read(answer: requests.Response, *, url: str, max_bytes: int, deadline: float, timeout: float) -> bytes:
    declared = answer.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchFailed(f"{url}: the response is {int(declared):,} bytes, more than the limit of {max_bytes:,}.")
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in answer.iter_content(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise FetchFailed(f"{url}: the response is more than the limit of {max_bytes:,} bytes.")
            if time.monotonic() > deadline:
                raise FetchFailed(f"{url}: the response took more than {timeout:g} seconds.")
            chunks.append(chunk)
    except requests.RequestException as exc:
        if isinstance(exc, requests.ConnectionError) and "timed out" in str(exc).lower():
            raise FetchFailed(f"{url}: the response took more than {timeout:g} seconds.") from exc
        raise FetchFailed(f"{url}: the response was cut off ({_short(exc)}).") from exc
    return b"".join(chunks)


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:197] + "..."
