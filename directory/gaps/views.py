"""Pages for: Deprivation, boundaries and gap scores (issue 4): the gap map, table, area page and funding risk."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, render_template, request, send_from_directory, url_for
from flask_login import current_user

from geo.crs import to_wgs84

from ..accounts.roles import STAFF_ROLES, roles_required
from ..accounts.users import area_codes
from ..core.db import db
from ..listings.place_names import name_areas
from .area_data import DOMAIN_NAMES
from .areas import (
    AreaRow,
    area_rows,
    category_names,
    default_areas,
    explain_area,
    largest_gap,
    local_authorities,
    ranked,
)
from .authorities import AuthorityRow, authority_rows
from .cache import data_stamp, render_cache
from .editions import coverage, latest_run
from .exports import authorities_csv, authorities_geojson, table_csv, table_geojson
from .funding_risk import funding_risk as services_at_funding_risk
from .map_elements import Assets
from .rendered_maps import MapUrls, render_area_map, render_authority_map, render_lsoa_map

bp = Blueprint("gaps", __name__, url_prefix="/gaps")

_LAD = re.compile(r"^[EWSN]\d{8}$")
_LSOA = re.compile(r"^[EW]0\d{7}$")
MAX_TABLE_ROWS = 1000  # on the page; exports carry every row
LEVELS = ("", "lsoa", "authority")  # automatic, each LSOA, local authorities


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


def map_assets() -> Assets:
    return Assets(
        leaflet_js=url_for("gaps.asset", package="leaflet", filename="leaflet.js"),
        leaflet_css=url_for("gaps.asset", package="leaflet", filename="leaflet.css"),
        markercluster_js=url_for("gaps.asset", package="markercluster", filename="leaflet.markercluster.js"),
        markercluster_css=url_for("gaps.asset", package="markercluster", filename="MarkerCluster.css"),
        markercluster_default_css=url_for("gaps.asset", package="markercluster", filename="MarkerCluster.Default.css"),
    )


def _cached(key: tuple[Any, ...], make: Any, size: int = 20_000) -> Any:
    return render_cache().get_or_make(key, make, lambda _value: size)


def _choices() -> dict[str, Any]:
    """The areas, level and category asked for (validated), with the lists to choose from.

    Without ``la`` (or ``scope=england``) the signed-in user's area is used, else the default areas.
    """
    session = db.session
    stamp = data_stamp(session)
    areas = _cached(("authorities", stamp), lambda: local_authorities(session))
    known = {code: count for code, _name, count in areas}
    scope = request.args.get("scope", "")
    level = request.args.get("level", "")
    if scope not in ("", "england"):
        abort(400, "scope must be england (or left out).")
    if level not in LEVELS:
        abort(400, "level must be lsoa or authority (or left out for automatic).")
    asked = [code.strip().upper() for code in request.args.getlist("la") if code.strip()]
    bad = [code for code in asked if not _LAD.match(code)]
    if bad:
        abort(400, "Local authority codes look like E06000009.")
    own_area = [code for code in area_codes(current_user) if code in known]
    if scope == "england":
        lads = [code for code, _name, _count in areas]
    elif asked:
        lads = [code for code in asked if code in known]
    else:
        lads = own_area or default_areas(session, areas)
    categories = category_names(session)
    category = request.args.get("category", "")
    defaulted = category not in categories
    if defaulted:
        # Open on the need with the largest gap here, not the first alphabetically.
        largest = _cached(("largest-gap", stamp, tuple(lads)), lambda: largest_gap(session, lads), 200)
        category = largest if largest in categories else next(iter(categories), "")
    lsoas = sum(known[code] for code in lads)
    return {
        "stamp": stamp,
        "areas": areas,
        "lads": lads,
        "lad_labels": [name for code, name, _count in areas if code in lads],  # the authorities by name, on screen
        "scope": scope,
        "level": level,
        "lsoas": lsoas,
        "max_lsoas": int(current_app.config["GAP_MAP_MAX_LSOAS"]),
        "from_user_area": not asked and not scope and bool(own_area) and lads == own_area,
        "unknown": [code for code in asked if code not in known],
        "categories": categories,
        "category": category,
        "category_defaulted": defaulted and bool(category),
        "run": latest_run(session),
        "coverage": _cached(("coverage", stamp), lambda: coverage(session)),
    }


def _aggregated(choice: dict[str, Any], *, forced: bool) -> bool:
    """Whether to show local authorities rather than LSOAs: asked for, all of England, or too many LSOAs
    (for the map, ``forced``: an LSOA map too heavy to draw is never made)."""
    if choice["level"] == "authority":
        return True
    if choice["level"] == "lsoa" and not forced:
        return False
    return choice["scope"] == "england" or bool(choice["lsoas"] > choice["max_lsoas"])


def _map_urls(category: str) -> MapUrls:
    return MapUrls(
        area=url_for("gaps.area", code="X")[:-1],
        service=url_for("services.detail", service_id=0)[:-1],
        authority=url_for("gaps.map_page") + "?" + urlencode({"category": category}) + "&la=",
    )


@bp.get("/map")
@roles_required(*STAFF_ROLES)
def map_page() -> Any:
    """The gap map for chosen local authorities (or England) and a category; the table is its accessible alternative.

    The rendered map is cached per process by the data it shows; the page around it (and its CSP nonce) is not.
    """
    choice = _choices()
    aggregated = _aggregated(choice, forced=True)
    config = current_app.config
    category, lads = choice["category"], tuple(choice["lads"])
    name = choice["categories"].get(category, category)
    key = ("map", choice["stamp"], lads, category, aggregated, config["GAP_MAP_TILES"], config["GAP_MAP_ATTRIBUTION"],
           config["GAP_RADIUS_M"], request.script_root)  # fmt: skip
    cache = render_cache()
    rendered = cache.get(key)
    if rendered is None:
        urls, assets = _map_urls(category), map_assets()
        names = {code: label for code, label, _count in choice["areas"]}
        if aggregated:
            rendered = render_authority_map(db.session, config, lads, category, name, names, assets, urls)
        else:
            rendered = render_lsoa_map(db.session, config, lads, category, name, assets, urls, names)
        cache.put(key, rendered, rendered.size)
    return render_template(
        "gaps/map.html", parts=rendered.parts, mapped=rendered.areas, aggregated=rendered.aggregated,
        has_deprivation=rendered.has_deprivation, **choice,
    )  # fmt: skip


def _table_rows(choice: dict[str, Any]) -> list[AreaRow]:
    outlines = request.args.get("format", "") == "geojson"
    rows = ranked(area_rows(db.session, choice["lads"], choice["category"], with_geometry=outlines))
    decile = request.args.get("max_decile", "")
    if decile.isdigit():
        rows = [r for r in rows if r.imd_decile is not None and r.imd_decile <= int(decile)]
    minimum = request.args.get("min_score", "")
    if re.fullmatch(r"\d{1,3}(\.\d+)?", minimum):
        rows = [r for r in rows if r.score is not None and r.score >= float(minimum)]
    return rows


def _authority_table_rows(choice: dict[str, Any]) -> list[AuthorityRow]:
    names = {code: label for code, label, _count in choice["areas"]}
    outlines = request.args.get("format", "") == "geojson"
    key = ("authority-rows", choice["stamp"], tuple(choice["lads"]), choice["category"], outlines)
    rows: list[AuthorityRow] = render_cache().get_or_make(
        key,
        lambda: authority_rows(
            db.session, current_app.config, choice["lads"], choice["category"], names=names, with_outlines=outlines
        ),
        lambda made: sum(300 + len(row.geometry or "") for row in made),
    )
    minimum = request.args.get("min_score", "")
    if re.fullmatch(r"\d{1,3}(\.\d+)?", minimum):
        rows = [r for r in rows if r.mean_score is not None and r.mean_score >= float(minimum)]
    return rows


def _download(body: str, mimetype: str, stem: str, suffix: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{stem}.{suffix}"'})


@bp.get("/table")
@roles_required(*STAFF_ROLES)
def table() -> Any:
    """The ranked gap table (LSOAs, or local authorities for large areas), with filters and CSV / GeoJSON export."""
    choice = _choices()
    aggregated = _aggregated(choice, forced=False)
    fmt = request.args.get("format", "")
    if fmt not in ("", "csv", "geojson"):
        abort(400, "format must be csv or geojson.")
    where = "england" if choice["scope"] == "england" else "-".join(choice["lads"]) or "none"
    stem = f"gaps-{choice['category'] or 'all'}-{where}" + ("-authorities" if aggregated else "")
    if aggregated:
        authorities = _authority_table_rows(choice)
        if fmt == "csv":
            return _download(authorities_csv(authorities, choice["category"]), "text/csv", stem, "csv")
        if fmt == "geojson":
            body = authorities_geojson(authorities, choice["category"])
            return _download(body, "application/geo+json", stem, "geojson")
        return render_template(
            "gaps/table.html", authorities=authorities, rows=[], total=len(authorities), max_rows=MAX_TABLE_ROWS,
            aggregated=True, max_decile="", min_score=request.args.get("min_score", ""),
            radius_km=float(current_app.config["GAP_RADIUS_M"]) / 1000, **choice,
        )  # fmt: skip
    rows = _table_rows(choice)
    lad_names = {code: label for code, label, _count in choice["areas"]}
    if fmt:
        # The downloads name each place in the page's words, beside the codes other systems need.
        places = {code: place.headline for code, place in name_areas(db.session, [row.code for row in rows]).items()}
        if fmt == "csv":
            return _download(table_csv(rows, choice["category"], places, lad_names), "text/csv", stem, "csv")
        body = table_geojson(rows, choice["category"], places, lad_names)
        return _download(body, "application/geo+json", stem, "geojson")
    shown = rows[:MAX_TABLE_ROWS]
    return render_template(
        "gaps/table.html", rows=shown, total=len(rows), max_rows=MAX_TABLE_ROWS, aggregated=False,
        places=name_areas(db.session, [row.code for row in shown]), lad_names=lad_names,
        max_decile=request.args.get("max_decile", ""), min_score=request.args.get("min_score", ""),
        radius_km=float(current_app.config["GAP_RADIUS_M"]) / 1000, **choice,
    )  # fmt: skip


@bp.get("/areas/<code>")
@roles_required(*STAFF_ROLES)
def area(code: str) -> Any:
    """One area: its name, deprivation, and for every category its gap score in words, a map and services nearby.

    The map shows ``category`` (a link in the scores table chooses it), else the category of the highest score.
    """
    if not _LSOA.match(code):
        abort(404, "LSOA codes look like E01012671.")
    explained = explain_area(db.session, current_app.config, code)
    if explained is None:
        abort(404, f"There is no area {code} in the gap data.")
    longitude, latitude = to_wgs84([explained.lsoa.x], [explained.lsoa.y])
    # "from" is a Python keyword, hence the dict of query values.
    values: dict[str, Any] = {"latitude": round(float(latitude[0]), 5), "longitude": round(float(longitude[0]), 5),
                              "from": "map"}  # fmt: skip
    flag_url = url_for("backlog.flag", **values)
    scored = {s["category"]: s["category_name"] for s in explained.scores}
    category = request.args.get("category", "")
    category = category if category in scored else next(iter(scored), "")
    rendered = None
    if category:
        config = current_app.config
        key = ("area-map", data_stamp(db.session), code, category, config["GAP_MAP_TILES"],
               config["GAP_MAP_ATTRIBUTION"], config["GAP_RADIUS_M"], request.script_root)  # fmt: skip
        rendered = render_cache().get_or_make(
            key, lambda: render_area_map(db.session, config, explained, category, scored[category], map_assets(),
                                         _map_urls(category)), lambda made: made.size,
        )  # fmt: skip
    return render_template(
        "gaps/area.html", area=explained, domain_names=DOMAIN_NAMES, flag_url=flag_url,
        radius_km=float(current_app.config["GAP_RADIUS_M"]) / 1000, map_category=category,
        map_category_name=scored.get(category, ""), parts=rendered.parts if rendered else None,
    )  # fmt: skip


@bp.get("/score")
@roles_required(*STAFF_ROLES)
def score() -> Any:
    """How the gap score is made, in plain words, with the weights of the scores on show."""
    config = current_app.config
    run = latest_run(db.session)
    weights = dict(run.weights) if run is not None and run.weights else {}
    for part in ("deprivation", "provision", "demand"):
        weights.setdefault(part, float(config[f"GAP_WEIGHT_{part.upper()}"]))
    return render_template(
        "gaps/score.html", run=run, weights=weights, radius_km=float(config["GAP_RADIUS_M"]) / 1000,
        distance_scale_km=float(config["GAP_DISTANCE_SCALE_M"]) / 1000,
    )  # fmt: skip


@bp.get("/funding-risk")
@roles_required(*STAFF_ROLES)
def funding_risk() -> Any:
    """Live services whose funding ends soon, with the deprivation of the areas within their reach."""
    days_arg = request.args.get("days", "")
    days = current_app.config["FUNDING_RISK_DAYS"]
    if days_arg.isdigit() and 0 < int(days_arg) <= 3650:
        days = int(days_arg)
    risks = services_at_funding_risk(db.session, current_app.config, days=days)
    return render_template(
        "gaps/funding_risk.html", risks=risks, days=days, radius_km=float(current_app.config["GAP_RADIUS_M"]) / 1000,
        categories=category_names(db.session),
    )  # fmt: skip
