"""Creating many listings at once: ``operations.create`` for a batch, with the same guarantees.

An import brings thousands of new listings in one run. Written one at a time (a flush, a revision,
an index refresh and a savepoint each) they cost milliseconds apiece; here a batch is written with a
few multi-row statements instead. Nothing is given up:

- each listing is cleaned by the write path's own cleaners and rules (``rules.SERVICE_SPEC``,
  ``rules.check_service_rules``) before anything is written, so a bad one is refused by name
  (:func:`clean_service`, :func:`clean_organisation`, ``rules.clean_wait``);
- each created listing gets one revision ("create", who, when, source) holding the snapshot
  ``operations`` would keep, and each service its search-index entry;
- places are reused as ``snapshots.find_or_make_location`` reuses them (same name, address and
  postcode), and new ones are placed from the postcode table;
- nothing here commits: the caller's transaction keeps or drops a batch whole;
- ``hidden`` writes a batch out of sight (services archived, organisations archived) for an import that
  publishes its new listings all at once later (``imports.publish``); the revisions still hold the listing
  as it will be published.

Changes to many existing listings at once are ``bulk_update`` (optimistic locking, a revision each).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, Table, and_, cast, func, insert, literal, select, tuple_, update
from sqlalchemy.dialects.postgresql import JSONB

from ..core import validation as v
from ..core import writes
from ..core.clock import utcnow
from ..core.db import DbSession
from ..models import (
    Contact,
    Location,
    Organization,
    Postcode,
    Revision,
    Schedule,
    Service,
    ServiceArea,
    TaxonomyTerm,
    WaitingTimeReport,
    service_at_location,
    service_taxonomy,
)
from . import rules, search_index
from .postcodes import own_point
from .snapshots import ORGANIZATION_SCALARS, SERVICE_SCALARS, _plain, schedule_columns

Place = tuple[str, str, str | None]  # name, address_1, postcode: what makes two locations one place
PIECE = 300  # rows per IN (...) lookup, well inside every backend's limit on bound parameters


def clean_service(session: DbSession, values: dict[str, Any], known_categories: Collection[str]) -> dict[str, Any]:
    """``values`` cleaned as ``operations.create`` cleans a new service, defaults included.

    ``organization_id`` may be left out here; :func:`create_services` checks it. Raises
    ``ValidationFailed`` naming every bad field.
    """
    cleaned = v.clean_fields({**rules.SERVICE_DEFAULTS, **values}, rules.SERVICE_SPEC, partial=True)
    # The same rules; the two that need the database are checked against what the caller read once.
    local = {name: value for name, value in cleaned.items() if name not in ("organization_id", "categories")}
    rules.check_service_rules(session, local, None)
    unknown = [code for code in cleaned.get("categories", []) if code not in known_categories]
    if unknown:
        raise v.ValidationFailed({"categories": f"Unknown categories: {', '.join(unknown)}."})
    return cleaned


def clean_organisation(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` cleaned as ``operations.create`` cleans a new organisation, defaults included."""
    return v.clean_fields({**rules.ORGANIZATION_DEFAULTS, **values}, rules.ORGANIZATION_SPEC, partial=True)


def create_organisations(
    session: DbSession, items: Sequence[dict[str, Any]], actor: writes.Actor, *, hidden: bool = False
) -> list[int]:
    """Insert organisations cleaned by :func:`clean_organisation`, a revision each; their ids, in order. With
    ``hidden`` they are written archived (their revisions as they will be published)."""
    if not items:
        return []
    now = utcnow()
    table = _table(Organization)
    defaults = _defaults(table, ORGANIZATION_SCALARS)
    rows = [
        {**defaults, **{k: item[k] for k in ORGANIZATION_SCALARS if k in item}, "version": 1,
         "created_at": now, "updated_at": now}
        for item in items
    ]  # fmt: skip
    ids = _insert(session, table, [{**row, "archived": True} for row in rows] if hidden else rows)
    snapshots = [{name: _plain(row[name]) for name in ORGANIZATION_SCALARS} for row in rows]
    _revisions(session, "organization", ids, snapshots, actor, now)
    return ids


