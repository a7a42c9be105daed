"""Gap flags and the community-development backlog: the domain functions (issue 5).

A link worker flags a gap ("couldn't find X for a client near Y"). The client's postcode (or a
point on the map) is turned into an LSOA, and the LSOA into its MSOA through the ``lsoa_msoa``
lookup; the postcode and the point are then discarded. A flag joins the oldest open backlog item
of the same category that already has a flag in the same MSOA (or, when the MSOA is unknown, the
same LSOA); otherwise it opens a new item. Community development workers then triage, assign,
resolve (linking the service that now meets the need) or decline (with a reason), merge and split
items, and comment. Every change is a ``BacklogEvent``; nothing is deleted.

Functions take a session and plain values (and the acting ``User``) and are the only code that
commits backlog changes. Refusals are exceptions whose message a person can act on.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..accounts.roles import require_role
from ..core.clock import utcnow
from ..core.db import DbSession
from ..core.validation import ValidationFailed
from ..models import Location, Postcode, Service, TaxonomyTerm, User, service_at_location
from ..models import gaps as models_gaps
from ..models.backlog import (
    OPEN_STATUSES,
    POPULATION_GROUPS,
    STATUSES,
    URGENCIES,
    BacklogEvent,
    BacklogItem,
    GapFlag,
    LsoaMsoa,
)
from ..search.engine import SearchError, haversine_km, locate
from .pii import Finding, describe, find_personal_data

CAN_FLAG = ("admin", "link-worker", "community-development")
CAN_MANAGE = ("admin", "community-development")
DESCRIPTION_MAX = 500
COMMENT_MAX = 2000

# Which status may follow which. Resolved and declined items may be reopened (to triaged);
# "merged" is terminal: the item lives on inside the one it was merged into.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("triaged", "declined"),
    "triaged": ("in-progress", "declined"),
    "in-progress": ("resolved", "declined", "triaged"),
    "resolved": ("triaged",),
    "declined": ("triaged",),
    "merged": (),
}
SORTS = {
    "activity": "Latest flag first",
    "flags": "Most flags",
    "workers": "Most workers",
    "urgency": "Most urgent",
    "oldest": "Oldest first",
    "gap-score": "Gap score of the area",
    "deprivation": "Most deprived area",
}
_URGENCY_RANK = {key: rank for rank, key in enumerate(URGENCIES)}


class BacklogRefused(ValueError):
    """An action the backlog does not allow (an illegal transition, a bad merge); the message says why."""


class StaleItem(Exception):
    """Someone else changed the item after this page was opened."""


class FlagRefused(ValidationFailed):
    """A flag (or comment) that was not saved: bad fields, and/or personal data not yet confirmed."""

    def __init__(self, errors: dict[str, str], findings: list[Finding] | None = None):
        self.findings = findings or []
        super().__init__(errors)


@dataclass(frozen=True)
class Area:
    lsoa_code: str
    msoa_code: str | None
    lad_code: str | None

    @property
    def key(self) -> str:
        return self.msoa_code or self.lsoa_code


@dataclass
class FlagSaved:
    flag: GapFlag
    item: BacklogItem
    joined: bool


def _event(session: DbSession, item: BacklogItem, user: User | None, kind: str, **values: Any) -> BacklogEvent:
    event = BacklogEvent(item_id=item.id, kind=kind, actor=user.email if user is not None else "system", **values)
    session.add(event)
    return event


# --- areas -----------------------------------------------------------------------------------------


def msoa_for(session: DbSession, lsoa_code: str) -> str | None:
    found = session.get(LsoaMsoa, lsoa_code)
    return found.msoa_code if found is not None else None


def area_from_postcode(session: DbSession, postcode: str) -> Area:
    """The LSOA (and MSOA) a full postcode lies in; the postcode itself is not kept."""
    try:
        origin = locate(session, postcode)
    except SearchError as exc:
        raise ValidationFailed({"postcode": str(exc)}) from None
    if origin.outward_only or not origin.lsoa_code:
        raise ValidationFailed(
            {"postcode": f"{origin.postcode} is a postcode district: give the full postcode, so the flag can be "
                         "kept by neighbourhood (LSOA). The postcode itself is not stored."}
        )  # fmt: skip
    return Area(origin.lsoa_code, msoa_for(session, origin.lsoa_code), origin.lad_code)


def area_from_point(session: DbSession, latitude: float, longitude: float, *, max_km: float) -> Area:
    """The LSOA of the nearest known postcode to a map point, if one is within ``max_km``."""
    if not (49.0 <= latitude <= 61.0 and -9.0 <= longitude <= 2.5):
        raise ValidationFailed({"point": "That point is not in England."})
    dlat = max_km / 111.0
    dlon = max_km / 60.0  # generous: a degree of longitude is at least 60 km anywhere in England
    near = session.execute(
        select(Postcode.latitude, Postcode.longitude, Postcode.lsoa_code, Postcode.lad_code).where(
            Postcode.latitude.between(latitude - dlat, latitude + dlat),
            Postcode.longitude.between(longitude - dlon, longitude + dlon),
            Postcode.lsoa_code.is_not(None),
        )
    ).all()
    best = min(near, key=lambda r: haversine_km(latitude, longitude, r[0], r[1]), default=None)
    if best is None or haversine_km(latitude, longitude, best[0], best[1]) > max_km:
        raise ValidationFailed(
            {"point": f"No postcode in this directory's postcode table is within {max_km:g} km of that point."}
        )
    lsoa = str(best[2])
    return Area(lsoa, msoa_for(session, lsoa), best[3])


# --- flags -----------------------------------------------------------------------------------------


def check_text(text: str, *, confirmed: bool, field_name: str) -> tuple[dict[str, str], list[Finding]]:
    """Run the personal-data guard; an unconfirmed finding is an error on ``field_name``."""
    findings = find_personal_data(text)
    if findings and not confirmed:
        return {field_name: describe(findings) + " Remove it, or tick the box to confirm it is not about a person."}, (
            findings
        )
    return {}, findings


def record_flag(session: DbSession, values: Mapping[str, Any], user: User, *, point_max_km: float = 1.0) -> FlagSaved:
    """Save a gap flag and put it on the backlog (an open item nearby, or a new one).

    ``values``: category, postcode (or latitude and longitude), population_group, description,
    urgency, raised_from, service_id, confirm_pii. Bad input raises FlagRefused naming every field
    (and listing what the guard found); nothing is written then.
    """
    require_role(user, CAN_FLAG, "flag a gap")
    errors: dict[str, str] = {}
    category = str(values.get("category", "") or "").strip()
    term = session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.code == category)).first() if category else None
    if term is None:
        errors["category"] = "Choose the need (category) nobody could meet." if not category else (
            f"{category!r} is not a category of need."
        )  # fmt: skip
    group = str(values.get("population_group", "") or "everyone")
    if group not in POPULATION_GROUPS:
        errors["population_group"] = "Choose a population group from the list."
    urgency = str(values.get("urgency", "") or "medium")
    if urgency not in URGENCIES:
        errors["urgency"] = f"Urgency must be one of: {', '.join(URGENCIES)}."
    description = " ".join(str(values.get("description", "") or "").split())
    if not description:
        errors["description"] = "Say in a sentence what was needed and could not be found."
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = f"Keep the description to {DESCRIPTION_MAX} characters (it has {len(description)})."
    confirmed = str(values.get("confirm_pii", "")).lower() in {"1", "yes", "on", "true"}
    guard_errors, findings = check_text(description, confirmed=confirmed, field_name="description")
    errors.update({k: v for k, v in guard_errors.items() if k not in errors})
    area: Area | None = None
    postcode = str(values.get("postcode", "") or "").strip()
    latitude, longitude = values.get("latitude"), values.get("longitude")
    try:
        if postcode:
            area = area_from_postcode(session, postcode)
        elif latitude not in (None, "") and longitude not in (None, ""):
            try:
                lat, lon = float(str(latitude)), float(str(longitude))
            except ValueError:
                raise ValidationFailed({"point": "The map point is not a latitude and longitude."}) from None
            area = area_from_point(session, lat, lon, max_km=point_max_km)
        else:
            errors["postcode"] = "Give the client's postcode (it is turned into a neighbourhood and not stored)."
    except ValidationFailed as exc:
        errors.update(exc.errors)
    raised_from = str(values.get("raised_from", "") or "form")
    if raised_from not in ("search", "listing", "map", "form"):
        raised_from = "form"
    service_id = _int_or_none(values.get("service_id"))
    if service_id is not None and session.get(Service, service_id) is None:
        service_id = None
    if errors:
        raise FlagRefused(errors, findings)
    assert area is not None and term is not None
    flag = GapFlag(
        category_code=term.code,
        lsoa_code=area.lsoa_code,
        msoa_code=area.msoa_code,
        lad_code=area.lad_code,
        population_group=group,
        description=description,
        urgency=urgency,
        raised_from=raised_from,
        service_id=service_id,
        flagged_by_id=user.id,
        team=(user.team or "")[:255],
        pii_confirmed=bool(findings),
    )
    item = open_item_for(session, term.code, area)
    joined = item is not None
    if item is None:
        item = BacklogItem(category_code=term.code, area_code=area.key, status="new")
        session.add(item)
        session.flush()
        _event(session, item, user, "created", to_status="new")
    flag.item_id = item.id
    session.add(flag)
    session.flush()
    _event(session, item, user, "flag-joined", flag_id=flag.id, body=f"Flag {flag.id} ({URGENCIES[urgency].lower()})")
    session.commit()
    return FlagSaved(flag, item, joined)


def open_item_for(session: DbSession, category_code: str, area: Area) -> BacklogItem | None:
    """The oldest open item of this category with a flag in the same MSOA (or LSOA, if no MSOA)."""
    near = [GapFlag.lsoa_code == area.lsoa_code]
    if area.msoa_code:
        near.append(GapFlag.msoa_code == area.msoa_code)
    return session.scalars(
        select(BacklogItem)
        .where(
            BacklogItem.category_code == category_code,
            BacklogItem.status.in_(OPEN_STATUSES),
            BacklogItem.id.in_(select(GapFlag.item_id).where(or_(*near))),
        )
        .order_by(BacklogItem.id)
        .limit(1)
    ).first()


def _int_or_none(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


# --- workflow --------------------------------------------------------------------------------------


def get_item(session: DbSession, item_id: int) -> BacklogItem:
    item = session.get(BacklogItem, item_id)
    if item is None:
        raise LookupError(f"There is no backlog item {item_id}.")
    return item


def _check_version(item: BacklogItem, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != item.version:
        raise StaleItem(
            f"Backlog item {item.id} was changed by someone else after you opened it. "
            "Nothing was saved: reload the page to see the change, then try again."
        )


def transition(
    session: DbSession,
    item_id: int,
    to_status: str,
    user: User,
    *,
    assignee_id: int | None = None,
    service_id: int | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> BacklogItem:
    """Move an item along new → triaged → in progress → resolved / declined; illegal moves are refused."""
    require_role(user, CAN_MANAGE, "move backlog items")
    item = get_item(session, item_id)
    _check_version(item, expected_version)
    if to_status not in STATUSES or to_status == "merged":
        raise BacklogRefused(f"{to_status!r} is not a status an item can be moved to (use merge to merge items).")
    allowed = TRANSITIONS[item.status]
    if to_status not in allowed:
        options = ", ".join(STATUSES[s].lower() for s in allowed) or "nothing (it is final)"
        raise BacklogRefused(
            f"Item {item.id} is {STATUSES[item.status].lower()}: it cannot move to "
            f"{STATUSES[to_status].lower()}. From here it can move to: {options}."
        )
    reason = " ".join((reason or "").split())
    if to_status == "in-progress":
        assignee_id = assignee_id or item.assignee_id
        if assignee_id is None:
            raise BacklogRefused("Choose who is working on it: an item in progress needs an assignee.")
        _set_assignee(session, item, user, assignee_id)
    if to_status == "resolved":
        service = session.get(Service, service_id) if service_id is not None else None
        if service is None:
            raise BacklogRefused("Choose the service that now meets this need: a resolved item links to it.")
        item.resolved_service_id = service.id
    if to_status == "declined":
        if not reason:
            raise BacklogRefused("Give a reason for declining: it is kept in the item's history.")
        item.decline_reason = reason[:COMMENT_MAX]
    before = item.status
    item.status = to_status
    item.updated_at = utcnow()
    body = reason if to_status == "declined" else ""
    if to_status == "resolved" and item.resolved_service is not None:
        body = f"Met by service {item.resolved_service_id}: {item.resolved_service.name}"
    _event(session, item, user, "status", from_status=before, to_status=to_status, body=body)
    session.commit()
    return item


def _set_assignee(session: DbSession, item: BacklogItem, user: User, assignee_id: int) -> None:
    assignee = session.get(User, assignee_id)
    if assignee is None or not assignee.active or assignee.role not in CAN_MANAGE:
        raise BacklogRefused("The assignee must be an active community development worker or administrator.")
    if item.assignee_id != assignee.id:
        item.assignee_id = assignee.id
        _event(session, item, user, "assigned", body=assignee.email)


def assign(
    session: DbSession, item_id: int, user: User, assignee_id: int, *, expected_version: int | None = None
) -> BacklogItem:
    """Give an open item to a community development worker."""
    require_role(user, CAN_MANAGE, "assign backlog items")
    item = get_item(session, item_id)
    _check_version(item, expected_version)
    if item.status not in OPEN_STATUSES:
        raise BacklogRefused(f"Item {item.id} is {STATUSES[item.status].lower()}: only open items can be assigned.")
    _set_assignee(session, item, user, assignee_id)
    item.updated_at = utcnow()
    session.commit()
    return item


def add_comment(session: DbSession, item_id: int, user: User, body: str, *, confirm_pii: bool = False) -> BacklogEvent:
    """A comment on an item, checked for personal data like a flag's description."""
    require_role(user, CAN_FLAG, "comment on backlog items")
    item = get_item(session, item_id)
    text = (body or "").strip()
    if not text:
        raise FlagRefused({"comment": "Write a comment first."})
    if len(text) > COMMENT_MAX:
        raise FlagRefused({"comment": f"Keep a comment to {COMMENT_MAX} characters (it has {len(text)})."})
    errors, findings = check_text(text, confirmed=confirm_pii, field_name="comment")
    if errors:
        raise FlagRefused(errors, findings)
    event = _event(session, item, user, "comment", body=text)
    session.commit()
    return event


