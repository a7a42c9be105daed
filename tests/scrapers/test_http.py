"""scrapers.http: the one outbound HTTP function, against a real server on loopback."""

from __future__ import annotations

import time

import pytest
import requests

from scrapers import http
from scrapers.base import FetchFailed
from tests.scrapers.loopback import LoopbackServer, Reply, closed_port_url


def test_fetches_a_page_and_says_who_it_is(server: LoopbackServer) -> None:
    server.routes["/hello"] = Reply(b'{"ok": true}')
    response = http.fetch(server.url + "/hello", allow_private=True)
    assert response.status == 200 and response.body == b'{"ok": true}'
    assert server.requests[-1][2] == http.USER_AGENT


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.org/x", "gopher://example.org/", "javascript:alert(1)", "http:///nohost"],
)
def test_only_http_and_https_are_fetched(url: str) -> None:
    with pytest.raises(FetchFailed, match="only http and https|no host"):
        http.fetch(url, allow_private=True)


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "10.1.2.3", "192.168.0.1", "169.254.169.254", "[::1]", "0.0.0.0", "[::ffff:127.0.0.1]"],  # noqa: S104
)
def test_private_loopback_and_link_local_addresses_are_refused(host: str) -> None:
    with pytest.raises(FetchFailed, match="private or internal"):
        http.fetch(f"http://{host}/latest/meta-data/")


def test_loopback_is_refused_without_the_flag_even_when_a_server_is_there(server: LoopbackServer) -> None:
    server.routes["/secret"] = Reply(b"internal")
    with pytest.raises(FetchFailed, match="private or internal"):
        http.fetch(server.url + "/secret")
    assert server.requests == []


def test_the_connected_socket_is_checked_too(server: LoopbackServer) -> None:
    """Past the name check (as after a DNS rebind), the connection itself refuses an internal peer."""
    server.routes["/secret"] = Reply(b"internal")
    with http._session(allow_private=False) as session, pytest.raises(requests.ConnectionError, match="private"):
        session.get(server.url + "/secret", timeout=5)
    assert server.requests == []


def test_redirects_are_followed_a_bounded_number_of_times(server: LoopbackServer) -> None:
    server.routes["/a"] = Reply(status=301, headers={"Location": "/b"})
    server.routes["/b"] = Reply(status=302, headers={"Location": "/c"})
    server.routes["/c"] = Reply(b"arrived")
    response = http.fetch(server.url + "/a", allow_private=True)
    assert response.body == b"arrived" and response.url.endswith("/c")


def test_a_redirect_loop_fails_with_a_clear_message(server: LoopbackServer) -> None:
    server.routes["/loop"] = Reply(status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchFailed, match="more than 3 redirects"):
        http.fetch(server.url + "/loop", allow_private=True, max_redirects=3)
    assert len(server.requests) == 4


def test_a_server_that_is_down_fails_with_the_url_named() -> None:
    url = closed_port_url() + "/feed"
    with pytest.raises(FetchFailed, match="could not connect") as caught:
        http.fetch(url, allow_private=True)
    assert url in str(caught.value)


def test_a_slow_server_is_abandoned_at_the_time_limit(server: LoopbackServer) -> None:
    server.routes["/slow"] = Reply(b"late", delay=2.0)
    with pytest.raises(FetchFailed, match="within 0.5 seconds|took more than"):
        http.fetch(server.url + "/slow", allow_private=True, timeout=0.5)


def test_a_slow_drip_is_abandoned_at_the_total_time_limit(server: LoopbackServer) -> None:
    server.routes["/drip"] = Reply(b"x" * 100, drip=0.05)
    with pytest.raises(FetchFailed, match="took more than|within"):
        http.fetch(server.url + "/drip", allow_private=True, timeout=0.5)


def test_a_promised_body_sent_a_byte_at_a_time_is_abandoned_at_the_deadline(server: LoopbackServer) -> None:
    # Each byte arrives well inside any per-read timeout; only a deadline on the whole response stops it
    # (40 bytes at 0.25 s would otherwise hold the fetch for 10 s).
    server.routes["/promise"] = Reply(b"y" * 40, drip=0.25, declared=40)
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="no complete answer within 1 seconds"):
        http.fetch(server.url + "/promise", allow_private=True, timeout=1.0)
    assert time.monotonic() - started < 4


def test_headers_sent_a_byte_at_a_time_are_abandoned_at_the_deadline(server: LoopbackServer) -> None:
    server.routes["/headers"] = Reply(header_drip=0.05)
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="no complete answer within 1 seconds"):
        http.fetch(server.url + "/headers", allow_private=True, timeout=1.0)
    assert time.monotonic() - started < 4


def test_the_deadline_holds_on_a_reused_connection_and_with_the_address_checks_on(server: LoopbackServer) -> None:
    server.routes["/quick"] = Reply(b"ok")
    server.routes["/promise"] = Reply(b"y" * 40, drip=0.25, declared=40)
    session = http.client(allow_private=True)
    try:
        assert http.fetch(server.url + "/quick", allow_private=True, session=session).body == b"ok"
        with pytest.raises(FetchFailed, match="no complete answer within 1 seconds"):
            http.fetch(server.url + "/promise", allow_private=True, timeout=1.0, session=session)
    finally:
        session.close()


def test_a_declared_huge_response_is_refused_before_reading(server: LoopbackServer) -> None:
    server.routes["/big"] = Reply(b"x" * 5000)
    with pytest.raises(FetchFailed, match="more than the limit of 1,000"):
        http.fetch(server.url + "/big", allow_private=True, max_bytes=1000)


def test_an_endless_response_is_cut_off_at_the_size_cap(server: LoopbackServer) -> None:
    server.routes["/endless"] = Reply(endless=True)
    with pytest.raises(FetchFailed, match="more than the limit of 1,048,576 bytes"):
        http.fetch(server.url + "/endless", allow_private=True, max_bytes=1024 * 1024)


def test_an_error_status_fails_unless_the_caller_wants_the_status(server: LoopbackServer) -> None:
    server.routes["/gone"] = Reply(b"gone", status=410)
    with pytest.raises(FetchFailed, match="answered 410"):
        http.fetch(server.url + "/gone", allow_private=True)
    assert http.fetch(server.url + "/gone", allow_private=True, require_ok=False).status == 410