def create_services(
    session: DbSession, items: Sequence[dict[str, Any]], actor: writes.Actor, *, hidden: bool = False
) -> list[int]:
    """Insert services cleaned by :func:`clean_service` (each with its ``organization_id``); their ids, in order.

    Writes their categories, sessions, contacts, areas and places, a revision each and their entries
    in the search index. With ``hidden`` they are written archived, which search and every public page
    leave out, while their revisions hold the status they will be published with.
    """
    if not items:
        return []
    now = utcnow()
    organisations = _organisation_names(session, {int(item["organization_id"]) for item in items})
    missing = sorted({int(item["organization_id"]) for item in items} - set(organisations))
    if missing:
        raise v.ValidationFailed({"organization_id": f"There is no organisation {missing[0]}."})
    table = _table(Service)
    defaults = _defaults(table, SERVICE_SCALARS)
    rows = [
        {**defaults, **{k: item[k] for k in SERVICE_SCALARS if k in item}, "version": 1,
         "created_at": now, "updated_at": now}
        for item in items
    ]  # fmt: skip
    ids = _insert(session, table, [{**row, "status": "archived"} for row in rows] if hidden else rows)
    terms = _terms(session, {code for item in items for code in item.get("categories", [])})
    places = _places(session, [place for item in items for place in item.get("locations", [])])

    links: list[dict[str, Any]] = []
    sessions: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    areas: list[dict[str, Any]] = []
    at: list[dict[str, Any]] = []
    snapshots: list[dict[str, Any]] = []
    documents: list[dict[str, Any]] = []
    for service_id, item, row in zip(ids, items, rows, strict=True):
        codes = list(item.get("categories", []))
        links += [{"service_id": service_id, "taxonomy_term_id": terms[code][0]} for code in codes]
        sessions += [{**schedule_columns(s), "service_id": service_id} for s in item.get("schedules", [])]
        contacts += [{**c, "service_id": service_id} for c in item.get("contacts", [])]
        areas += [{"service_id": service_id, "lad_code": code} for code in item.get("service_areas", [])]
        # One place given twice is one place, as operations.create makes it.
        where = list({places[_place(loc)]["id"]: places[_place(loc)] for loc in item.get("locations", [])}.values())
        at += [{"service_id": service_id, "location_id": place["id"]} for place in where]
        snapshot = {name: _plain(row[name]) for name in SERVICE_SCALARS}
        snapshot["categories"] = sorted(codes)
        snapshot["service_areas"] = list(item.get("service_areas", []))
        snapshot["locations"] = [
            {k: place[k] for k in ("name", "address_1", "city", "postcode", "accessibility")}
            for place in sorted(where, key=lambda place: place["id"])
        ]
        snapshot["schedules"] = [dict(s) for s in item.get("schedules", [])]
        snapshot["contacts"] = [dict(c) for c in item.get("contacts", [])]
        snapshots.append(snapshot)
        documents.append(
            {
                "id": service_id,
                "name": row["name"],
                "description": row["description"],
                "organization": organisations[int(row["organization_id"])],
                "categories": " ".join(sorted(terms[code][1] for code in codes)),
                "extra": row["eligibility_conditions"],
            }
        )
    for target, values in (
        (service_taxonomy, links),
        (_table(Schedule), sessions),
        (_table(Contact), contacts),
        (_table(ServiceArea), areas),
        (service_at_location, at),
    ):
        if values:
            session.execute(insert(target), values)
    _revisions(session, "service", ids, snapshots, actor, now)
    _index(session, documents)
    return ids


def add_waiting_times(
    session: DbSession, reports: Sequence[tuple[int, int, datetime | None]], *, source: str, actor: writes.Actor
) -> None:
    """Waiting-time reports (service id, weeks from ``rules.clean_wait``, when reported) for new listings."""
    if reports:
        now = utcnow()
        session.execute(
            insert(_table(WaitingTimeReport)),
            [
                {"service_id": service_id, "weeks": weeks, "reported_at": at or now, "reported_by": actor.label,
                 "source": source}
                for service_id, weeks, at in reports
            ],
        )  # fmt: skip