def merge(session: DbSession, target_id: int, source_ids: Iterable[int], user: User) -> BacklogItem:
    """Move every flag of the source items into the target; the sources are kept, marked merged."""
    require_role(user, CAN_MANAGE, "merge backlog items")
    target = get_item(session, target_id)
    sources = [get_item(session, i) for i in dict.fromkeys(source_ids) if i != target_id]
    if not sources:
        raise BacklogRefused("Choose at least one other item to merge into this one.")
    if target.status not in OPEN_STATUSES:
        raise BacklogRefused(f"Item {target.id} is {STATUSES[target.status].lower()}: merge into an open item.")
    for source in sources:
        if source.category_code != target.category_code:
            raise BacklogRefused(
                f"Item {source.id} is about {source.category_code}, item {target.id} about {target.category_code}: "
                "only items of the same need can be merged."
            )
        if source.status not in OPEN_STATUSES:
            raise BacklogRefused(f"Item {source.id} is {STATUSES[source.status].lower()}: only open items merge.")
    for source in sources:
        moved = [flag.id for flag in source.flags]
        session.execute(update(GapFlag).where(GapFlag.item_id == source.id).values(item_id=target.id))
        before = source.status
        source.status = "merged"
        source.merged_into_id = target.id
        source.updated_at = utcnow()
        _event(session, source, user, "merged", from_status=before, to_status="merged", other_item_id=target.id,
               body=f"Merged into item {target.id} with flags {', '.join(map(str, moved))}")  # fmt: skip
        _event(session, target, user, "merged", other_item_id=source.id,
               body=f"Item {source.id} merged in: flags {', '.join(map(str, moved))}")  # fmt: skip
    target.updated_at = utcnow()
    session.commit()
    session.expire_all()
    return target


