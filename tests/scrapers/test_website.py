"""scrapers.website: HEAD then GET, robots.txt respected, one request per host per interval."""

from __future__ import annotations

from scrapers import http
from scrapers.website import HostThrottle, WebsiteChecker
from tests.scrapers.loopback import LoopbackServer, Reply, closed_port_url


class FakeClock:
    """A clock the throttle reads and sleeps on, so the test sees the waits without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def checker(clock: FakeClock | None = None) -> WebsiteChecker:
    clock = clock or FakeClock()
    return WebsiteChecker(throttle=HostThrottle(2.0, clock=clock, sleep=clock.sleep), allow_private=True, timeout=2)


def test_a_live_site_is_checked_with_head_after_robots(server: LoopbackServer) -> None:
    server.routes["/robots.txt"] = Reply(b"User-agent: *\nDisallow: /private\n", content_type="text/plain")
    server.routes["/"] = Reply(b"<html></html>", content_type="text/html")
    result = checker().check(server.url + "/")
    assert result.ok and result.status == 200
    assert [(m, p) for m, p, _ in server.requests] == [("GET", "/robots.txt"), ("HEAD", "/")]
    assert all(agent == http.USER_AGENT for _, _, agent in server.requests)


def test_head_refused_falls_back_to_get(server: LoopbackServer) -> None:
    def page(_path: str) -> Reply:
        method = server.requests[-1][0]
        return Reply(status=405) if method == "HEAD" else Reply(b"ok", content_type="text/html")

    server.routes["/group"] = page
    assert checker().check(server.url + "/group").ok
    assert [m for m, p, _ in server.requests if p == "/group"] == ["HEAD", "GET"]


def test_robots_disallow_is_respected_and_not_counted_as_failure(server: LoopbackServer) -> None:
    server.routes["/robots.txt"] = Reply(b"User-agent: *\nDisallow: /\n", content_type="text/plain")
    result = checker().check(server.url + "/anything")
    assert result.ok and result.status is None and "robots.txt" in result.reason
    assert [p for _, p, _ in server.requests] == ["/robots.txt"]


def test_a_dead_site_is_described_not_raised() -> None:
    result = checker().check(closed_port_url() + "/")
    assert not result.ok and "could not connect" in result.reason


def test_a_missing_page_is_a_failure_with_its_status(server: LoopbackServer) -> None:
    result = checker().check(server.url + "/gone")
    assert not result.ok and result.status == 404


def test_requests_to_one_host_are_spaced_out(server: LoopbackServer) -> None:
    clock = FakeClock()
    check = checker(clock)
    server.routes["/a"] = Reply(b"a")
    server.routes["/b"] = Reply(b"b")
    check.check(server.url + "/a")
    check.check(server.url + "/b")
    assert clock.slept == [2.0, 2.0]  # robots.txt -> HEAD /a -> HEAD /b, each two seconds apart


def test_private_addresses_are_refused_without_the_flag() -> None:
    result = WebsiteChecker().check("http://127.0.0.1:9/")
    assert not result.ok and "private or internal" in result.reason