def show(session: DbSession, kind: str, ids: Sequence[int], shown: dict[str, Any], actor: writes.Actor) -> set[int]:
    """Show listings written ``hidden`` and untouched since (their first version, still hidden), with ``shown``
    (a service's status, or an organisation not archived); the ids shown, a few hundred at most.

    As the write path would: the version moves on (a form opened on the hidden listing is then refused as stale)
    and a revision ("publish", hidden before, shown after) says who and when. One changed since it was written (by
    staff who found it hidden) is left as it is. Its creation revision holds the listing as it is shown, so that
    is the new revision's "after", with no need to load the listings or read the revisions.
    """
    model: Any = Service if kind == "service" else Organization
    hidden = {"status": "archived"} if kind == "service" else {"archived": True}
    now = utcnow()
    untouched = and_(model.version == 1, *(getattr(model, name) == value for name, value in hidden.items()))
    statement = update(model).where(model.id.in_(ids), untouched).values(**shown, version=2, updated_at=now)
    done = {
        int(i) for i in session.scalars(statement.returning(model.id), execution_options={"synchronize_session": False})
    }
    # Each revision made in the database from the creation revision (not read into Python: a run may show 10,000).
    rows = select(
        literal(kind), Revision.entity_id, literal(2), literal("publish"), literal(actor.label),
        literal(actor.source), literal(now, DateTime()), _merged(session, Revision.after, hidden), Revision.after,
    ).where(Revision.entity_type == kind, Revision.entity_id.in_(sorted(done)), Revision.version == 1)  # fmt: skip
    columns = ["entity_type", "entity_id", "version", "action", "actor", "source", "created_at", "before", "after"]
    if done:
        session.execute(insert(Revision).from_select(columns, rows))
    return done


def _merged(session: DbSession, snapshot: Any, values: dict[str, Any]) -> Any:
    """SQL for the JSON ``snapshot`` with ``values`` put in."""
    if search_index.dialect(session) == "postgresql":
        merged = cast(snapshot, JSONB).op("||")(cast(literal(json.dumps(values), String()), JSONB))
        return cast(merged, JSON)
    return func.json_patch(snapshot, json.dumps(values))


# -- helpers -------------------------------------------------------------------------------------


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _defaults(table: Table, names: Iterable[str]) -> dict[str, Any]:
    """Each column's Python-side default, as the ORM fills it in on insert."""
    found: dict[str, Any] = {}
    for name in names:
        default: Any = table.c[name].default
        if default is None:
            found[name] = None
        elif default.is_callable:
            found[name] = default.arg(None)  # SQLAlchemy wraps a plain callable to take the execution context
        else:
            found[name] = default.arg
    return found