def split(session: DbSession, item_id: int, flag_ids: Iterable[int], user: User) -> BacklogItem:
    """Move the chosen flags out of an item into a new item (status new); both keep the history."""
    require_role(user, CAN_MANAGE, "split backlog items")
    item = get_item(session, item_id)
    chosen = set(flag_ids)
    if item.status not in OPEN_STATUSES:
        raise BacklogRefused(f"Item {item.id} is {STATUSES[item.status].lower()}: only open items can be split.")
    moving = [flag for flag in item.flags if flag.id in chosen]
    if not moving or len(chosen) != len(moving):
        raise BacklogRefused(f"Choose flags that belong to item {item.id} to move to the new item.")
    if len(moving) == len(item.flags):
        raise BacklogRefused("Leave at least one flag in this item: splitting every flag out would empty it.")
    new = BacklogItem(category_code=item.category_code, area_code=moving[0].area_code, status="new")
    session.add(new)
    session.flush()
    for flag in moving:
        flag.item_id = new.id
    listed = ", ".join(str(flag.id) for flag in moving)
    _event(session, new, user, "created", to_status="new", other_item_id=item.id,
           body=f"Split from item {item.id} with flags {listed}")  # fmt: skip
    _event(session, item, user, "split", other_item_id=new.id, body=f"Flags {listed} moved to new item {new.id}")
    item.updated_at = utcnow()
    session.commit()
    session.expire_all()
    return new


