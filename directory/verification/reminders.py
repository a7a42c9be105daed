"""Freshness reminders, one-click confirmations, "we have stopped", opt-outs and the staff follow-up queue.

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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from ..core import validation as v
from ..core import writes
from ..core.clock import utcnow
from ..core.db import DbSession
from ..core.mail import MailFailed, external_url, send
from ..groups import links as groups
from ..listings import operations
from ..listings.freshness import freshness
from ..models import Contact, Organization, Service
from ..models.groups import GroupToken
from ..models.verification import FOLLOW_UP_REASONS, RESOLUTIONS, ContactOptOut, FollowUp, Reminder

# Reminders are never closer together than this, even when a job catches up after days off.
MIN_GAP = timedelta(days=3)
UNSUBSCRIBE_DAYS = 3650
LIVE_STATUSES = ("active", "paused")
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


def contact_email(service: Service) -> str | None:
    """Who reminders go to: the first named contact with an email, else the service's, else the organisation's."""
    return _first_address([c.email for c in service.contacts], service.email, service.organization.email)


def _first_address(contacts: list[str | None], service_email: str | None, organization_email: str | None) -> str | None:
    return next((address for address in contacts if address), None) or service_email or organization_email or None


def _normal(address: str) -> str:
    return address.strip().lower()


def opted_out(session: DbSession, address: str) -> bool:
    return session.scalars(select(ContactOptOut).where(ContactOptOut.email == _normal(address))).first() is not None


def opt_out(session: DbSession, address: str) -> ContactOptOut:
    """Stop emailing this address (staff phone instead); committed, and safe to repeat."""
    existing = session.scalars(select(ContactOptOut).where(ContactOptOut.email == _normal(address))).first()
    if existing is not None:
        return existing
    row = ContactOptOut(email=_normal(address), created_at=utcnow())
    session.add(row)
    session.commit()
    return row


def cycle_of(service: Service) -> tuple[datetime, str]:
    """When this listing's current verification cycle began, and its key."""
    return _cycle(service.last_verified_at, service.created_at)


def _cycle(last_verified_at: datetime | None, created_at: datetime) -> tuple[datetime, str]:
    start = last_verified_at or created_at
    return start, start.isoformat(timespec="seconds")


def _follow_up(
    session: DbSession, service_id: int, reason: str, *, cycle: str = "", detail: str = "", reported_by: str = ""
) -> FollowUp | None:
    """Queue a listing for staff, once per reason and cycle; returns None when it was already queued."""
    exists = session.scalars(
        select(FollowUp).where(FollowUp.service_id == service_id, FollowUp.reason == reason, FollowUp.cycle == cycle)
    ).first()
    if exists is not None and reason != "group-stopped":
        return None
    row = FollowUp(
        service_id=service_id, reason=reason, cycle=cycle, detail=detail, reported_by=reported_by[:255],
        created_at=utcnow(),
    )  # fmt: skip
    session.add(row)
    session.commit()
    return row


# What a link worker can report from a listing; each becomes a follow-up for staff, never a change.
LISTING_REPORTS = ("reported-stopped", "details-wrong")


def report_from_listing(session: DbSession, service_id: int, reason: str, note: Any, *, reported_by: str) -> FollowUp:
    """A link worker says a listing has stopped or is wrong: queued for staff to check; the listing is unchanged."""
    service = session.get(Service, service_id)
    if service is None:
        raise writes.NotFound(f"There is no service {service_id}.")
    if reason not in LISTING_REPORTS:
        raise v.ValidationFailed({"reason": f"{reason!r} is not one of: {', '.join(LISTING_REPORTS)}."})
    detail = v.text(500)(note) or FOLLOW_UP_REASONS[reason]
    # One open report per reason per day is enough for staff to act on.
    follow_up = _follow_up(session, service.id, reason, cycle=utcnow().date().isoformat(), detail=detail,
                           reported_by=reported_by)  # fmt: skip
    if follow_up is None:
        existing = session.scalars(
            select(FollowUp).where(FollowUp.service_id == service_id, FollowUp.reason == reason)
            .order_by(FollowUp.id.desc())
        ).first()  # fmt: skip
        assert existing is not None
        return existing
    return follow_up


