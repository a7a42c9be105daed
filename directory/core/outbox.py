"""The outbox: every email a decision causes (a declined request, a claim's link, a new edit link) is a row here.

The write that causes an email adds its ``outbound_mail`` row in the same transaction, under a key unique to
that message ("claim-link:12"), so a change that is rolled back sends nothing and a message can never be kept
twice. Delivery comes after the commit: the row is claimed (pending or failed to sending, by a conditional
update that only one process can win), sent with a Message-ID made from its key, then marked sent.

A row left "sending" by a crash is never sent again automatically: the SMTP server may already have taken it,
so the worst case is the one message the recipient did get, not two. A row whose send failed is tried again by
the ``outbox`` job, with the same Message-ID, up to ``DIRECTORY_MAIL_ATTEMPTS`` times in all. Once sent, its
bodies are emptied: they may hold a link that signs someone in, and the key, address and subject are the record.
Reminders keep their own keyed table (``verification/reminders.py``), claimed the same way.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Integer, String, Text, func, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from .clock import utcnow
from .db import DbSession, db
from .mail import MailFailed, message_id, render, send_rendered

STATUSES = ("pending", "sending", "sent", "failed")


class OutboundMail(db.Model):  # type: ignore[name-defined,misc]
    """One email to send, kept from the transaction that caused it until it is sent (or has failed for good)."""

    __tablename__ = "outbound_mail"
    __table_args__ = (CheckConstraint(f"status IN {STATUSES!r}", name="status_allowed"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)  # one message: "listing-declined:12"
    recipient: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    template: Mapped[str] = mapped_column(String(64))
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    unsubscribe_url: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


def queue(
    session: DbSession,
    key: str,
    to: str,
    subject: str,
    template: str,
    *,
    unsubscribe_url: str | None = None,
    **context: Any,
) -> OutboundMail:
    """Render ``email/<template>`` now and keep it under ``key`` in the caller's transaction (nothing is sent).

    A second row with the same key is refused by the database (an ``IntegrityError`` at flush or commit)."""
    subject, text, html = render(subject, template, unsubscribe_url=unsubscribe_url, **context)
    row = OutboundMail(
        key=key[:128], recipient=to, subject=subject[:255], template=template, body_text=text, body_html=html,
        unsubscribe_url=unsubscribe_url or "", status="pending", attempts=0, error="", created_at=utcnow(),
    )  # fmt: skip
    session.add(row)
    return row


def outbox_message_id(key: str) -> str:
    """The Message-ID of the message kept under ``key``: the same on every attempt, so a server can drop a repeat."""
    return message_id("mail", re.sub(r"[^A-Za-z0-9.-]+", ".", key))


def deliver(session: DbSession, row_id: int, *, attempts: int | None = None, now: datetime | None = None) -> str:
    """Claim one message, send it and mark it; commits each step. Returns its status afterwards.

    "sent" or "failed" (the error is on the row) when this call sent it or tried to; "sending" or "sent" as it
    was when another process holds or sent it, or when it is "sending" since a crash (never sent twice)."""
    now = now or utcnow()
    claim = update(OutboundMail).where(OutboundMail.id == row_id, OutboundMail.status.in_(("pending", "failed")))
    if attempts is not None:
        claim = claim.where(OutboundMail.attempts < attempts)
    claimed = session.execute(  # type: ignore[attr-defined]  # an UPDATE's result has a rowcount
        claim.values(status="sending", attempts=OutboundMail.attempts + 1, claimed_at=now, error="")
    ).rowcount
    session.commit()
    row = session.get_one(OutboundMail, row_id)
    session.refresh(row)
    if claimed != 1:
        return row.status
    try:
        send_rendered(
            row.recipient, row.subject, row.body_text, row.body_html, unsubscribe_url=row.unsubscribe_url or None,
            message_id=outbox_message_id(row.key),
        )  # fmt: skip
    except MailFailed as exc:
        row.status, row.error = "failed", str(exc)[:2000]
        session.commit()
        return "failed"
    row.status, row.sent_at, row.body_text, row.body_html = "sent", utcnow(), "", ""
    session.commit()
    return "sent"


def not_sent_yet(status: str) -> str:
    """What staff are told when a message they caused is still in the outbox (empty when it went)."""
    if status != "failed":
        return ""
    return " The email could not be sent just now: it is kept and will be tried again automatically."


def deliver_waiting(session: DbSession, config: Mapping[str, Any]) -> dict[str, int]:
    """The outbox job: send every message still pending (its request ended before sending it) or failed with
    attempts left. Rows left "sending" are not touched; rows out of attempts are counted as given up."""
    attempts = int(config["MAIL_ATTEMPTS"])
    counts: Counter[str] = Counter()
    waiting = select(OutboundMail.id).where(
        or_(OutboundMail.status == "pending", (OutboundMail.status == "failed") & (OutboundMail.attempts < attempts))
    )
    for row_id in list(session.scalars(waiting.order_by(OutboundMail.id))):
        counts[deliver(session, row_id, attempts=attempts)] += 1
    counts["given_up"] = int(
        session.scalar(
            select(func.count()).where(OutboundMail.status == "failed", OutboundMail.attempts >= attempts)
        ) or 0
    )  # fmt: skip
    return {name: count for name, count in counts.items() if count}
