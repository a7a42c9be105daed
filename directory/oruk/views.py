"""The Open Referral UK (HSDS 3.0 profile) read API under /api/oruk/, and CSV/GeoJSON exports.

Only public fields go out (never internal or funding notes, who verified, or waiting-time
reporters). Ids are UUIDs that encode our integer ids, so they are stable and reversible:
``{parent:08x}-{kind}-8000-8000-{id:012x}`` (version 8, "custom"). What the standard does not
model (waiting time, capacity, funding status and end date, eligibility by gender, referral routes,
phones in this profile) goes out in the ``x_asset_directory`` extension object; extra properties
are allowed by the published schemas, so conformance holds. See docs/oruk.md.
"""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request, url_for
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from scrapers.oruk import CATEGORY_TAXONOMY, EXTENSION, STATUS_OUT

from ..core.db import db
from ..models import Location, Organization, Postcode, Service, TaxonomyTerm, service_at_location, service_taxonomy

bp = Blueprint("oruk", __name__, url_prefix="/api/oruk")

PROFILE = "https://github.com/openreferral/uk-profile"
OPENAPI = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/openapi.json"
KINDS = {
    "service": "5e71", "organization": "0e9a", "location": "10ca", "service_at_location": "5a10",
    "schedule": "5c4e", "contact": "c0a7", "phone": "9407", "taxonomy_term": "7e12", "taxonomy": "7a40",
    "address": "addd", "service_area": "a4ea", "attribute": "a771", "funding": "f0d1", "cost_option": "c057",
    "language": "1a96",
}  # fmt: skip
UUID = re.compile(r"^([0-9a-f]{8})-([0-9a-f]{4})-8000-8000-([0-9a-f]{12})$")
MAX_PER_PAGE = 500
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def oruk_id(kind: str, number: int, parent: int = 0) -> str:
    """Our integer id as a stable UUID for ``kind`` (see the module docstring)."""
    return f"{parent:08x}-{KINDS[kind]}-8000-8000-{number:012x}"


def parse_id(kind: str, value: str) -> tuple[int, int] | None:
    """(id, parent) from an id made by :func:`oruk_id`, or None if it is not one of ours of that kind."""
    match = UUID.match(value.lower())
    if not match or match.group(2) != KINDS[kind]:
        return None
    return int(match.group(3), 16), int(match.group(1), 16)


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _organization(org: Organization) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": oruk_id("organization", org.id),
        "name": org.name,
        "description": org.description or "",
    }
    if org.email:
        data["email"] = org.email
    if org.website:
        data["website"] = org.website
    if org.phone:
        data["phones"] = [{"id": oruk_id("phone", org.id, 1), "number": org.phone}]
    if org.charity_number:
        data["organization_identifiers"] = [
            {
                "id": oruk_id("attribute", org.id, 2),
                "organization_id": oruk_id("organization", org.id),
                "identifier_scheme": "GB-CHC",
                "identifier_type": "Charity number",
                "identifier": org.charity_number,
            }
        ]
    data[EXTENSION] = {"sector": org.sector}
    return data


def _term(term: TaxonomyTerm) -> dict[str, Any]:
    return {
        "id": oruk_id("taxonomy_term", term.id),
        "name": term.name,
        "description": term.description or term.name,
        "taxonomy": CATEGORY_TAXONOMY,
        "taxonomy_id": oruk_id("taxonomy", 1),
        "term": term.code,
        "code": term.code,
    }


def _location(location: Location) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": oruk_id("location", location.id),
        "location_type": "physical",
        "name": location.name,
    }
    if location.latitude is not None and location.longitude is not None:
        data["latitude"], data["longitude"] = location.latitude, location.longitude
    if location.address_1 or location.city or location.postcode:
        data["addresses"] = [
            {
                "id": oruk_id("address", location.id),
                "location_id": oruk_id("location", location.id),
                "address_1": location.address_1,
                "city": location.city,
                "state_province": "",
                "postal_code": location.postcode or "",
                "country": "GB",
                "address_type": "physical",
            }
        ]
    return data


def _basic(service: Service) -> dict[str, Any]:
    """The one-to-one fields (what /services lists)."""
    data: dict[str, Any] = {
        "id": oruk_id("service", service.id),
        "organization_id": oruk_id("organization", service.organization_id),
        "name": service.name,
        "description": service.description or "",
        "status": STATUS_OUT.get(service.status, "active"),
        "fees": service.cost_description,
        "organization": _organization(service.organization),
    }
    for name in ("url", "email"):
        if getattr(service, name):
            data[name] = getattr(service, name)
    if service.minimum_age is not None:
        data["minimum_age"] = service.minimum_age
    if service.maximum_age is not None:
        data["maximum_age"] = service.maximum_age
    if service.last_verified_at:
        data["assured_date"] = service.last_verified_at.date().isoformat()
    data["last_modified"] = _iso(service.updated_at)
    return data