# --- reading ---------------------------------------------------------------------------------------


@dataclass
class AreaContext:
    """Deprivation and gap score from the gap-mapping work, when it has been loaded; else None."""

    imd_decile: int | None = None
    gap_score: float | None = None


@dataclass
class ItemView:
    item: BacklogItem
    category_name: str
    flags: int
    workers: int
    teams: list[str]
    first_flagged: datetime | None
    last_flagged: datetime | None
    urgency: str
    lsoas: list[str]
    msoas: list[str]
    lads: list[str]
    groups: list[str]
    context: AreaContext = field(default_factory=AreaContext)

    @property
    def period_days(self) -> int:
        if self.first_flagged is None or self.last_flagged is None:
            return 0
        return (self.last_flagged.date() - self.first_flagged.date()).days + 1


def area_context(session: DbSession, lsoa_codes: list[str], category_code: str) -> AreaContext:
    """The most deprived decile and highest gap score among these LSOAs, if the gap data exists.

    The gap-mapping feature owns those tables; the backlog shows them when present and works without.
    """
    context = AreaContext()
    if not lsoa_codes:
        return context
    deprivation = getattr(models_gaps, "Deprivation", None)
    score, run = getattr(models_gaps, "GapScore", None), getattr(models_gaps, "GapRun", None)
    try:
        if deprivation is not None:
            context.imd_decile = session.scalar(
                select(func.min(deprivation.imd_decile)).where(deprivation.lsoa_code.in_(lsoa_codes))
            )
        if score is not None and run is not None:
            latest = session.scalar(select(func.max(run.id)))
            if latest is not None:
                context.gap_score = session.scalar(
                    select(func.max(score.score)).where(
                        score.run_id == latest, score.lsoa_code.in_(lsoa_codes), score.category_code == category_code
                    )
                )
    except (SQLAlchemyError, AttributeError):
        return AreaContext()
    return context


