"""The reminders job: freshness reminders and funding check-ins by email, and the phone queue when they go unanswered.

Before a listing becomes due for review (``FRESH_DAYS`` after it was last verified), its contact gets
up to three reminders, on the days before due in ``REMINDER_DAYS_BEFORE_DUE``. Each carries one link
to confirm "still running, details correct", one to update (an edit link), one to say "we have
stopped", and one to stop the emails. A reminder cycle belongs to one verification: confirming starts
a new one. With no reply ``REMINDER_PHONE_AFTER_DAYS`` after the last reminder, the listing goes into
the staff follow-up queue to phone; it keeps ageing (stale, then unverified) and sinks in search, but
nothing is ever deleted. A funding end date gets its own check-in ``FUNDING_CHECKIN_DAYS`` before it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..core.clock import utcnow
from ..core.db import DbSession
from ..core.mail import MailFailed, external_url, message_id, send
from ..groups import links as groups
from ..listings.freshness import freshness
from ..models import Contact, Organization, Service
from ..models.verification import ContactOptOut, FollowUp, Reminder
from .batches import batch_size, id_batches, reminded_ids
from .contacts import first_address, normal_address
from .follow_ups import queue_follow_up
from .likelihood import closure_rate
from .waits import keep_asking_due, reminder_due_days, sooner

# Reminders are never closer together than this, even when a job catches up after days off.
MIN_GAP = timedelta(days=3)
UNSUBSCRIBE_DAYS = 3650
SUBJECTS = {
    1: "Is {name} still running? Please check its listing",
    2: "Reminder: please check the listing for {name}",
    3: "Last reminder: please check {name}, or we will phone you",
}


def reminder_offsets(config: Mapping[str, Any]) -> list[int]:
    """Days before due for each reminder, from DIRECTORY_REMINDER_DAYS_BEFORE_DUE (at most three)."""
    raw = str(config.get("REMINDER_DAYS_BEFORE_DUE") or "")
    try:
        days = [int(part) for part in raw.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"DIRECTORY_REMINDER_DAYS_BEFORE_DUE={raw!r}: use whole days, e.g. 28,14,0") from None
    return sorted(days, reverse=True)[:3]


def _cycle(last_verified_at: datetime | None, created_at: datetime) -> tuple[datetime, str]:
    """When a listing's current verification cycle began, and its key: confirming starts a new one."""
    start = last_verified_at or created_at
    return start, start.isoformat(timespec="seconds")


@dataclass(frozen=True)
class ReminderLinks:
    confirm: str
    update: str
    stopped: str
    unsubscribe: str


def _links(session: DbSession, service: Service, address: str, config: Mapping[str, Any]) -> ReminderLinks:
    days = int(config["REMINDER_LINK_DAYS"])

    def token(kind: str, service_id: int | None, valid_days: int) -> str:
        raw, _ = groups.issue_token(
            session, kind=kind, organization_id=service.organization_id, email=address, days=valid_days,
            service_id=service_id, created_by="reminders",
        )  # fmt: skip
        return raw

    confirm = token("confirm", service.id, days)
    stopped = token("stopped", service.id, days)
    edit = token("edit", None, days)
    unsubscribe = token("unsubscribe", None, UNSUBSCRIBE_DAYS)
    return ReminderLinks(
        confirm=external_url("verification.confirm", token=confirm),
        update=external_url("groups.enter", token=edit, next=f"service-{service.id}"),
        stopped=external_url("verification.stopped", token=stopped),
        unsubscribe=external_url("verification.unsubscribe", token=unsubscribe),
    )