def _insert(session: DbSession, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [int(i) for i in session.execute(statement, rows).scalars()]


def in_pieces(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """``values`` in slices of ``PIECE``, one ``IN (...)`` lookup each, within every backend's limit on bound
    parameters."""
    for start in range(0, len(values), PIECE):
        yield values[start : start + PIECE]


def _organisation_names(session: DbSession, ids: set[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for piece in in_pieces(sorted(ids)):
        query = select(Organization.id, Organization.name).where(Organization.id.in_(piece))
        found.update({int(i): str(name) for i, name in session.execute(query)})
    return found


def _terms(session: DbSession, codes: set[str]) -> dict[str, tuple[int, str]]:
    query = select(TaxonomyTerm.code, TaxonomyTerm.id, TaxonomyTerm.name).where(TaxonomyTerm.code.in_(sorted(codes)))
    return {code: (int(i), name) for code, i, name in session.execute(query)} if codes else {}


def _place(location: dict[str, Any]) -> Place:
    return (location["name"], location["address_1"], location["postcode"])


def _places(session: DbSession, wanted: list[dict[str, Any]]) -> dict[Place, dict[str, Any]]:
    """Each wanted place -> its location row (id, name, address_1, city, postcode), made if new."""
    first: dict[Place, dict[str, Any]] = {}
    for location in wanted:
        first.setdefault(_place(location), location)
    if not first:
        return {}
    columns = (Location.id, Location.name, Location.address_1, Location.city, Location.postcode, Location.accessibility,
               Location.lad_code, Location.latitude, Location.longitude)  # fmt: skip
    found: dict[Place, dict[str, Any]] = {}
    posted = [key for key in first if key[2] is not None]
    unposted = [key[:2] for key in first if key[2] is None]
    queries = [
        select(*columns).where(tuple_(Location.name, Location.address_1, Location.postcode).in_(piece))
        for piece in in_pieces(posted)
    ] + [
        select(*columns).where(tuple_(Location.name, Location.address_1).in_(piece), Location.postcode.is_(None))
        for piece in in_pieces(unposted)
    ]
    for query in queries:
        for location_id, name, address, city, postcode, access, lad, *point in session.execute(
            query.order_by(Location.id)
        ):
            place = {"id": location_id, "name": name, "address_1": address, "city": city, "postcode": postcode}
            place["accessibility"] = list(access or [])
            if _place(place) not in found:  # the oldest, as find_or_make_location's first match
                found[_place(place)] = place
                _keep_own_point(session, location_id, first[_place(place)], tuple(point), lad)
    new = [key for key in first if key not in found]
    if new:
        points = _points(session, {str(key[2]).replace(" ", "") for key in new if key[2]})
        table = _table(Location)
        defaults = _defaults(table, [c.name for c in table.c if c.name != "id"])
        rows = []
        for key in new:
            location = first[key]
            fields = {k: location[k] for k in ("name", "address_1", "city", "postcode")}
            fields["accessibility"] = list(location.get("accessibility") or [])
            from_postcode = points.get(str(location["postcode"] or "").replace(" ", ""))
            rows.append({**defaults, **fields, **own_point(session, location, from_postcode)})
        for key, location_id, row in zip(new, _insert(session, table, rows), rows, strict=True):
            found[key] = {"id": location_id, **{k: row[k] for k in ("name", "address_1", "city", "postcode")}}
            found[key]["accessibility"] = row["accessibility"]
    return found


def _keep_own_point(
    session: DbSession, location_id: int, wanted: dict[str, Any], point: tuple[Any, ...], lad: str | None
) -> None:
    """A reused place takes the coordinates a record gives for it (a feed's own), and the areas it gives when the
    place has none, as ``find_or_make_location``."""
    rows = _table(Location)
    if wanted.get("latitude") is None or point == (wanted["latitude"], wanted["longitude"]):
        if lad is None and wanted.get("lad_code"):
            hints = {"lsoa_code": wanted.get("lsoa_code"), "lad_code": wanted["lad_code"]}
            session.execute(update(rows).where(rows.c.id == location_id).values(**hints))
        return
    postcode = str(wanted["postcode"] or "").replace(" ", "")
    values = own_point(session, wanted, _points(session, {postcode}).get(postcode) if postcode else None)
    session.execute(update(rows).where(rows.c.id == location_id).values(**values))


def _points(session: DbSession, keys: set[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for piece in in_pieces(sorted(keys)):
        query = select(
            Postcode.postcode_key, Postcode.latitude, Postcode.longitude, Postcode.lsoa_code, Postcode.lad_code
        ).where(Postcode.postcode_key.in_(piece))
        for key, latitude, longitude, lsoa, lad in session.execute(query):
            found[key] = {"latitude": latitude, "longitude": longitude, "lsoa_code": lsoa, "lad_code": lad}
    return found


def _revisions(
    session: DbSession,
    entity_type: str,
    ids: list[int],
    snapshots: list[dict[str, Any]],
    actor: writes.Actor,
    now: datetime,
) -> None:
    session.execute(
        insert(_table(Revision)),
        [
            {"entity_type": entity_type, "entity_id": entity_id, "version": 1, "action": "create",
             "actor": actor.label, "source": actor.source, "created_at": now, "before": None, "after": snapshot}
            for entity_id, snapshot in zip(ids, snapshots, strict=True)
        ],
    )  # fmt: skip


def _index(session: DbSession, documents: list[dict[str, Any]]) -> None:
    """The services' search-index entries, as ``search_index.refresh`` writes them, in two statements."""
    search_index.write_documents(session, documents)