def view(session: DbSession, item: BacklogItem, names: Mapping[str, str] | None = None) -> ItemView:
    flags = item.flags
    names = names if names is not None else _category_names(session)
    return ItemView(
        item=item,
        category_name=names.get(item.category_code, item.category_code),
        flags=len(flags),
        workers=len({f.flagged_by_id for f in flags}),
        teams=sorted({f.team for f in flags if f.team}),
        first_flagged=min((f.flagged_at for f in flags), default=None),
        last_flagged=max((f.flagged_at for f in flags), default=None),
        urgency=max((f.urgency for f in flags), key=_URGENCY_RANK.__getitem__, default="low"),
        lsoas=sorted({f.lsoa_code for f in flags}),
        msoas=sorted({f.msoa_code for f in flags if f.msoa_code}),
        lads=sorted({f.lad_code for f in flags if f.lad_code}),
        groups=sorted({f.population_group for f in flags}),
        context=area_context(session, sorted({f.lsoa_code for f in flags}), item.category_code),
    )


def _category_names(session: DbSession) -> dict[str, str]:
    return {row.code: row.name for row in session.execute(select(TaxonomyTerm.code, TaxonomyTerm.name))}


@dataclass(frozen=True)
class Filters:
    category: str = ""
    area: str = ""  # a local authority, MSOA or LSOA code
    status: str = ""  # a status, "open" (the default on the board: new, triaged, in progress) or "all"
    assignee: str = ""  # a user id, or "none"
    sort: str = "activity"

    @classmethod
    def from_args(cls, args: Mapping[str, Any], *, default_status: str = "open") -> Filters:
        sort = str(args.get("sort", "") or "activity")
        status = str(args.get("status", "") or default_status)
        return cls(
            category=str(args.get("category", "") or "")[:64],
            area=str(args.get("area", "") or "").strip().upper()[:16],
            status=status if status in (*STATUSES, "open", "all") else default_status,
            assignee=str(args.get("assignee", "") or "")[:16],
            sort=sort if sort in SORTS else "activity",
        )


