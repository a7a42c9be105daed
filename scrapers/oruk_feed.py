"""Walking an Open Referral UK feed: the ``/services`` pages, then each ``/services/{id}``, every item accounted for.

What the listing pages give is accounted for item by item: an item that is not an object, has no id, or repeats
an id already listed becomes a :class:`~scrapers.base.Rejected` naming its page and place (and, for a repeat,
where the id was first listed), never a silent drop. A detail page that fails (an error status, a broken or
non-object JSON body, a timeout) rejects that one service, naming its id and URL, and the walk goes on.

The source itself has failed, and :class:`~scrapers.base.FetchFailed` is raised, when a listing page fails (any
status, bad JSON, no ``contents``), when the server refuses access (401 or 403, on any page), or when more than
``MOST_FAILED`` of the listed services' detail pages failed: past that a run would mostly report the feed's
outage, not its content.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlencode

import requests

from . import http
from .base import FetchFailed, Rejected, as_text

MAX_PAGES = 10_000
# The share of detail pages that may fail before the run fails as a whole (more than half: the source is down).
MOST_FAILED = 0.5
REFUSED = (401, 403)


class AccessRefused(FetchFailed):
    """The server refused us (401, 403): a fault of the source's address or key, never of one service."""


def walk(
    base: str, session: requests.Session, *, per_page: int, allow_private: bool, max_bytes: int, timeout: float
) -> Iterator[bytes | Rejected]:
    """Yield each full service payload of the feed at ``base``, or a :class:`Rejected` in its place."""
    base = base.rstrip("/")

    def get(url: str) -> http.Response:
        response = http.fetch(url, allow_private=allow_private, max_bytes=max_bytes, timeout=timeout,
                              session=session, require_ok=False)  # fmt: skip
        if response.status in REFUSED:
            raise AccessRefused(
                f"{url}: the server refused access ({response.status}); check the feed's address or key."
            )
        return response

    first_listed: dict[str, str] = {}
    failed: list[str] = []
    for page in range(1, MAX_PAGES + 1):
        url = f"{base}/services?{urlencode({'page': page, 'per_page': per_page})}"
        contents, last = _page(get(url), url, page)
        fresh: list[str] = []
        repeats = 0
        for position, item in enumerate(contents, start=1):
            where = f"item {position} on page {page}"
            service_id = as_text(item.get("id")) if isinstance(item, dict) else ""
            if not isinstance(item, dict):
                yield Rejected(where, f"not a JSON object (a {type(item).__name__})")
            elif not service_id:
                yield Rejected(where, "the service has no id")
            elif service_id in first_listed:
                repeats += 1
                twice = f"the id {service_id!r} appears twice: at {where}, and first at {first_listed[service_id]}"
                yield Rejected(f"service {service_id}", f"{twice} (this copy was left out)", service_id)
            else:
                first_listed[service_id] = where
                fresh.append(service_id)
        if repeats and not fresh:
            raise FetchFailed(f"{url}: the feed repeats the same services page after page.")
        for service_id in fresh:
            detail = fetch_detail(get, base, service_id)
            if isinstance(detail, Rejected):
                failed.append(detail.reason)
            yield detail
        if last or not contents:
            break
    else:
        raise FetchFailed(f"{base}: more than {MAX_PAGES} pages of services.")
    if failed and len(failed) > MOST_FAILED * len(first_listed):
        raise FetchFailed(
            f"{base}: {len(failed)} of {len(first_listed)} service detail pages failed, more than half, so the "
            f"source itself is failing; nothing was changed. The first: {failed[0]}"
        )


def _page(response: http.Response, url: str, page: int) -> tuple[list[Any], bool]:
    """A listing page's items, and whether it is the last page; any fault here is the source's."""
    if not response.ok:
        raise FetchFailed(f"{url}: the server answered {response.status}.")
    try:
        envelope = json.loads(response.body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FetchFailed(f"{url}: the page is not valid JSON ({exc}).") from exc
    if not isinstance(envelope, dict) or not isinstance(envelope.get("contents"), list):
        raise FetchFailed(f"{url}: not an ORUK page (no 'contents' list).")
    total_pages = envelope.get("total_pages")
    last = envelope.get("last_page") is True or (isinstance(total_pages, int) and page >= total_pages)
    return envelope["contents"], last


def fetch_detail(get: Callable[[str], http.Response], base: str, service_id: str) -> bytes | Rejected:
    """One service's full payload, or its rejection naming the service and the URL."""
    url = f"{base}/services/{quote(service_id, safe='')}"
    where = f"service {service_id}"
    try:
        response = get(url)
    except AccessRefused:
        raise
    except FetchFailed as exc:
        return Rejected(where, f"its detail page failed: {exc}", service_id)
    if not response.ok:
        return Rejected(where, f"its detail page {url} answered {response.status}", service_id)
    try:
        data = json.loads(response.body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return Rejected(where, f"its detail page {url} is not valid JSON ({exc})", service_id)
    if not isinstance(data, dict):
        return Rejected(where, f"its detail page {url} is not a JSON object", service_id)
    if not as_text(data.get("id")):
        return Rejected(where, f"its detail page {url} gives the service no id", service_id)
    return response.body