def _send_one(
    session: DbSession,
    service: Service,
    *,
    kind: str,
    cycle: str,
    sequence: int,
    address: str,
    config: Mapping[str, Any],
    now: datetime,
) -> bool:
    """Claim the step in the database first (so two runs never send it twice), then send it.

    A step is claimed once: a new row, or a failed one taken back by a conditional update. A claimed step left
    "sending" by a crash is never claimed again (the SMTP server may have taken it): the next step follows in
    its time. Each message's Message-ID is its step's, so a re-sent failed step is recognisably the same email.
    """
    row = session.scalars(
        select(Reminder).where(
            Reminder.service_id == service.id, Reminder.kind == kind, Reminder.cycle == cycle,
            Reminder.sequence == sequence,
        )
    ).first()  # fmt: skip
    try:
        if row is None:
            row = Reminder(service_id=service.id, kind=kind, cycle=cycle, sequence=sequence, email=address,
                           status="sending", sent_at=now)  # fmt: skip
            session.add(row)
            session.commit()
        elif row.status != "failed":  # sent, or being sent by another run
            return False
        else:
            claimed = session.execute(  # type: ignore[attr-defined]  # an UPDATE's result has a rowcount
                update(Reminder).where(Reminder.id == row.id, Reminder.status == "failed")
                .values(status="sending", sent_at=now, email=address, error="")
            ).rowcount  # fmt: skip
            session.commit()
            if claimed != 1:
                return False
            session.refresh(row)
    except IntegrityError:  # another run claimed it a moment ago
        session.rollback()
        return False
    links = _links(session, service, address, config)
    session.commit()
    if kind == "funding":
        subject = f"Funding for {service.name} ends soon: is it carrying on?"
    elif service.status == "closed":
        subject = f"Is {service.name} still running? It is out of search until we hear from you"
    else:
        subject = SUBJECTS.get(sequence, SUBJECTS[3]).format(name=service.name)
    try:
        send(
            address, subject, "reminder", unsubscribe_url=links.unsubscribe, service=service, links=links,
            sequence=sequence, last=sequence >= len(reminder_offsets(config)), kind=kind,
            freshness=freshness(service.last_verified_at, config, now), message_id=message_id("reminder", row.id),
        )  # fmt: skip
    except MailFailed as exc:
        row.status, row.error = "failed", str(exc)[:2000]
        session.commit()
        return False
    row.status = "sent"
    session.commit()
    return True


@dataclass(frozen=True)
class _Step:
    """A reminder already sent, as plain values (they outlive the commits made while a batch is worked)."""

    sequence: int
    sent_at: datetime
    email: str


@dataclass(frozen=True)
class _Listing:
    """What the reminders job needs to know about one listing, read for a whole batch at once."""

    id: int
    cycle_start: datetime
    cycle: str
    funded_until: date | None
    address: str | None
    reachable: bool
    stopped_reported: bool
    evidence: bool  # any open follow-up
    hidden: bool  # taken out of search by the evidence: still asked, less often
    sent: dict[tuple[str, str], list[_Step]]  # (kind, cycle) -> steps sent, in order
    queued: frozenset[tuple[str, str]]  # (reason, cycle) of follow-ups already queued