def _extension(service: Service) -> dict[str, Any]:
    wait = service.latest_wait
    return {
        "is_free": service.is_free,
        "gender": service.gender,
        "eligibility_conditions": service.eligibility_conditions,
        "referral_routes": list(service.referral_routes or []),
        "referral_form_url": service.referral_form_url,
        "languages": list(service.languages or []),
        "accessibility": list(service.accessibility or []),
        "delivery_modes": list(service.delivery_modes or []),
        "capacity": service.capacity,
        "funding_status": service.funding_status,
        "funder": service.funder,
        "funded_until": service.funded_until.isoformat() if service.funded_until else None,
        "waiting_time": {"weeks": wait.weeks, "reported_at": _iso(wait.reported_at)} if wait else None,
        "phone": service.phone,
        "verified_at": _iso(service.last_verified_at),
    }


def service_json(service: Service) -> dict[str, Any]:
    """A fully nested ORUK service with only public fields."""
    sid = service.id
    data = _basic(service)
    data["schedules"] = [
        {
            "id": oruk_id("schedule", s.id, sid),
            "service_id": oruk_id("service", sid),
            **({"freq": "WEEKLY", "interval": 1, "byday": s.byday} if s.byday else {"notes": "By appointment"}),
            **({"opens_at": s.opens_at.strftime("%H:%M")} if s.opens_at else {}),
            **({"closes_at": s.closes_at.strftime("%H:%M")} if s.closes_at else {}),
            "description": s.description,
        }
        for s in service.schedules
    ]
    data["service_areas"] = [
        {
            "id": oruk_id("service_area", a.id, sid),
            "service_id": oruk_id("service", sid),
            "name": a.lad_code,
            "extent": a.lad_code,
            "extent_type": "ons-lad-code",
            "uri": f"http://statistics.data.gov.uk/id/statistical-geography/{a.lad_code}",
        }
        for a in service.service_areas
    ]
    data["service_at_locations"] = [
        {
            "id": oruk_id("service_at_location", loc.id, sid),
            "service_id": oruk_id("service", sid),
            "location_id": oruk_id("location", loc.id),
            "location": _location(loc),
        }
        for loc in sorted(service.locations, key=lambda loc: loc.id)
    ]
    data["languages"] = [
        {"id": oruk_id("language", n, sid), "service_id": oruk_id("service", sid), "name": name}
        for n, name in enumerate(service.languages or [], start=1)
    ]
    data["funding"] = (
        [{"id": oruk_id("funding", sid), "service_id": oruk_id("service", sid), "source": service.funder}]
        if service.funder
        else []
    )
    data["cost_options"] = (
        [{"id": oruk_id("cost_option", sid), "service_id": oruk_id("service", sid), "option": "Free", "amount": 0}]
        if service.is_free
        else []
    )
    data["contacts"] = [
        {
            "id": oruk_id("contact", c.id, sid),
            "service_id": oruk_id("service", sid),
            "name": c.name,
            "title": c.title,
            **({"email": c.email} if c.email else {}),
            **({"phones": [{"id": oruk_id("phone", c.id, sid), "number": c.phone}]} if c.phone else {}),
        }
        for c in service.contacts
    ]
    if service.phone:
        data["phones"] = [{"id": oruk_id("phone", sid), "number": service.phone}]
    data["attributes"] = [
        {
            "id": oruk_id("attribute", term.id, sid),
            "link_id": oruk_id("service", sid),
            "link_type": "service",
            "taxonomy_term_id": oruk_id("taxonomy_term", term.id),
            "taxonomy_term": _term(term),
        }
        for term in service.categories
    ]
    data[EXTENSION] = _extension(service)
    return data


def _public() -> Select[Any]:
    return select(Service).where(Service.status != "archived").order_by(Service.id)


def _page_args() -> tuple[int, int]:
    try:
        page = max(1, int(request.args.get("page", 1)))
        per_page = min(MAX_PER_PAGE, max(1, int(request.args.get("per_page", 50))))
    except ValueError:
        abort(_bad("page and per_page must be whole numbers"))
    return page, per_page