def follow_up_evidence(session: DbSession, service_id: int, kind: str, detail: str, *, reported_by: str) -> None:
    """Evidence from an importer that a listing may have closed joins staff's follow-up queue (once a day)."""
    service = session.get(Service, service_id)
    if service is not None and kind in FOLLOW_UP_REASONS:
        _follow_up(session, service.id, kind, cycle=utcnow().date().isoformat(), detail=detail[:2000],
                   reported_by=reported_by)  # fmt: skip


def open_follow_ups(session: DbSession) -> list[FollowUp]:
    return list(session.scalars(select(FollowUp).where(FollowUp.resolved_at.is_(None)).order_by(FollowUp.created_at)))


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
    """Claim the step in the database first (so two runs never send it twice), then send it."""
    row = session.scalars(
        select(Reminder).where(
            Reminder.service_id == service.id, Reminder.kind == kind, Reminder.cycle == cycle,
            Reminder.sequence == sequence,
        )
    ).first()  # fmt: skip
    if row is None:
        row = Reminder(service_id=service.id, kind=kind, cycle=cycle, sequence=sequence, email=address)
        session.add(row)
    row.status, row.sent_at, row.email, row.error = "sending", now, address, ""
    try:
        session.commit()
    except IntegrityError:  # another run claimed it a moment ago
        session.rollback()
        return False
    links = _links(session, service, address, config)
    session.commit()
    if kind == "funding":
        subject = f"Funding for {service.name} ends soon: is it carrying on?"
    else:
        subject = SUBJECTS.get(sequence, SUBJECTS[3]).format(name=service.name)
    try:
        send(
            address, subject, "reminder", unsubscribe_url=links.unsubscribe, service=service, links=links,
            sequence=sequence, last=sequence >= len(reminder_offsets(config)), kind=kind,
            freshness=freshness(service.last_verified_at, config, now),
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
    sent: dict[tuple[str, str], list[_Step]]  # (kind, cycle) -> steps sent, in order
    queued: frozenset[tuple[str, str]]  # (reason, cycle) of follow-ups already queued


def batch_size(config: Mapping[str, Any], given: int | None = None) -> int:
    """Listings per batch: the argument, else DIRECTORY_JOBS_BATCH_SIZE."""
    size = int(given if given is not None else config.get("JOBS_BATCH_SIZE", 500))
    if size < 1:
        raise ValueError(f"A batch needs at least one listing (got {size}).")
    return size


def id_batches(session: DbSession, query: Select[Any], size: int) -> Iterator[list[int]]:
    """Service ids from ``query`` (which selects Service.id), ``size`` at a time, by keyset on the id.

    Each batch is a fresh query after the last id seen, so nothing holds every listing in memory and rows
    committed while a batch is worked do not shift the next batch (as OFFSET would).
    """
    last = 0
    while True:
        ids = list(session.scalars(query.where(Service.id > last).order_by(Service.id).limit(size)))
        if not ids:
            return
        yield ids
        last = ids[-1]


def _live_ids() -> Select[Any]:
    return (
        select(Service.id)
        .join(Organization, Organization.id == Service.organization_id)
        .where(Service.status.in_(LIVE_STATUSES), Organization.archived.is_(False))
    )


def _read_batch(session: DbSession, ids: list[int]) -> list[_Listing]:
    """One batch of listings with their contacts, reminders sent, follow-ups queued and opt-outs: a few queries.

    Plain columns, not whole listings: most days most listings need nothing, and reading them should cost little.
    """
    services = session.execute(
        select(
            Service.id, Service.last_verified_at, Service.created_at, Service.funded_until, Service.email,
            Organization.email.label("organization_email"),
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
        .where(Reminder.service_id.in_(ids), Reminder.status == "sent")
        .order_by(Reminder.service_id, Reminder.sequence)
    ):
        sent[reminder.service_id][(reminder.kind, reminder.cycle)].append(
            _Step(sequence=reminder.sequence, sent_at=reminder.sent_at, email=reminder.email)
        )
    queued: dict[int, set[tuple[str, str]]] = defaultdict(set)
    stopped: set[int] = set()
    for service_id, reason, cycle, resolved_at in session.execute(
        select(FollowUp.service_id, FollowUp.reason, FollowUp.cycle, FollowUp.resolved_at).where(
            FollowUp.service_id.in_(ids), FollowUp.reason.in_(("no-email", "no-reply", "group-stopped"))
        )
    ):
        queued[service_id].add((reason, cycle))
        if reason == "group-stopped" and resolved_at is None:
            stopped.add(service_id)
    addresses = {
        service.id: _first_address(contacts[service.id], service.email, service.organization_email)
        for service in services
    }
    wanted = {_normal(address) for address in addresses.values() if address}
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
                reachable=bool(address) and _normal(address or "") not in opted,
                stopped_reported=service.id in stopped, sent=dict(sent[service.id]),
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
    counts: Counter[str] = Counter()
    for ids in id_batches(session, _live_ids(), batch_size(config, batch)):
        for listing in _read_batch(session, ids):
            _remind(session, listing, config, offsets, now, counts)
        session.commit()
    return dict(counts)


def _remind(
    session: DbSession,
    listing: _Listing,
    config: Mapping[str, Any],
    offsets: list[int],
    now: datetime,
    counts: Counter[str],
) -> None:
    counts["checked"] += 1
    if listing.stopped_reported:
        counts["waiting_for_staff"] += 1
        return
    cycle = listing.cycle
    due = listing.cycle_start + timedelta(days=int(config["FRESH_DAYS"]))
    sent = listing.sent.get(("freshness", cycle), [])
    if len(sent) < len(offsets):
        step_at = due - timedelta(days=offsets[len(sent)])
        if sent:
            step_at = max(step_at, sent[-1].sent_at + MIN_GAP)
        if now >= step_at:
            if not listing.reachable:
                why = "asked not to be emailed" if listing.address else "has no email address"
                if ("no-email", cycle) not in listing.queued and _follow_up(
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
    elif sent and now >= sent[-1].sent_at + timedelta(days=int(config["REMINDER_PHONE_AFTER_DAYS"])):
        detail = f"{len(sent)} reminders to {sent[-1].email} unanswered; the last on {sent[-1].sent_at:%-d %B %Y}."
        if ("no-reply", cycle) not in listing.queued and _follow_up(
            session, listing.id, "no-reply", cycle=cycle, detail=detail
        ):
            counts["queued_for_phone"] += 1
    if listing.funded_until is not None and listing.reachable:
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


def staleness_sweep(
    session: DbSession, config: Mapping[str, Any], *, now: datetime | None = None, batch: int | None = None
) -> dict[str, int]:
    """The staleness job: count listings by freshness and queue those whose funding end date has passed.

    Reads plain columns ``batch`` listings at a time (never whole listings), committing each batch.
    """
    now = now or utcnow()
    counts: Counter[str] = Counter()
    live = select(Service.id).where(Service.status.in_(LIVE_STATUSES))
    for ids in id_batches(session, live, batch_size(config, batch)):
        rows = session.execute(
            select(Service.id, Service.last_verified_at, Service.funded_until, Service.funder)
            .where(Service.id.in_(ids))
            .order_by(Service.id)
        ).all()
        ended_ids = [row.id for row in rows if row.funded_until is not None and row.funded_until < now.date()]
        queued = {
            (service_id, cycle)
            for service_id, cycle in session.execute(
                select(FollowUp.service_id, FollowUp.cycle).where(
                    FollowUp.service_id.in_(ended_ids), FollowUp.reason == "funding-ended"
                )
            )
        }
        for row in rows:
            counts[freshness(row.last_verified_at, config, now).state] += 1
            if row.funded_until is None or row.funded_until >= now.date():
                continue
            ended = row.funded_until
            if (row.id, ended.isoformat()) in queued:
                continue
            detail = f"Funding{' from ' + row.funder if row.funder else ''} ended on {ended:%-d %B %Y}."
            if _follow_up(session, row.id, "funding-ended", cycle=ended.isoformat(), detail=detail):
                counts["funding_ended_queued"] += 1
        session.commit()
    return dict(counts)


def service_for_token(session: DbSession, token: str, kind: str, *, now: datetime | None = None) -> Service:
    """The listing a confirm/stopped link is about, or TokenRefused."""
    row = groups.find_token(session, token, kind, now=now)
    service = session.get(Service, row.service_id) if row.service_id else None
    if service is None or service.organization_id != row.organization_id:
        raise groups.TokenRefused("This link is not recognised. Ask us for a new one.", "unknown")
    return service


def confirm_still_running(session: DbSession, token: str, *, now: datetime | None = None) -> Service:
    """One click: the group says the listing is still running and correct; it counts as verified today."""
    now = now or utcnow()
    row = groups.find_token(session, token, "confirm", now=now)
    service = service_for_token(session, token, "confirm", now=now)
    actor = writes.Actor(label=f"group: {row.email}", source="group", organization_id=service.organization_id)
    row.used_at = now  # committed together with the confirmation below, or not at all
    return operations.confirm_verified(session, service.id, actor=actor, at=now)


def report_stopped(session: DbSession, token: str, note: Any, *, now: datetime | None = None) -> FollowUp:
    """The group says it has stopped: kept as evidence for staff to act on. The listing is not changed."""
    now = now or utcnow()
    row = groups.find_token(session, token, "stopped", now=now)
    service = service_for_token(session, token, "stopped", now=now)
    detail = v.text(2_000)(note) or "The group used the 'we have stopped' link."
    row.used_at = now
    follow_up = _follow_up(session, service.id, "group-stopped", detail=detail, reported_by=f"group: {row.email}")
    assert follow_up is not None
    return follow_up


def unsubscribe(session: DbSession, token: str, *, now: datetime | None = None) -> str:
    """Stop emailing the address this link was sent to; returns it."""
    row: GroupToken = groups.find_token(session, token, "unsubscribe", now=now)
    opt_out(session, row.email)
    return row.email


def resolve_follow_up(
    session: DbSession, follow_up_id: int, resolution: str, *, staff: writes.Actor, note: Any = ""
) -> FollowUp:
    """Staff checked: still running (verified now, by phone), paused or closed. Written through operations."""
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None:
        raise writes.NotFound(f"There is no follow-up {follow_up_id}.")
    if follow_up.resolved_at is not None:
        raise writes.NotPermitted(f"Follow-up {follow_up_id} was already resolved by {follow_up.resolved_by}.")
    if resolution not in RESOLUTIONS:
        raise v.ValidationFailed({"resolution": f"Choose one of: {', '.join(RESOLUTIONS)}."})
    service = follow_up.service
    now = utcnow().replace(microsecond=0)
    changes: dict[str, Any] = {"last_verified_at": now, "verified_by": staff.label, "verified_how": "phone"}
    if resolution == "still-running":
        changes["status"] = "active"
    else:
        changes["status"] = resolution
    operations.update(
        session, "service", service.id, changes, expected_version=service.version, actor=staff,
        action=f"follow-up: {RESOLUTIONS[resolution].lower()}",
    )  # fmt: skip
    follow_up.resolved_at, follow_up.resolved_by, follow_up.resolution = utcnow(), staff.label[:255], resolution
    extra = v.text(2_000)(note)
    if extra:
        follow_up.detail = f"{follow_up.detail}\nStaff: {extra}".strip()
    session.commit()
    return follow_up


def reminder_history(session: DbSession, service_id: int) -> list[Reminder]:
    return list(session.scalars(select(Reminder).where(Reminder.service_id == service_id).order_by(Reminder.id.desc())))


def follow_up_counts(session: DbSession) -> dict[str, int]:
    rows = session.execute(
        select(FollowUp.reason, func.count()).where(FollowUp.resolved_at.is_(None)).group_by(FollowUp.reason)
    ).all()
    return {str(reason): int(count) for reason, count in rows}