def _read_batch(session: DbSession, ids: list[int]) -> list[_Listing]:
    """One batch of listings with their contacts, reminders sent, follow-ups queued and opt-outs: a few queries.

    Plain columns, not whole listings: most days most listings need nothing, and reading them should cost little.
    """
    services = session.execute(
        select(
            Service.id, Service.last_verified_at, Service.created_at, Service.funded_until, Service.email,
            Service.status, Organization.email.label("organization_email"),
        )
        .join(Organization, Organization.id == Service.organization_id)
        .where(Service.id.in_(ids))
        .order_by(Service.id)
    ).all()  # fmt: skip
    contacts: dict[int, list[str | None]] = defaultdict(list)
    for service_id, contact_address in session.execute(
        select(Contact.service_id, Contact.email).where(Contact.service_id.in_(ids)).order_by(Contact.id)
    ):
        contacts[service_id].append(contact_address)
    sent: dict[int, dict[tuple[str, str], list[_Step]]] = defaultdict(lambda: defaultdict(list))
    for reminder in session.scalars(
        select(Reminder)
        .where(Reminder.service_id.in_(ids), Reminder.status.in_(("sent", "sending")))
        .order_by(Reminder.service_id, Reminder.sequence)
    ):
        sent[reminder.service_id][(reminder.kind, reminder.cycle)].append(
            _Step(sequence=reminder.sequence, sent_at=reminder.sent_at, email=reminder.email)
        )
    queued: dict[int, set[tuple[str, str]]] = defaultdict(set)
    stopped: set[int] = set()
    evidence = set(session.scalars(
        select(FollowUp.service_id).where(FollowUp.service_id.in_(ids), FollowUp.resolved_at.is_(None))
    ))  # fmt: skip
    for service_id, reason, cycle, resolved_at in session.execute(
        select(FollowUp.service_id, FollowUp.reason, FollowUp.cycle, FollowUp.resolved_at).where(
            FollowUp.service_id.in_(ids), FollowUp.reason.in_(("no-email", "no-reply", "group-stopped"))
        )
    ):
        queued[service_id].add((reason, cycle))
        if reason == "group-stopped" and resolved_at is None:
            stopped.add(service_id)
    addresses = {
        service.id: first_address(contacts[service.id], service.email, service.organization_email)
        for service in services
    }
    wanted = {normal_address(address) for address in addresses.values() if address}
    opted = (
        set(session.scalars(select(ContactOptOut.email).where(ContactOptOut.email.in_(wanted)))) if wanted else set()
    )
    listings = []
    for service in services:
        start, cycle = _cycle(service.last_verified_at, service.created_at)
        address = addresses[service.id]
        listings.append(
            _Listing(
                id=service.id, cycle_start=start, cycle=cycle, funded_until=service.funded_until, address=address,
                reachable=bool(address) and normal_address(address or "") not in opted,
                stopped_reported=service.id in stopped, evidence=service.id in evidence,
                hidden=service.status == "closed", sent=dict(sent[service.id]),
                queued=frozenset(queued[service.id]),
            )
        )  # fmt: skip
    return listings


def send_reminders(
    session: DbSession, config: Mapping[str, Any], *, now: datetime | None = None, batch: int | None = None
) -> dict[str, int]:
    """The reminders job: the next due reminder for each live listing, funding check-ins, and the phone queue.

    Listings are read ``batch`` at a time (DIRECTORY_JOBS_BATCH_SIZE) and each batch is committed; every step
    is claimed in the database before it is sent, so a re-run, or a run after a crash, sends nothing twice.
    """
    now = now or utcnow()
    offsets = reminder_offsets(config)
    yearly_close = closure_rate(session, now=now)
    due_days = reminder_due_days(config, offsets, yearly_close)
    counts: Counter[str] = Counter()
    for ids in id_batches(session, reminded_ids(), batch_size(config, batch)):
        listings = _read_batch(session, ids)
        doubted = sooner(
            session, [x.id for x in listings if not x.hidden and (x.sent.get(("freshness", x.cycle)) or x.evidence)],
            config, now=now, yearly_close=yearly_close,
        )  # fmt: skip
        for listing in listings:
            _remind(session, listing, config, offsets, now, counts, listing.id in doubted, due_days)
        session.commit()
    return dict(counts)


