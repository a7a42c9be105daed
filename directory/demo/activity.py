"""The demo's staff work in flight, so every staff screen has something on it: gap flags on the backlog (some
clustered, one item in each workflow state), unmet-need and signposting records, follow-ups of every reason,
group changes held for review, listing requests and claims waiting. All invented and labelled demo.

Everything goes through the owning package's domain functions (the backlog's flag and workflow, verification's
follow-up queue, groups' change, request and claim submissions), so the rows are what real use would leave;
only the dates are moved back to spread the history over the past weeks. The import and job history is in
``demo/history.py``.
"""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from ..accounts.users import hash_password
from ..backlog.flags import record_flag
from ..backlog.workflow import merge, transition
from ..core.db import DbSession
from ..groups import claims, requests
from ..groups.changes import submit_service_changes
from ..groups.links import GroupAccess, issue_token
from ..models import BacklogEvent, DemandEvent, FollowUp, Organization, Postcode, Service, User
from ..models.verification import FOLLOW_UP_REASONS
from ..verification.follow_ups import queue_follow_up
from .content import DEMO_AREAS

#: More invented link workers, so clustered flags come from several people and teams (they cannot sign in).
DEMO_FLAGGERS = (
    ("link.worker.blackpool@demo.invalid", "Blackpool social prescribing team (demo)"),
    ("link.worker.burnley@demo.invalid", "Burnley, Pendle and Rossendale link workers (demo)"),
    ("link.worker.gp@demo.invalid", "GP practice link workers (demo)"),
)

#: (need, authority, flags in the same neighbourhood, the state the item is taken to, what was needed).
FLAG_STORIES: tuple[tuple[str, str, int, str, str], ...] = (
    (
        "carers",
        "E06000009",
        4,
        "new",
        "Carer of a partner with dementia wants an evening carers' group; the local one meets on weekday mornings.",
    ),
    (
        "mental-health",
        "E07000117",
        3,
        "triaged",
        "Young adult with anxiety needs a peer support group nearby; the nearest is two buses away.",
    ),
    (
        "debt-benefits",
        "E07000122",
        3,
        "in-progress",
        "Household behind on energy bills needs face-to-face debt advice; phone advice is not working for them.",
    ),
    (
        "older-people",
        "E07000125",
        2,
        "resolved",
        "Older man living alone wants a lunch club he can walk to; none runs in his part of the valley.",
    ),
    (
        "lgbtq",
        "E07000125",
        1,
        "declined",
        "Asked for an LGBTQ+ social group in the valley; the client would travel to Manchester instead.",
    ),
    (
        "bereavement",
        "E06000009",
        2,
        "new",
        "Widow asks for a bereavement group that meets at weekends; the local ones meet on weekdays only.",
    ),
    (
        "physical-activity",
        "E07000122",
        1,
        "triaged",
        "Wheelchair user wants an inclusive exercise class; the leisure centre sessions are not accessible.",
    ),
    ("food", "E07000117", 2, "new", "Family needs a food pantry open after school hours; the nearest closes at three."),
)
UNMET_NEEDS = ("carers", "mental-health", "debt-benefits", "older-people", "bereavement", "food", "loneliness")


def add_activity(session: DbSession, rng: random.Random, now: datetime) -> dict[str, int]:
    """Add the demo's staff work in flight; returns how many of each were added. Commits as it goes."""
    staff = session.scalars(select(User).where(User.email == "community.development@demo.invalid")).one()
    flaggers = _flaggers(session)
    counts = {"gap flags": _flags(session, rng, now, staff, flaggers)}
    counts["demand records"] = _demand(session, rng, now)
    counts["follow-ups"] = _follow_ups(session, rng, now)
    counts["group changes"] = _group_changes(session, rng, now)
    counts["listing requests"], counts["listing claims"] = _requests_and_claims(session, rng, now)
    session.commit()
    return counts


def _flaggers(session: DbSession) -> list[User]:
    users = []
    for email, team in DEMO_FLAGGERS:
        user = session.scalars(select(User).where(User.email == email)).first()
        if user is None:
            # A random password nobody is told: these accounts only sign the invented flags.
            user = User(email=email, role="link-worker", team=team, password_hash=hash_password(secrets.token_hex(16)))
            session.add(user)
        users.append(user)
    session.flush()
    return users