def list_items(session: DbSession, filters: Filters) -> list[ItemView]:
    """Items matching the filters, sorted; merged items only when asked for by status."""
    statement = select(BacklogItem)
    if filters.status == "open":
        statement = statement.where(BacklogItem.status.in_(OPEN_STATUSES))
    elif filters.status == "all":
        statement = statement.where(BacklogItem.status != "merged")
    else:
        statement = statement.where(BacklogItem.status == filters.status)
    if filters.category:
        statement = statement.where(BacklogItem.category_code == filters.category)
    if filters.assignee == "none":
        statement = statement.where(BacklogItem.assignee_id.is_(None))
    elif filters.assignee.isdigit():
        statement = statement.where(BacklogItem.assignee_id == int(filters.assignee))
    if filters.area:
        code = filters.area
        statement = statement.where(
            or_(
                BacklogItem.area_code == code,
                BacklogItem.id.in_(
                    select(GapFlag.item_id).where(
                        or_(GapFlag.lad_code == code, GapFlag.msoa_code == code, GapFlag.lsoa_code == code)
                    )
                ),
            )
        )
    names = _category_names(session)
    views = [view(session, item, names) for item in session.scalars(statement.order_by(BacklogItem.id))]
    return sorted(views, key=_sort_key(filters.sort))