def _bad(message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = 400
    return response


def _envelope(query: Select[Any], render: Any) -> Response:
    page, per_page = _page_args()
    total = int(db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
    rows = db.session.scalars(query.offset((page - 1) * per_page).limit(per_page)).all()
    total_pages = max(1, math.ceil(total / per_page))
    return jsonify(
        {
            "total_items": total,
            "total_pages": total_pages,
            "page_number": page,
            "size": len(rows),
            "first_page": page == 1,
            "last_page": page >= total_pages,
            "empty": not rows,
            "contents": [render(row) for row in rows],
        }
    )


def _flag(name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "true", "yes")


def _filtered() -> Select[Any]:
    query = _public()
    if search := request.args.get("search", "").strip():
        pattern = f"%{search}%"
        query = query.where(or_(Service.name.ilike(pattern), Service.description.ilike(pattern)))
    if term_id := request.args.get("taxonomy_term_id", "").strip():
        parsed = parse_id("taxonomy_term", term_id)
        term_filter = TaxonomyTerm.id == parsed[0] if parsed else TaxonomyTerm.code == term_id
        query = query.where(
            Service.id.in_(
                select(service_taxonomy.c.service_id)
                .join(TaxonomyTerm, TaxonomyTerm.id == service_taxonomy.c.taxonomy_term_id)
                .where(term_filter)
            )
        )
    taxonomy_id = request.args.get("taxonomy_id", "").strip()
    if taxonomy_id and taxonomy_id not in (oruk_id("taxonomy", 1), CATEGORY_TAXONOMY):
        query = query.where(Service.id == -1)
    if organization_id := request.args.get("organization_id", "").strip():
        parsed = parse_id("organization", organization_id)
        query = query.where(Service.organization_id == (parsed[0] if parsed else -1))
    if modified_after := request.args.get("modified_after", "").strip():
        try:
            since = datetime.fromisoformat(modified_after.replace("Z", "+00:00")).replace(tzinfo=None)
        except ValueError:
            abort(_bad("modified_after must be a date and time, e.g. 2026-01-31T00:00:00Z"))
        query = query.where(Service.updated_at >= since)
    return query.options(selectinload(Service.organization))


@bp.get("/")
def meta() -> Response:
    """What this API is: the HSDS version and the ORUK profile it follows."""
    return jsonify({"version": "3.0", "profile": PROFILE, "openapi_url": OPENAPI})


@bp.get("/services")
def services() -> Response:
    """Paginated services: one-to-one fields, or fully nested with ``full``, or ids with ``minimal``."""
    query = _filtered()
    if _flag("minimal"):
        return _envelope(query, lambda s: {"id": oruk_id("service", s.id), "last_modified": _iso(s.updated_at)})
    if _flag("full"):
        return _envelope(query, service_json)
    return _envelope(query, _basic)


@bp.get("/services/<service_id>")
def service(service_id: str) -> Response:
    """One fully nested service."""
    parsed = parse_id("service", service_id)
    found = db.session.get(Service, parsed[0]) if parsed else None
    if found is None or found.status == "archived":
        abort(404)
    return jsonify(service_json(found))


@bp.get("/taxonomies")
def taxonomies() -> Response:
    """The one taxonomy we publish: the social prescribing categories of need."""
    page, per_page = _page_args()
    items = [
        {
            "id": oruk_id("taxonomy", 1),
            "name": CATEGORY_TAXONOMY,
            "description": "Categories of need used by social prescribing link workers in this directory.",
            "version": "1",
        }
    ]
    shown = items if page == 1 else []
    return jsonify(
        {
            "total_items": 1, "total_pages": 1, "page_number": page, "size": len(shown), "first_page": page == 1,
            "last_page": True, "empty": not shown, "contents": shown[:per_page],
        }
    )  # fmt: skip


@bp.get("/taxonomy_terms")
def taxonomy_terms() -> Response:
    """Paginated categories of need."""
    return _envelope(select(TaxonomyTerm).where(TaxonomyTerm.active).order_by(TaxonomyTerm.id), _term)


@bp.get("/taxonomy_terms/<term_id>")
def taxonomy_term(term_id: str) -> Response:
    """One category of need."""
    parsed = parse_id("taxonomy_term", term_id)
    term = db.session.get(TaxonomyTerm, parsed[0]) if parsed else None
    if term is None:
        abort(404)
    return jsonify(_term(term))


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6_371_000 * 2 * math.asin(math.sqrt(a))


@bp.get("/service_at_locations")
def service_at_locations() -> Response:
    """Paginated service-at-location pairs; ``postcode`` with ``proximity`` (metres) narrows by distance."""
    pairs = (
        select(service_at_location.c.service_id, service_at_location.c.location_id)
        .join(Service, Service.id == service_at_location.c.service_id)
        .where(Service.id.in_(_filtered().with_only_columns(Service.id)))
        .order_by(service_at_location.c.service_id, service_at_location.c.location_id)
    )
    rows = list(db.session.execute(pairs))
    if postcode := request.args.get("postcode", "").strip():
        point = db.session.get(Postcode, postcode.replace(" ", "").upper())
        if point is None:
            abort(_bad(f"{postcode!r} is not a postcode this directory knows"))
        try:
            proximity = float(request.args.get("proximity", "5000"))
        except ValueError:
            abort(_bad("proximity must be a number of metres"))
        locations = {
            loc.id: loc
            for loc in db.session.scalars(select(Location).where(Location.id.in_({r.location_id for r in rows})))
        }
        rows = [
            r
            for r in rows
            if (loc := locations.get(r.location_id)) is not None
            and loc.latitude is not None
            and loc.longitude is not None
            and _distance_m(point.latitude, point.longitude, loc.latitude, loc.longitude) <= proximity
        ]
    page, per_page = _page_args()
    chunk = rows[(page - 1) * per_page : page * per_page]
    total_pages = max(1, math.ceil(len(rows) / per_page))
    contents = []
    for row in chunk:
        svc, loc = db.session.get(Service, row.service_id), db.session.get(Location, row.location_id)
        assert svc is not None and loc is not None
        contents.append(
            {
                "id": oruk_id("service_at_location", loc.id, svc.id),
                "service_id": oruk_id("service", svc.id),
                "location_id": oruk_id("location", loc.id),
                "service": _basic(svc),
                "location": _location(loc),
            }
        )
    return jsonify(
        {
            "total_items": len(rows), "total_pages": total_pages, "page_number": page, "size": len(contents),
            "first_page": page == 1, "last_page": page >= total_pages, "empty": not contents, "contents": contents,
        }
    )  # fmt: skip


@bp.get("/service_at_locations/<pair_id>")
def service_at_location_one(pair_id: str) -> Response:
    """One service at one location, the service fully nested."""
    parsed = parse_id("service_at_location", pair_id)
    if parsed is None:
        abort(404)
    location_id, service_id = parsed
    found = db.session.get(Service, service_id)
    if found is None or found.status == "archived" or location_id not in {loc.id for loc in found.locations}:
        abort(404)
    return jsonify(service_json(found))


def safe_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (= + - @ prefixed with ')."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


EXPORT_COLUMNS = (
    "id", "name", "organisation", "status", "description", "url", "email", "phone", "categories", "address",
    "city", "postcode", "latitude", "longitude", "minimum_age", "maximum_age", "cost", "capacity",
    "waiting_weeks", "funding_status", "funded_until", "assured_date", "last_modified",
)  # fmt: skip


def _export_rows() -> list[dict[str, Any]]:
    query = _public().options(
        selectinload(Service.organization), selectinload(Service.locations), selectinload(Service.categories)
    )
    rows = []
    s: Service
    for s in db.session.scalars(query):
        loc = min(s.locations, key=lambda x: x.id) if s.locations else None
        wait = s.latest_wait
        rows.append(
            {
                "id": oruk_id("service", s.id), "name": s.name, "organisation": s.organization.name,
                "status": STATUS_OUT.get(s.status, "active"), "description": s.description, "url": s.url or "",
                "email": s.email or "", "phone": s.phone or "",
                "categories": "; ".join(t.code for t in s.categories),
                "address": loc.address_1 if loc else "", "city": loc.city if loc else "",
                "postcode": (loc.postcode or "") if loc else "",
                "latitude": loc.latitude if loc else None, "longitude": loc.longitude if loc else None,
                "minimum_age": s.minimum_age, "maximum_age": s.maximum_age,
                "cost": "Free" if s.is_free else s.cost_description, "capacity": s.capacity,
                "waiting_weeks": wait.weeks if wait else None, "funding_status": s.funding_status,
                "funded_until": s.funded_until.isoformat() if s.funded_until else "",
                "assured_date": s.last_verified_at.date().isoformat() if s.last_verified_at else "",
                "last_modified": _iso(s.updated_at),
            }
        )  # fmt: skip
    return rows


@bp.get("/export/services.csv")
def export_csv() -> Response:
    """Every public listing as CSV, formula-injection safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for row in _export_rows():
        writer.writerow([safe_cell(row[c]) for c in EXPORT_COLUMNS])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=services.csv"},
    )


@bp.get("/export/services.geojson")
def export_geojson() -> Response:
    """Every public listing with a place, as GeoJSON points (WGS84)."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]},
            "properties": {k: row[k] for k in EXPORT_COLUMNS if k not in ("latitude", "longitude")}
            | {"api_url": url_for("oruk.service", service_id=row["id"], _external=True)},
        }
        for row in _export_rows()
        if row["latitude"] is not None and row["longitude"] is not None
    ]
    response = jsonify({"type": "FeatureCollection", "features": features})
    response.mimetype = "application/geo+json"
    return response
