"""What a link worker asked for: the search form or API parameters parsed and checked into a ``SearchQuery``
(every mistake a person can fix is a ``SearchError`` naming its box), and the point a search is measured from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any

from sqlalchemy import func, select

from geo.postcodes import InvalidPostcode, normalise_postcode

from ..core import vocab
from ..core.db import DbSession
from ..models import Postcode

SORTS = {"relevance": "Best match", "nearest": "Nearest", "wait": "Shortest wait", "verified": "Recently verified"}
TIMES_OF_DAY = {"morning": (time(6), time(12)), "afternoon": (time(12), time(17)), "evening": (time(17), time(23, 59))}
RADII_KM = (1, 2, 5, 10, 20, 50)


class SearchError(ValueError):
    """Input a person can fix: ``field`` names the box, the message says what is wrong."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    categories: tuple[str, ...] = ()
    postcode: str = ""
    radius_km: float = 5.0
    free_only: bool = False
    age: int | None = None
    gender: str = ""
    accessibility: tuple[str, ...] = ()
    day: str = ""
    time_of_day: str = ""
    self_referral: bool = False
    accepting_only: bool = False
    max_wait_weeks: int | None = None
    home_visits: bool = False
    delivery: tuple[str, ...] = ()
    include_remote: bool = True
    include_unverified: bool = False
    include_archived: bool = False
    sort: str = "relevance"
    limit: int = 50


@dataclass(frozen=True)
class Origin:
    """Where the search is measured from; the postcode itself is never stored."""

    postcode: str
    latitude: float
    longitude: float
    lsoa_code: str | None
    lad_code: str | None
    outward_only: bool


def _flag(value: Any) -> bool:
    return str(value).lower() in {"1", "yes", "true", "on"}


def _many(args: Mapping[str, Any], name: str) -> tuple[str, ...]:
    getlist = getattr(args, "getlist", None)
    values = getlist(name) if getlist else args.get(name, [])
    if isinstance(values, str):
        values = [values]
    return tuple(v for part in values for v in str(part).split(",") if v)


def parse_query(args: Mapping[str, Any]) -> SearchQuery:
    """Read a query from request arguments; every bad value is named (first one raised)."""

    def whole(name: str, low: int, high: int) -> int | None:
        raw = str(args.get(name, "") or "").strip()
        if not raw:
            return None
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise SearchError(
                name, f"{name.replace('_', ' ').capitalize()} must be a whole number from {low} to {high}."
            )
        return int(raw)

    radius_raw = str(args.get("radius", "") or "5").strip()
    try:
        radius = float(radius_raw)
    except ValueError:
        raise SearchError("radius", f"Radius {radius_raw!r} is not a number of kilometres.") from None
    if not 0 < radius <= 100:
        raise SearchError("radius", "Radius must be more than 0 and at most 100 km.")
    sort = str(args.get("sort", "") or "relevance")
    if sort not in SORTS:
        raise SearchError("sort", f"Sort must be one of: {', '.join(SORTS)}.")
    checks: dict[str, tuple[str, Mapping[str, Any]]] = {
        "gender": (str(args.get("gender", "") or ""), vocab.GENDERS),
        "day": (str(args.get("day", "") or ""), vocab.WEEKDAYS),
        "time": (str(args.get("time", "") or ""), TIMES_OF_DAY),
    }
    for name, (value, allowed) in checks.items():
        if value and value not in allowed:
            raise SearchError(name, f"{name.capitalize()} {value!r} is not one of: {', '.join(allowed)}.")
    accessibility = _many(args, "accessibility")
    delivery = _many(args, "delivery")
    for name, values, allowed in (("accessibility", accessibility, vocab.ACCESSIBILITY),
                                  ("delivery", delivery, vocab.DELIVERY_MODES)):  # fmt: skip
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise SearchError(name, f"Unknown {name}: {', '.join(unknown)}. Use: {', '.join(allowed)}.")
    return SearchQuery(
        text=str(args.get("q", "") or "")[:200],
        categories=_many(args, "category"),
        postcode=str(args.get("postcode", "") or "").strip()[:16],
        radius_km=radius,
        free_only=_flag(args.get("free", "")),
        age=whole("age", 0, 120),
        gender=checks["gender"][0],
        accessibility=accessibility,
        day=checks["day"][0],
        time_of_day=checks["time"][0],
        self_referral=_flag(args.get("self_referral", "")),
        accepting_only=_flag(args.get("accepting", "")),
        max_wait_weeks=whole("max_wait", 0, 520),
        home_visits=_flag(args.get("home_visits", "")),
        delivery=delivery,
        include_remote=str(args.get("remote", "yes") or "yes") != "no",
        include_unverified=_flag(args.get("unverified", "")),
        include_archived=_flag(args.get("archived", "")),
        sort=sort,
        limit=min(whole("limit", 1, 200) or 50, 200),
    )


def locate(session: DbSession, postcode_text: str) -> Origin:
    """The point a search is measured from: a full postcode, or an outward code's centre."""
    try:
        pcds = normalise_postcode(postcode_text, allow_outward_only=True)
    except InvalidPostcode as exc:
        raise SearchError("postcode", f"{exc} Enter a postcode like FY1 1AN, or its first part, like FY1.") from None
    if " " in pcds:
        found = session.get(Postcode, pcds.replace(" ", ""))
        if found is None:
            message = f"{pcds} is not in our list of postcodes (it may be new, or outside the areas we cover)."
            raise SearchError("postcode", f"{message} Check it, or try a nearby postcode.")
        return Origin(pcds, found.latitude, found.longitude, found.lsoa_code, found.lad_code, outward_only=False)
    # An outward code alone ("FY1"): the centre of its live postcodes, and its commonest authority.
    row = session.execute(
        select(func.avg(Postcode.latitude), func.avg(Postcode.longitude), func.count()).where(
            Postcode.pcds.like(f"{pcds} %")
        )
    ).one()
    if not row[2]:
        raise SearchError(
            "postcode", f"No postcodes starting {pcds} are in our list of postcodes. Check it, or try a full postcode."
        )
    lad = session.scalar(
        select(Postcode.lad_code).where(Postcode.pcds.like(f"{pcds} %"))
        .group_by(Postcode.lad_code).order_by(func.count().desc()).limit(1)
    )  # fmt: skip
    return Origin(pcds, float(row[0]), float(row[1]), None, lad, outward_only=True)