def _sort_key(sort: str) -> Callable[[ItemView], Any]:
    never = datetime.min
    if sort == "flags":
        return lambda v: (-v.flags, -v.workers, v.item.id)
    if sort == "workers":
        return lambda v: (-v.workers, -v.flags, v.item.id)
    if sort == "urgency":
        return lambda v: (-_URGENCY_RANK[v.urgency], -v.flags, v.item.id)
    if sort == "oldest":
        return lambda v: (v.first_flagged or never, v.item.id)
    if sort == "gap-score":
        return lambda v: (v.context.gap_score is None, -(v.context.gap_score or 0.0), -v.flags, v.item.id)
    if sort == "deprivation":
        return lambda v: (v.context.imd_decile is None, v.context.imd_decile or 0, -v.flags, v.item.id)
    return lambda v: (-(v.last_flagged or never).timestamp() if v.last_flagged else 0.0, v.item.id)


def history(session: DbSession, item_id: int) -> list[BacklogEvent]:
    return list(session.scalars(select(BacklogEvent).where(BacklogEvent.item_id == item_id).order_by(BacklogEvent.id)))


@dataclass
class Nearby:
    service: Service
    distance_km: float


def centre_of(session: DbSession, lsoa_codes: list[str]) -> tuple[float, float] | None:
    """The mean of the postcode points in these LSOAs: a stand-in for their centre, WGS84 degrees."""
    if not lsoa_codes:
        return None
    row = session.execute(
        select(func.avg(Postcode.latitude), func.avg(Postcode.longitude)).where(Postcode.lsoa_code.in_(lsoa_codes))
    ).one()
    return (float(row[0]), float(row[1])) if row[0] is not None else None


def nearest_provision(
    session: DbSession, item: BacklogItem, lsoa_codes: list[str], *, limit: int = 3, radius_km: float = 25.0
) -> list[Nearby]:
    """The nearest live services of the item's category to the centre of its areas."""
    centre = centre_of(session, lsoa_codes)
    if centre is None:
        return []
    lat, lon = centre
    dlat, dlon = radius_km / 111.0, radius_km / 60.0
    rows = session.execute(
        select(Service, Location.latitude, Location.longitude)
        .join(service_at_location, service_at_location.c.service_id == Service.id)
        .join(Location, Location.id == service_at_location.c.location_id)
        .where(
            Service.status.in_(("active", "paused")),
            Service.categories.any(TaxonomyTerm.code == item.category_code),
            Location.latitude.between(lat - dlat, lat + dlat),
            Location.longitude.between(lon - dlon, lon + dlon),
        )
    ).all()
    best: dict[int, Nearby] = {}
    for service, s_lat, s_lon in rows:
        if s_lat is None or s_lon is None:
            continue
        distance = haversine_km(lat, lon, s_lat, s_lon)
        if distance <= radius_km and (service.id not in best or distance < best[service.id].distance_km):
            best[service.id] = Nearby(service, distance)
    return sorted(best.values(), key=lambda n: (n.distance_km, n.service.name))[:limit]


# --- export ----------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "item", "category", "status", "area", "local_authorities", "msoas", "lsoas", "flags", "workers", "teams",
    "first_flagged", "last_flagged", "urgency", "population_groups", "assignee", "resolved_service",
    "decline_reason", "imd_decile", "gap_score", "descriptions",
)  # fmt: skip


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: text starting = + - @ (or tab / CR) gets a leading '."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(views: list[ItemView]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for v in views:
        item = v.item
        row = [
            item.id, v.category_name, STATUSES[item.status], item.area_code, " ".join(v.lads), " ".join(v.msoas),
            " ".join(v.lsoas), v.flags, v.workers, "; ".join(v.teams),
            v.first_flagged.date().isoformat() if v.first_flagged else "",
            v.last_flagged.date().isoformat() if v.last_flagged else "",
            v.urgency, "; ".join(POPULATION_GROUPS[g] for g in v.groups),
            item.assignee.email if item.assignee else "",
            item.resolved_service.name if item.resolved_service else "", item.decline_reason,
            "" if v.context.imd_decile is None else v.context.imd_decile,
            "" if v.context.gap_score is None else f"{v.context.gap_score:.3f}",
            " | ".join(f.description for f in item.flags),
        ]  # fmt: skip
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


