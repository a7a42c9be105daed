"""Spotting a new record that looks like a listing from elsewhere, and holding it for staff.

A new record whose name and organisation are much like a live listing's at the same postcode (one that is not the
source's own) is not created: it becomes a ``MergeCandidate`` that staff merge in or keep separate
(``imports.merges``). The listings near a run's postcodes are read once a postcode and remembered, so those the
run makes are never read back.
"""

from __future__ import annotations

from collections import OrderedDict

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process
from sqlalchemy import exists, select

from ..core.db import DbSession
from ..listings import bulk_write
from ..listings.snapshots import _plain
from ..models import Location, Organization, Service, service_at_location
from ..models.imports import ExternalRecord, MergeCandidate
from .new_listings import NewRecord

NEARBY_POSTCODES = 2_000  # postcodes whose listings a run remembers for spotting lookalikes (bounded memory)
NAME_SIMILARITY = 88
ORGANISATION_SIMILARITY = 80

Similar = tuple[int, int, str]  # (the listing's id, score, why it looks alike)


class Nearby:
    """Live listings by postcode (id, loose name, loose organisation, name and organisation as shown), for one run."""

    def __init__(self, source_id: int) -> None:
        self.source_id = source_id
        self.listings: OrderedDict[str, list[tuple[int, str, str, str, str]]] = OrderedDict()

    def read(self, session: DbSession, postcodes: set[str]) -> None:
        """Live listings at postcodes not met before in this run, that are not this source's own.

        Read once a postcode (one query for a chunk's new postcodes), so the listings this run makes
        are never read back; the oldest postcodes are forgotten past ``NEARBY_POSTCODES`` (read again,
        the run's own listings are left out by their keys).
        """
        for code in postcodes & self.listings.keys():
            self.listings.move_to_end(code)
        unread = sorted(postcodes - self.listings.keys())
        own = exists().where(
            ExternalRecord.source_id == self.source_id,
            ExternalRecord.entity_type == "service",
            ExternalRecord.entity_id == Service.id,
        )
        for piece in bulk_write.in_pieces(unread):
            self.listings.update({code: [] for code in piece})
            rows = session.execute(
                select(Service.id, Service.name, Organization.name, Location.postcode)
                .join(Organization, Organization.id == Service.organization_id)
                .join(service_at_location, service_at_location.c.service_id == Service.id)
                .join(Location, Location.id == service_at_location.c.location_id)
                .where(Location.postcode.in_(piece), Service.status != "archived", ~own)
                .distinct()
            )
            for i, name, organisation, postcode in rows:
                self.listings[str(postcode)].append((i, _loose(name), _loose(organisation), name, organisation))
        while len(self.listings) > NEARBY_POSTCODES:
            self.listings.popitem(last=False)

    def similar(self, item: NewRecord) -> Similar | None:
        """The remembered listing most like ``item`` at one of its postcodes, if one is like enough."""
        organisation = item.record.organisation.name if item.record.organisation else item.record.name
        name, organisation = _loose(item.values["name"]), _loose(organisation)
        best: Similar | None = None
        for code in {loc["postcode"] for loc in item.cleaned.get("locations", []) if loc["postcode"]}:
            for service_id, loose_name, loose_org, shown_name, shown_org in self.listings.get(code, []):
                name_score = int(fuzz.token_sort_ratio(name, loose_name))
                org_score = int(fuzz.token_sort_ratio(organisation, loose_org))
                if name_score >= NAME_SIMILARITY and org_score >= ORGANISATION_SIMILARITY:
                    score = (name_score + org_score) // 2
                    if best is None or score > best[1]:
                        reason = (
                            f"name {name_score}% like {shown_name!r}, organisation {org_score}% like "
                            f"{shown_org!r}, same postcode"
                        )
                        best = (service_id, score, reason)
        return best


def hold(session: DbSession, source_id: int, run_id: int, item: NewRecord, similar: Similar) -> None:
    """Hold ``item`` for staff as a possible duplicate: its source's open candidate for that id, brought up to date,
    or a new one (the caller commits)."""
    service_id, score, reason = similar
    record = item.record
    existing = session.scalars(
        select(MergeCandidate).where(
            MergeCandidate.source_id == source_id,
            MergeCandidate.external_id == record.external_id,
            MergeCandidate.state == "open",
        )
    ).first()
    organisation = {"name": record.organisation.name} if record.organisation else {"name": record.name}
    if existing is None:
        existing = MergeCandidate(source_id=source_id, external_id=record.external_id, service_id=service_id)
        session.add(existing)
    existing.values = {k: _plain(x) for k, x in item.values.items()}
    existing.organisation, existing.run_id = organisation, run_id
    existing.service_id, existing.score, existing.reason = service_id, score, reason[:255]


def _loose(name: str) -> str:
    """A name for fuzzy comparison: "&" is "and", case and punctuation do not count."""
    return str(default_process(name.replace("&", " and ")))