def _remind(
    session: DbSession,
    listing: _Listing,
    config: Mapping[str, Any],
    offsets: list[int],
    now: datetime,
    counts: Counter[str],
    doubted: bool = False,
    due_days: int | None = None,
) -> None:
    counts["checked"] += 1
    if listing.stopped_reported:
        counts["waiting_for_staff"] += 1
        return
    cycle = listing.cycle
    due = listing.cycle_start + timedelta(days=reminder_due_days(config, offsets) if due_days is None else due_days)
    ended = listing.funded_until
    if ended is not None and listing.cycle_start.date() < ended <= now.date():
        # Its funding ended since the last check: a round starts that day (is it carrying on?), and each silence
        # counts as evidence, rather than waiting for the round its last check would bring.
        due = min(due, datetime.combine(ended, datetime.min.time()) + timedelta(days=offsets[0] if offsets else 0))
    sent = listing.sent.get(("freshness", cycle), [])
    sooner = timedelta(days=max(int(config["REMINDER_SOONER_DAYS"]), MIN_GAP.days))
    phone_after = timedelta(days=int(config["REMINDER_PHONE_AFTER_DAYS"]))
    if len(sent) < len(offsets):
        step_at = due - timedelta(days=offsets[len(sent)])
        if sent:
            # A round that starts late (a backlog at switch-on, an import) keeps its steps' spacing, so a week away
            # does not look like three silences.
            spacing = timedelta(days=offsets[len(sent) - 1] - offsets[len(sent)])
            step_at = max(step_at, sent[-1].sent_at + max(MIN_GAP, spacing))
        if doubted:
            # Evidence already makes a closure likely: ask now, and again soon, so the listing leaves the edge
            # sooner either way (an answer floats it back up, each silence sinks it further).
            step_at = min(step_at, sent[-1].sent_at + sooner if sent else now)
        if now >= step_at:
            if not listing.reachable:
                why = "asked not to be emailed" if listing.address else "has no email address"
                if ("no-email", cycle) not in listing.queued and queue_follow_up(
                    session, listing.id, "no-email", cycle=cycle, detail=f"The contact {why}."
                ):
                    counts["queued_for_phone"] += 1
            elif _send_one(
                session, _service(session, listing.id), kind="freshness", cycle=cycle, sequence=len(sent) + 1,
                address=str(listing.address), config=config, now=now,
            ):  # fmt: skip
                counts["sent"] += 1
            else:
                counts["failed"] += 1
    elif sent and now >= sent[-1].sent_at + (min(phone_after, sooner) if doubted else phone_after):
        detail = f"{len(sent)} reminders to {sent[-1].email} unanswered; the last on {sent[-1].sent_at:%-d %B %Y}."
        if ("no-reply", cycle) not in listing.queued and queue_follow_up(
            session, listing.id, "no-reply", cycle=cycle, detail=detail
        ):
            counts["queued_for_phone"] += 1
    # A listing the evidence took out of search is asked again less often (a closed group's address should not hear
    # from us every week), but asked: a running group's answer is what brings it back.
    gap = timedelta(days=int(config["REMINDER_HIDDEN_DAYS"])) if listing.hidden else sooner if doubted else None
    asking = keep_asking_due(config, len(sent) >= len(offsets), sent, ("no-reply", cycle) in listing.queued, now, gap)
    if asking and listing.reachable and _send_one(
        session, _service(session, listing.id), kind="freshness", cycle=cycle, sequence=len(sent) + 1,
        address=str(listing.address), config=config, now=now,
    ):  # fmt: skip
        counts["sent_again"] += 1
    if listing.funded_until is not None and listing.reachable and not listing.hidden:
        ends = listing.funded_until
        checkin = ends - timedelta(days=int(config["FUNDING_CHECKIN_DAYS"]))
        funding_cycle = ends.isoformat()
        if checkin <= now.date() < ends and not listing.sent.get(("funding", funding_cycle)):
            if _send_one(
                session, _service(session, listing.id), kind="funding", cycle=funding_cycle, sequence=1,
                address=str(listing.address), config=config, now=now,
            ):  # fmt: skip
                counts["funding_checkins"] += 1
            else:
                counts["failed"] += 1


def _service(session: DbSession, service_id: int) -> Service:
    return session.get_one(Service, service_id)


def reminder_history(session: DbSession, service_id: int) -> list[Reminder]:
    return list(session.scalars(select(Reminder).where(Reminder.service_id == service_id).order_by(Reminder.id.desc())))
