"""Helpers for the group, reminder and job tests: a real SMTP server on loopback and reading what it got.

No tests here: the modules that need a mailbox build their own fixtures from ``smtp_mailbox``.
"""

from __future__ import annotations

import contextlib
import email
import re
import socket
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default
from typing import Any
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller

URL = re.compile(r"https?://[^\s<>\"]+")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    """What the SMTP server received: envelopes and parsed messages, in order."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.recipients.clear()

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m, rcpt in zip(self.messages, self.recipients, strict=True) if address in rcpt]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} messages, got {len(self.messages)}")


@contextlib.contextmanager
def smtp_mailbox(mailbox: Mailbox | None = None) -> Iterator[Mailbox]:
    """An aiosmtpd server on 127.0.0.1 at a free port (or ``mailbox``'s), for the length of the block."""
    mailbox = mailbox or Mailbox(free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, "every email has a plain-text and an HTML part"
    return str(text.get_content()), str(html.get_content())


def links(message: EmailMessage) -> list[str]:
    """Every link in the plain-text part, in order."""
    text, _ = text_and_html(message)
    return URL.findall(text)


def link_to(message: EmailMessage, fragment: str) -> str:
    """The path (and query) of the one link whose path contains ``fragment``."""
    found = [url for url in links(message) if fragment in urlsplit(url).path]
    assert len(found) == 1, f"expected one link with {fragment!r}: {links(message)}"
    parts = urlsplit(found[0])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def form_fields(form: Any) -> list[tuple[str, str]]:
    """What a browser would submit for this BeautifulSoup <form> as it stands (checked boxes, selected options)."""
    fields: list[tuple[str, str]] = []
    for element in form.find_all(["input", "select", "textarea"]):
        name = element.get("name")
        if not name:
            continue
        if element.name == "select":
            chosen = element.find("option", selected=True) or element.find("option")
            fields.append((name, chosen.get("value", "") if chosen else ""))
        elif element.name == "textarea":
            fields.append((name, element.text))
        elif element.get("type") in ("checkbox", "radio"):
            if element.has_attr("checked"):
                fields.append((name, element.get("value", "on")))
        elif element.get("type") not in ("submit", "button"):
            fields.append((name, element.get("value", "")))
    return fields


def submit(client: Any, path: str, changes: dict[str, str] | None = None, form_index: int = -1) -> Any:
    """Open ``path``, fill in its form in <main> as a person would (CSRF token included) and send it."""
    from bs4 import BeautifulSoup
    from werkzeug.datastructures import MultiDict

    page = client.get(path, follow_redirects=True)  # an edit link is exchanged for a clean address first
    assert page.status_code == 200, f"{path} answered {page.status_code}"
    forms = BeautifulSoup(page.data, "html.parser").select("main form")
    assert forms, f"no form on {path}"
    form = forms[form_index]
    data = MultiDict(form_fields(form))
    for name, value in (changes or {}).items():
        data.setlist(name, [value])
    action = form.get("action") or page.request.full_path.rstrip("?")  # as a browser: the page's own address
    return client.post(action, data=data)


# Requests must not run inside a test's own app context: Flask reuses a pushed app context for requests, so
# ``g`` (Flask-Login's user, Flask-WTF's CSRF token) would leak from one client to another. These helpers
# open a context only around database work.


@contextlib.contextmanager
def db_session(app: Any) -> Iterator[Any]:
    from directory.core.db import db

    with app.app_context():
        try:
            yield db.session
        finally:
            db.session.rollback()
            db.session.remove()


_serial = iter(range(1, 1_000_000))
STAFF_SEED = "staff: seed@example.org"


def make_listing(app: Any, **overrides: Any) -> int:
    """A live service in a new organisation (through the write path); returns its id."""
    from directory.core.writes import Actor
    from directory.listings.operations import create

    actor = Actor(label=STAFF_SEED, source="staff")
    with db_session(app) as session:
        organization_id = overrides.pop("organization_id", None)
        if organization_id is None:
            organization_id = create(session, "organization", {"name": f"Group {next(_serial)}"}, actor).id
        values = {"organization_id": organization_id, "name": f"Listing {next(_serial)}", "categories": ["arts-crafts"]}
        values.update(overrides)
        service_id = int(create(session, "service", values, actor).id)
        session.commit()
        return service_id


def staff_client(app: Any, role: str = "link-worker", **overrides: Any) -> Any:
    """A test client signed in through the real form as a new user with ``role``."""
    from directory.accounts.users import create_user
    from tests.conftest import PASSWORD, sign_in

    email = f"staff{next(_serial)}-{role}@example.org"
    with db_session(app) as session:
        create_user(session, email_address=email, role=role, password=PASSWORD, **overrides)
        session.commit()
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client