def _postcodes_by_lsoa(session: DbSession, lad: str) -> dict[str, list[str]]:
    rows = session.execute(
        select(Postcode.lsoa_code, Postcode.pcds).where(Postcode.lad_code == lad, Postcode.lsoa_code.is_not(None))
    ).all()
    grouped: dict[str, list[str]] = {}
    for lsoa, pcds in rows:
        if lsoa:
            grouped.setdefault(lsoa, []).append(pcds)
    return {lsoa: sorted(codes) for lsoa, codes in sorted(grouped.items()) if len(codes) >= 3}


def _flags(session: DbSession, rng: random.Random, now: datetime, staff: User, flaggers: list[User]) -> int:
    """Flags clustered by need and neighbourhood, and each item taken along the workflow to its story's state."""
    added = 0
    items = []
    for number, (need, lad, count, state, words) in enumerate(FLAG_STORIES):
        neighbourhoods = _postcodes_by_lsoa(session, lad)
        lsoa = sorted(neighbourhoods)[(number * 7 + rng.randrange(5)) % len(neighbourhoods)]
        item = None
        for index in range(count):
            values = {"category": need, "postcode": rng.choice(neighbourhoods[lsoa]), "description": words,
                      "urgency": rng.choice(("low", "medium", "medium", "high")), "raised_from": "search",
                      "population_group": "older-people" if need == "older-people" else "everyone"}  # fmt: skip
            saved = record_flag(session, values, flaggers[(number + index) % len(flaggers)])
            saved.flag.flagged_at = now - timedelta(days=3 + number * 4 + index * 2, hours=rng.randrange(9))
            item = saved.item
            added += 1
        assert item is not None
        item.created_at = now - timedelta(days=3 + number * 4 + count * 2)
        _take_to(session, item.id, state, need, lad, staff)
        items.append(item)
    # Two flags for the same need a street apart became two items; staff merged them (a merged item).
    extra = record_flag(session, {"category": "carers", "postcode": _another_postcode(session, items[0]),
                                  "description": FLAG_STORIES[0][4], "raised_from": "map"}, flaggers[0])  # fmt: skip
    if extra.item.id != items[0].id:
        merge(session, items[0].id, [extra.item.id], staff)
    added += 1
    for event in session.scalars(select(BacklogEvent)):
        event.created_at = max(event.created_at - timedelta(days=2), now - timedelta(days=40))
    session.commit()
    return added


def _another_postcode(session: DbSession, item: Any) -> str:
    """A postcode in another neighbourhood of the same authority as the item's first flag."""
    lad = item.flags[0].lad_code
    lsoa = item.flags[0].lsoa_code
    others = [codes for code, codes in _postcodes_by_lsoa(session, lad).items() if code != lsoa]
    return others[0][0]


def _take_to(session: DbSession, item_id: int, state: str, need: str, lad: str, staff: User) -> None:
    path = {"new": [], "triaged": ["triaged"], "in-progress": ["triaged", "in-progress"],
            "resolved": ["triaged", "in-progress", "resolved"], "declined": ["triaged", "declined"]}[state]  # fmt: skip
    for step in path:
        extra: dict[str, Any] = {}
        if step == "in-progress":
            extra["assignee_id"] = staff.id
        if step == "resolved":
            extra["service_id"] = _service_for(session, need, lad)
        if step == "declined":
            extra["reason"] = "One client, who prefers a group in Manchester: no local need shown yet (demo)."
        transition(session, item_id, step, staff, **extra)


def _service_for(session: DbSession, need: str, lad: str) -> int:
    services = session.scalars(select(Service).where(Service.status == "active").order_by(Service.id))
    for service in services:
        places = [loc.lad_code for loc in service.locations]
        if lad in places and need in [term.code for term in service.categories]:
            return service.id
    return session.scalars(select(Service.id).where(Service.status == "active").order_by(Service.id)).first() or 0


