"""A real HTTP server on 127.0.0.1 in a thread, serving whatever a test puts in ``routes``.

Each route is a :class:`Reply` (status, headers, body, optional delay or endless drip), or a
callable taking the request path (with query) and returning one. Requests are logged in
``requests`` as (method, path, User-Agent) so tests can check politeness.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering at all
    drip: float = 0.0  # send the body one byte per `drip` seconds
    endless: bool = False  # keep sending forever (a "gigabytes" source)
    declared: int | None = None  # a Content-Length to promise even while dripping
    header_drip: float = 0.0  # send the status line and headers one byte per `header_drip` seconds
    content_type: str = "application/json"


Route = Reply | Callable[[str], Reply]


class LoopbackServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
                return

            def _answer(self, method: str) -> None:
                server.requests.append((method, self.path, self.headers.get("User-Agent", "")))
                route = server.routes.get(self.path) or server.routes.get(urlsplit(self.path).path)
                if route is None:
                    reply = Reply(b"not found", 404, content_type="text/plain")
                else:
                    reply = route(self.path) if callable(route) else route
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.header_drip:
                    self._drip_headers(reply)
                    return
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if reply.declared is not None:
                        self.send_header("Content-Length", str(reply.declared))
                    elif not reply.endless and not reply.drip:
                        self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if method == "HEAD":
                        return
                    if reply.endless:
                        chunk = b"x" * 65536
                        while True:
                            self.wfile.write(chunk)
                    elif reply.drip:
                        for byte in reply.body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(reply.drip)
                    else:
                        self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _drip_headers(self, reply: Reply) -> None:
                # Headers that never end: a line of padding at a time, each byte inside any per-read timeout.
                head = b"HTTP/1.1 200 OK\r\n" + b"X-Padding: " + b"x" * 10_000
                try:
                    for byte in head:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(reply.header_drip)
                except (BrokenPipeError, ConnectionResetError, OSError):
                    pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._answer("GET")

            def do_HEAD(self) -> None:  # noqa: N802
                self._answer("HEAD")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def serve() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server


def closed_port_url() -> str:
    """An address on loopback where nothing listens (a source that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
