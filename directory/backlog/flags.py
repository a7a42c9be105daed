"""Gap flags: a link worker records a need nobody could meet, and the flag joins the backlog (issue 5).

A link worker flags a gap ("couldn't find X for a client near Y"). The client's postcode (or a point on
the map) becomes an LSOA and MSOA (``areas``) and is then discarded. A flag joins the oldest open backlog
item of the same category that already has a flag in the same MSOA (or, when the MSOA is unknown, the
same LSOA); otherwise it opens a new item. Its description, like a comment on an item, passes the
personal-data guard first (``check_text``): what it finds is refused unless the worker ticks "save
anyway", and then saved masked ("spoke to [name]") with the override recorded.

Functions take a session and plain values (and the acting ``User``); they flush, and the view or
command that called them commits. Refusals are exceptions whose message a person can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from ..accounts.roles import require_role
from ..core.db import DbSession
from ..core.personal_data import Finding, Screened, overridden, record_override, screen
from ..core.validation import ValidationFailed
from ..models import Service, TaxonomyTerm, User
from ..models.backlog import OPEN_STATUSES, POPULATION_GROUPS, URGENCIES, BacklogItem, GapFlag
from .areas import Area, area_from_point, area_from_postcode
from .history import record_event

CAN_FLAG = ("admin", "link-worker", "community-development")
DESCRIPTION_MAX = 500


class FlagRefused(ValidationFailed):
    """A flag (or comment) that was not saved: bad fields, and/or personal data not yet confirmed."""

    def __init__(self, errors: dict[str, str], findings: list[Finding] | None = None):
        self.findings = findings or []
        super().__init__(errors)


@dataclass
class FlagSaved:
    flag: GapFlag
    item: BacklogItem
    joined: bool


def check_text(text: str, *, confirmed: bool, field_name: str) -> Screened:
    """Run the personal-data guard; an unconfirmed finding is an error on ``field_name``, a confirmed one is
    masked in the text to save."""
    return screen(text, override=confirmed, field_name=field_name)


def keep_override(session: DbSession, screened: Screened, user: User, *, field: str, record_id: int) -> None:
    """Record that ``user`` saved flagged text anyway (who, when, which kinds; the text itself is masked)."""
    record_override(session, screened, field=field, record_id=record_id, user_id=user.id, by=user.email)


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
    screened = check_text(description, confirmed=overridden(values.get("confirm_pii")), field_name="description")
    errors.update({k: v for k, v in screened.errors.items() if k not in errors})
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
        raise FlagRefused(errors, screened.findings)
    assert area is not None and term is not None
    flag = GapFlag(
        category_code=term.code,
        lsoa_code=area.lsoa_code,
        msoa_code=area.msoa_code,
        lad_code=area.lad_code,
        district=area.district,
        population_group=group,
        description=screened.text,
        urgency=urgency,
        raised_from=raised_from,
        service_id=service_id,
        flagged_by_id=user.id,
        team=(user.team or "")[:255],
        pii_confirmed=bool(screened.findings),
    )
    item = open_item_for(session, term.code, area)
    joined = item is not None
    if item is None:
        item = BacklogItem(category_code=term.code, area_code=area.key, status="new")
        session.add(item)
        session.flush()
        record_event(session, item, user, "created", to_status="new")
    flag.item_id = item.id
    session.add(flag)
    session.flush()
    keep_override(session, screened, user, field="gap_flag.description", record_id=flag.id)
    record_event(
        session, item, user, "flag-joined", flag_id=flag.id, body=f"Flag {flag.id} ({URGENCIES[urgency].lower()})"
    )
    session.flush()
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
