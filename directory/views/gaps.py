"""Pages for: Deprivation, boundaries and gap scores (issue 4): the gap map, table, area page and funding risk."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, send_from_directory, url_for

from .. import gapmap, gaps
from ..accounts import STAFF_ROLES, roles_required
from ..db import db

bp = Blueprint("gaps", __name__, url_prefix="/gaps")

_LAD = re.compile(r"^[EWSN]\d{8}$")
_LSOA = re.compile(r"^[EW]0\d{7}$")
MAX_TABLE_ROWS = 1000  # on the page; exports carry every row


def _vendor_dirs() -> dict[str, Path]:
    """Leaflet and its plugin, installed from PyPI (XStatic packages) with the app: served from our origin."""
    import xstatic.pkg.leaflet as leaflet
    import xstatic.pkg.leaflet_markercluster as markercluster

    return {"leaflet": Path(leaflet.BASE_DIR), "markercluster": Path(markercluster.BASE_DIR)}


@bp.get("/assets/<package>/<path:filename>")
def asset(package: str, filename: str) -> Any:
    """Leaflet's and the marker-cluster plugin's files (JavaScript, CSS, images); public, like /static."""
    folder = _vendor_dirs().get(package)
    if folder is None or not filename.endswith((".js", ".css", ".png")):
        abort(404)
    return send_from_directory(folder, filename, max_age=86400)


def map_assets() -> gapmap.Assets:
    return gapmap.Assets(
        leaflet_js=url_for("gaps.asset", package="leaflet", filename="leaflet.js"),
        leaflet_css=url_for("gaps.asset", package="leaflet", filename="leaflet.css"),
        markercluster_js=url_for("gaps.asset", package="markercluster", filename="leaflet.markercluster.js"),
        markercluster_css=url_for("gaps.asset", package="markercluster", filename="MarkerCluster.css"),
        markercluster_default_css=url_for("gaps.asset", package="markercluster", filename="MarkerCluster.Default.css"),
    )


def _choices() -> dict[str, Any]:
    """The areas and category asked for (validated), with the lists to choose from."""
    session = db.session
    areas = gaps.local_authorities(session)
    known = {code for code, _name, _count in areas}
    asked = [code.strip().upper() for code in request.args.getlist("la") if code.strip()]
    bad = [code for code in asked if not _LAD.match(code)]
    if bad:
        abort(400, "Local authority codes look like E06000009.")
    lads = [code for code in asked if code in known] or ([] if asked else gaps.default_areas(session))
    categories = gaps.category_names(session)
    category = request.args.get("category", "")
    if category not in categories:
        category = next(iter(categories), "")
    return {
        "areas": areas,
        "lads": lads,
        "unknown": [code for code in asked if code not in known],
        "categories": categories,
        "category": category,
        "run": gaps.latest_run(session),
        "coverage": gaps.coverage(session),
    }


@bp.get("/map")
@roles_required(*STAFF_ROLES)
def map_page() -> Any:
    """The gap map for chosen local authorities and a category; the table page is its accessible alternative."""
    choice = _choices()
    session = db.session
    rows = gaps.area_rows(session, choice["lads"], choice["category"])
    parts = None
    if rows:
        services = gaps.live_services(session, current_app.config).dropna(subset=["latitude", "longitude"])
        names = choice["categories"]
        in_category = services[services["category"] == choice["category"]]
        lon, lat = gaps.centre_wgs84(rows)
        south, north, west, east = lat.min() - 0.05, lat.max() + 0.05, lon.min() - 0.08, lon.max() + 0.08
        inside = in_category["latitude"].between(south, north) & in_category["longitude"].between(west, east)
        nearby = in_category[inside]
        markers = [
            (round(float(r.latitude), 5), round(float(r.longitude), 5), str(r.name), str(r.organisation),
             int(r.service_id), names.get(choice["category"], choice["category"]))
            for r in nearby.drop_duplicates(["service_id", "latitude", "longitude"]).itertuples()
        ]  # fmt: skip
        flag_counts = gaps.gap_flag_counts(session, choice["category"])
        flags = None
        if flag_counts is not None:
            flags = [
                (round(float(la), 5), round(float(lo), 5), flag_counts[row.code], row.name)
                for row, lo, la in zip(rows, lon, lat, strict=True)
                if flag_counts.get(row.code)
            ]
        resolved_counts = gaps.resolved_counts(session, choice["category"])
        resolved = [
            (round(float(la), 5), round(float(lo), 5), resolved_counts[row.code], row.name)
            for row, lo, la in zip(rows, lon, lat, strict=True)
            if resolved_counts.get(row.code)
        ]
        fmap = gapmap.build_map(
            rows, markers, flags, resolved=resolved,
            category_name=names.get(choice["category"], choice["category"]),
            radius_m=float(current_app.config["GAP_RADIUS_M"]), assets=map_assets(),
            area_url=url_for("gaps.area", code="X")[:-1], service_url=url_for("services.detail", service_id=0)[:-1],
            tiles=current_app.config["GAP_MAP_TILES"], attribution=current_app.config["GAP_MAP_ATTRIBUTION"],
        )  # fmt: skip
        parts = gapmap.render_parts(fmap)
    has_deprivation = any(row.imd_decile is not None for row in rows)
    return render_template("gaps/map.html", parts=parts, rows=rows, has_deprivation=has_deprivation, **choice)


def _table_rows(choice: dict[str, Any]) -> list[gaps.AreaRow]:
    rows = gaps.ranked(gaps.area_rows(db.session, choice["lads"], choice["category"]))
    decile = request.args.get("max_decile", "")
    if decile.isdigit():
        rows = [r for r in rows if r.imd_decile is not None and r.imd_decile <= int(decile)]
    minimum = request.args.get("min_score", "")
    if re.fullmatch(r"\d{1,3}(\.\d+)?", minimum):
        rows = [r for r in rows if r.score is not None and r.score >= float(minimum)]
    return rows


@bp.get("/table")
@roles_required(*STAFF_ROLES)
def table() -> Any:
    """The ranked gap table, with filters and CSV / GeoJSON export."""
    choice = _choices()
    rows = _table_rows(choice)
    fmt = request.args.get("format", "")
    stem = f"gaps-{choice['category'] or 'all'}-{'-'.join(choice['lads']) or 'none'}"
    if fmt == "csv":
        return Response(
            gaps.table_csv(rows, choice["category"]),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'},
        )
    if fmt == "geojson":
        return Response(
            gaps.table_geojson(rows, choice["category"]),
            mimetype="application/geo+json",
            headers={"Content-Disposition": f'attachment; filename="{stem}.geojson"'},
        )
    if fmt:
        abort(400, "format must be csv or geojson.")
    return render_template(
        "gaps/table.html", rows=rows[:MAX_TABLE_ROWS], total=len(rows), max_rows=MAX_TABLE_ROWS,
        max_decile=request.args.get("max_decile", ""), min_score=request.args.get("min_score", ""), **choice,
    )  # fmt: skip


@bp.get("/areas/<code>")
@roles_required(*STAFF_ROLES)
def area(code: str) -> Any:
    """One LSOA: its deprivation, and for every category its gap score explained, with services nearby."""
    if not _LSOA.match(code):
        abort(404, "LSOA codes look like E01012671.")
    explained = gaps.explain_area(db.session, current_app.config, code)
    if explained is None:
        abort(404, f"There is no area {code} in the gap data.")
    from geo.provision import to_wgs84

    longitude, latitude = to_wgs84([explained.lsoa.x], [explained.lsoa.y])
    # "from" is a Python keyword, hence the dict of query values.
    values: dict[str, Any] = {"latitude": round(float(latitude[0]), 5), "longitude": round(float(longitude[0]), 5),
                              "from": "map"}  # fmt: skip
    flag_url = url_for("backlog.flag", **values)
    return render_template(
        "gaps/area.html", area=explained, domain_names=gaps.DOMAIN_NAMES, flag_url=flag_url,
        radius_km=float(current_app.config["GAP_RADIUS_M"]) / 1000,
    )  # fmt: skip


@bp.get("/funding-risk")
@roles_required(*STAFF_ROLES)
def funding_risk() -> Any:
    """Live services whose funding ends soon, with the deprivation of the areas within their reach."""
    days_arg = request.args.get("days", "")
    days = current_app.config["FUNDING_RISK_DAYS"]
    if days_arg.isdigit() and 0 < int(days_arg) <= 3650:
        days = int(days_arg)
    risks = gaps.funding_risk(db.session, current_app.config, days=days)
    return render_template(
        "gaps/funding_risk.html", risks=risks, days=days, radius_km=float(current_app.config["GAP_RADIUS_M"]) / 1000,
        categories=gaps.category_names(db.session),
    )  # fmt: skip