# --- the LSOA -> MSOA lookup -----------------------------------------------------------------------

_LSOA_COLUMNS = {"2011": ("lsoa11cd", "lsoa11"), "2021": ("lsoa21cd", "lsoa21")}
_MSOA_COLUMNS = {"2011": ("msoa11cd", "msoa11"), "2021": ("msoa21cd", "msoa21")}


@dataclass
class MsoaImport:
    path: str
    edition: str
    rows: int = 0
    pairs: int = 0
    added: int = 0
    updated: int = 0
    flags_placed: int = 0

    def __str__(self) -> str:
        return (
            f"Read {self.rows:,} rows of {self.path} (LSOA/MSOA {self.edition}): {self.pairs:,} LSOAs, "
            f"{self.added:,} added, {self.updated:,} updated; {self.flags_placed:,} gap flags given their MSOA."
        )


def _columns(header: list[str], edition: str | None, path: Path) -> tuple[str, str, str]:
    lowered = {h.strip().lower().lstrip("\ufeff"): h for h in header}
    for year in (edition,) if edition else ("2021", "2011"):
        assert year is not None
        lsoa = next((lowered[c] for c in _LSOA_COLUMNS[year] if c in lowered), None)
        msoa = next((lowered[c] for c in _MSOA_COLUMNS[year] if c in lowered), None)
        if lsoa and msoa:
            return lsoa, msoa, year
    wanted = " or ".join(
        f"{_LSOA_COLUMNS[y][0]} + {_MSOA_COLUMNS[y][0]}" for y in ((edition,) if edition else _LSOA_COLUMNS)
    )
    raise ValueError(
        f"{path.name} has no LSOA and MSOA columns ({wanted}, or ONSPD's lsoa11/msoa11): use the ONS Postcode "
        "Directory, the NSPL, or the ONS postcode/OA to LSOA to MSOA lookup."
    )


def load_msoa_lookup(
    session: DbSession,
    path: str | Path,
    *,
    edition: str | None = None,
    progress: Callable[[int], Any] = lambda _n: None,
) -> MsoaImport:
    """Fill ``lsoa_msoa`` from an official file (CSV, optionally gzipped); all or nothing.

    Then gives every gap flag without an MSOA its MSOA, so later flags cluster with it.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"There is no file at {path}.")
    header = list(pd.read_csv(path, nrows=0, dtype=str, encoding="utf-8-sig").columns)
    lsoa_col, msoa_col, year = _columns(header, edition, path)
    report = MsoaImport(path=str(path), edition=year)
    pairs: dict[str, str] = {}
    for chunk in pd.read_csv(path, usecols=[lsoa_col, msoa_col], dtype=str, chunksize=200_000, encoding="utf-8-sig"):
        report.rows += len(chunk)
        chunk = chunk.dropna()
        for lsoa, msoa in chunk.drop_duplicates(lsoa_col).itertuples(index=False):
            lsoa, msoa = str(lsoa).strip(), str(msoa).strip()
            if lsoa.startswith(("E01", "W01")) and msoa.startswith(("E02", "W02")):
                pairs[lsoa] = msoa
        progress(len(chunk))
    report.pairs = len(pairs)
    try:
        existing = {row.lsoa_code: row for row in session.scalars(select(LsoaMsoa))}
        for lsoa, msoa in pairs.items():
            known = existing.get(lsoa)
            if known is None:
                session.add(LsoaMsoa(lsoa_code=lsoa, msoa_code=msoa))
                report.added += 1
            elif known.msoa_code != msoa:
                known.msoa_code = msoa
                report.updated += 1
        session.flush()
        for flag in session.scalars(select(GapFlag).where(GapFlag.msoa_code.is_(None))):
            if flag.lsoa_code in pairs:
                flag.msoa_code = pairs[flag.lsoa_code]
                report.flags_placed += 1
        session.commit()
    except Exception:
        session.rollback()
        raise
    return report
