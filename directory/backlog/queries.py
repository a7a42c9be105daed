"""Reading the backlog: an item with its evidence summed up (``ItemView``), the board's filters and
sorts, the area's deprivation and gap score, and the nearest services that already meet the need."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from geo.authorities import authority_code
from geo.distance import haversine_km

from ..core.db import DbSession
from ..listings.place_names import PlaceName, authority_names, headline, name_areas
from ..models import Location, Postcode, Service, TaxonomyTerm, service_at_location
from ..models import gaps as models_gaps
from ..models.backlog import OPEN_STATUSES, STATUSES, URGENCIES, BacklogItem, GapFlag

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
    # Names people know: each code of the item, its LSOAs and MSOAs (``place_names``), and its authorities.
    places: Mapping[str, PlaceName] = field(default_factory=dict)
    lad_names: list[str] = field(default_factory=list)

    @property
    def place(self) -> PlaceName:
        """Where the item is, as its heading says it ("Burnley, around BB11 2")."""
        code = self.item.area_code
        return self.places.get(code) or PlaceName(code, headline("", []), code)

    def named(self, codes: list[str]) -> list[PlaceName]:
        return [self.places.get(code) or PlaceName(code, headline("", []), code) for code in codes]

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


def _codes(item: BacklogItem) -> set[str]:
    return {item.area_code} | {f.lsoa_code for f in item.flags} | {f.msoa_code for f in item.flags if f.msoa_code}


def view(
    session: DbSession,
    item: BacklogItem,
    names: Mapping[str, str] | None = None,
    places: Mapping[str, PlaceName] | None = None,
    lad_names: Mapping[str, str] | None = None,
) -> ItemView:
    """An item with its evidence summed up; ``names``, ``places`` and ``lad_names`` when the caller read them
    for many items at once."""
    flags = item.flags
    names = names if names is not None else _category_names(session)
    places = places if places is not None else name_areas(session, _codes(item))
    lad_names = lad_names if lad_names is not None else authority_names(session)
    lads = sorted({f.lad_code for f in flags if f.lad_code})
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
        lads=lads,
        groups=sorted({f.population_group for f in flags}),
        context=area_context(session, sorted({f.lsoa_code for f in flags}), item.category_code),
        places=places,
        lad_names=[lad_names.get(code, code) for code in lads],  # the code only when no loaded file names it
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
        # People write an authority's name ("Burnley", "city of bristol"); specialists may give any area's code.
        code = authority_code(filters.area) or filters.area.strip().upper()
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
    items = list(session.scalars(statement.order_by(BacklogItem.id)))
    places = name_areas(session, {code for item in items for code in _codes(item)})
    lad_names = authority_names(session)
    views = [view(session, item, names, places, lad_names) for item in items]
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