def _demand(session: DbSession, rng: random.Random, now: datetime) -> int:
    """Searches that found nothing (unmet need) and services signposted, counted by neighbourhood as search does."""
    lsoas = {lad: sorted(_postcodes_by_lsoa(session, lad)) for lad in DEMO_AREAS}
    added = 0
    for lad, codes in lsoas.items():
        for _ in range(30):
            kind = rng.choices(("unmet-need", "signposting"), (1, 2))[0]
            session.add(DemandEvent(kind=kind, category_code=rng.choice(UNMET_NEEDS), lsoa_code=rng.choice(codes),
                                    occurred_on=(now - timedelta(days=rng.randrange(1, 120))).date(),
                                    team=f"{DEMO_AREAS[lad][0]} link workers (demo)"))  # fmt: skip
            added += 1
    session.flush()
    return added


def _follow_ups(session: DbSession, rng: random.Random, now: datetime) -> int:
    """One open follow-up of every reason, each on a different live listing, queued over the past weeks."""
    live = list(session.scalars(select(Service).where(Service.status == "active").order_by(Service.id)))
    chosen = rng.sample(live, k=len(FOLLOW_UP_REASONS))
    added = 0
    for days, (service, (reason, words)) in enumerate(zip(chosen, FOLLOW_UP_REASONS.items(), strict=True)):
        detail = f"{words} (demo)."
        row = queue_follow_up(session, service.id, reason, cycle="demo", detail=detail,
                              reported_by="demo generator")  # fmt: skip
        if row is not None:
            row.created_at = now - timedelta(days=2 + days * 3)
            added += 1
    session.flush()
    return added


def _group_changes(session: DbSession, rng: random.Random, now: datetime) -> int:
    """Groups editing their own listings by edit link, with details and contacts held for staff review."""
    live = list(session.scalars(select(Service).where(Service.status == "active").order_by(Service.id)))
    config = {"GROUP_REVIEW_FIELDS": "details,contact"}
    held = 0
    for service in rng.sample(live, k=3):
        email = f"organiser{service.organization_id}@demo-groups.example.org"
        _token, row = issue_token(session, kind="edit", organization_id=service.organization_id, email=email,
                                  days=14, created_by="demo generator")  # fmt: skip
        access = GroupAccess(token_id=row.id, organization_id=service.organization_id, email=email, since=now)
        values = {"description": f"{service.description} Now also on the first Saturday of the month.",
                  "phone": "01253 000 123" if service.phone != "01253 000 123" else "01253 000 124"}  # fmt: skip
        submitted = submit_service_changes(session, access, service.id, values, expected_version=service.version,
                                           config=config)  # fmt: skip
        held += submitted.pending_id is not None
    session.commit()
    return held


def _requests_and_claims(session: DbSession, rng: random.Random, now: datetime) -> tuple[int, int]:
    """New groups asking to be listed, and groups asking to manage the listing staff made for them."""
    towns = [(lad, towns[0]) for lad, (_name, towns) in DEMO_AREAS.items()]
    made = 0
    for number, (lad, town) in enumerate(towns[:3]):
        postcode = session.scalars(
            select(Postcode.pcds).where(Postcode.lad_code == lad).order_by(Postcode.pcds)
        ).first()
        request = requests.submit(session, {
            "organization_name": f"{town} Knit and Natter (demo)", "contact_name": "Demo organiser",
            "email": f"knit{number}@demo-groups.example.org", "service_name": f"{town} Knit and Natter",
            "description": "A friendly weekly knitting and chat group; all welcome, wool provided (invented).",
            "categories": ["arts-crafts", "loneliness"], "address": "Community hall", "postcode": postcode or "",
            "when": "Thursdays 1pm to 3pm"})  # fmt: skip
        session.flush()
        request.created_at = now - timedelta(days=1 + number * 3)
        made += 1
    organisations = list(session.scalars(select(Organization).order_by(Organization.id)))
    claimed = 0
    for number, organisation in enumerate(rng.sample(organisations, k=2)):
        claim = claims.submit(session, organisation.id, {
            "contact_name": "Demo volunteer", "email": f"claim{number}@demo-groups.example.org",
            "role": "Volunteer coordinator",
            "message": "We run this group and would like to keep its listing up to date (demo)."})  # fmt: skip
        session.flush()
        claim.created_at = now - timedelta(days=2 + number * 5)
        claimed += 1
    session.flush()
    return made, claimed


def open_follow_up_reasons(session: DbSession) -> set[str]:
    """The reasons of the open follow-ups (for the demo's report and tests)."""
    return set(session.scalars(select(FollowUp.reason).where(FollowUp.resolved_at.is_(None))))
