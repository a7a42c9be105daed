"""The Open Referral UK (HSDS 3.0 profile) read API under /api/oruk/, and CSV/GeoJSON exports of public
listings; the JSON itself is made in ``serialise.py``. See docs/oruk.md."""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request, url_for
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from geo.distance import haversine_km
from scrapers.oruk import CATEGORY_TAXONOMY

from ..core.csv_cells import safe_cell
from ..core.db import db
from ..models import Location, Postcode, Service, TaxonomyTerm, service_at_location, service_taxonomy
from .serialise import (
    EXPORT_COLUMNS,
    OPENAPI,
    PROFILE,
    VERSION,
    basic_service_json,
    export_row,
    iso,
    location_json,
    oruk_id,
    parse_id,
    service_json,
    term_json,
)

bp = Blueprint("oruk", __name__, url_prefix="/api/oruk")

MAX_PER_PAGE = 500


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
    return jsonify({"version": VERSION, "profile": PROFILE, "openapi_url": OPENAPI})


@bp.after_request
def _open_to_every_origin(response: Response) -> Response:
    # ORUK compliance: a feed is public and read by browser apps on other origins (Access-Control-Allow-Origin: *).
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/services")
def services() -> Response:
    """Paginated services: one-to-one fields, or fully nested with ``full``, or ids with ``minimal``."""
    query = _filtered()
    if _flag("minimal"):
        return _envelope(query, lambda s: {"id": oruk_id("service", s.id), "last_modified": iso(s.updated_at)})
    if _flag("full"):
        return _envelope(query, service_json)
    return _envelope(query, basic_service_json)


@bp.get("/services/<service_id>")
def service(service_id: str) -> Response:
    """One fully nested service."""
    parsed = parse_id("service", service_id)
    found = db.session.get(Service, parsed[0]) if parsed else None
    if found is None or found.status == "archived":
        abort(404)
    return jsonify(service_json(found))


def _taxonomy() -> dict[str, Any]:
    return {
        "id": oruk_id("taxonomy", 1),
        "name": CATEGORY_TAXONOMY,
        "description": "Categories of need used by social prescribing link workers in this directory.",
        "version": "1",
    }


@bp.get("/taxonomies")
def taxonomies() -> Response:
    """The one taxonomy we publish: the social prescribing categories of need."""
    page, per_page = _page_args()
    shown = [_taxonomy()] if page == 1 else []
    return jsonify(
        {
            "total_items": 1, "total_pages": 1, "page_number": page, "size": len(shown), "first_page": page == 1,
            "last_page": True, "empty": not shown, "contents": shown[:per_page],
        }
    )  # fmt: skip


@bp.get("/taxonomies/<taxonomy_id>")
def taxonomy(taxonomy_id: str) -> Response:
    """The one taxonomy, by its id (or its name)."""
    if taxonomy_id not in (oruk_id("taxonomy", 1), CATEGORY_TAXONOMY):
        abort(404)
    return jsonify(_taxonomy())


@bp.get("/taxonomy_terms")
def taxonomy_terms() -> Response:
    """Paginated categories of need."""
    return _envelope(select(TaxonomyTerm).where(TaxonomyTerm.active).order_by(TaxonomyTerm.id), term_json)


@bp.get("/taxonomy_terms/<term_id>")
def taxonomy_term(term_id: str) -> Response:
    """One category of need."""
    parsed = parse_id("taxonomy_term", term_id)
    term = db.session.get(TaxonomyTerm, parsed[0]) if parsed else None
    if term is None:
        abort(404)
    return jsonify(term_json(term))


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
            and haversine_km(point.latitude, point.longitude, loc.latitude, loc.longitude) * 1000 <= proximity
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
                "service": basic_service_json(svc),
                "location": location_json(loc),
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


def _export_rows() -> list[dict[str, Any]]:
    query = _public().options(
        selectinload(Service.organization), selectinload(Service.locations), selectinload(Service.categories)
    )
    return [export_row(service) for service in db.session.scalars(query)]


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
