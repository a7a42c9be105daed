"""The gap map: a folium map of LSOAs (deprivation, nearest service, gap score), live services and gap flags,
or of local authorities with their LSOAs' figures aggregated; and the rendered parts a page places.

Light by design: the outlines are written once and shared by the three area layers; properties
are short keys; coordinates are rounded and simplified further for large areas. The layers and
their safety are in ``map_elements.py``; Leaflet is served from this app's own origin (see
``views.py``), never a CDN.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import folium
import numpy as np
import shapely
from branca.element import CssLink, Figure, JavascriptLink
from folium.map import Layer
from markupsafe import escape

from geo.crs import to_wgs84

from .areas import AreaRow
from .authorities import AuthorityRow
from .map_elements import AreaLayer, Assets, ControlsBeside, FlagLayer, GapData, Legend, Outlines, ServiceLayer

NO_DATA = "#d9d9d9"
# IMD decile 1 (most deprived) .. 10: dark purple to pale (ColorBrewer PuRd, reversed; colour-blind safe).
DECILE_COLOURS = ["#67001f", "#980043", "#ce1256", "#e7298a", "#df65b0", "#c994c7", "#d4b9da", "#e7e1ef",
                  "#f1eef6", "#f7f4f9"]  # fmt: skip
DISTANCE_BREAKS = [500, 1000, 2000, 5000]  # metres
DISTANCE_COLOURS = ["#edf8fb", "#b3cde3", "#8c96c6", "#8856a7", "#810f7c"]
DISTANCE_LABELS = ["under 0.5 km", "0.5 to 1 km", "1 to 2 km", "2 to 5 km", "5 km or more (or none located)"]
SCORE_BREAKS = [20, 40, 60, 80]
SCORE_COLOURS = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]
SCORE_LABELS = ["0 to 20", "20 to 40", "40 to 60", "60 to 80", "80 to 100"]
# Local authority maps colour shares of their LSOAs (per cent).
SHARE_BREAKS = [10, 25, 50, 75]
SHARE_LABELS = ["under 10%", "10 to 25%", "25 to 50%", "50 to 75%", "75% or more"]
#: The page element the layer chooser is moved into (beside the map, not over it).
CONTROLS_SLOT = "gap-controls"
#: Pixels kept clear around the drawn areas when the map is fitted to them.
FIT_PADDING = (16, 16)
#: Authority names are drawn as labels on maps of at most this many authorities (more would be clutter).
MAX_LABELS = 30
DEPRIVED_SHARE_COLOURS = ["#f1eef6", "#d7b5d8", "#df65b0", "#dd1c77", "#980043"]


def centre_wgs84(rows: Sequence[AreaRow]) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of the rows' centres."""
    return to_wgs84(np.array([r.x for r in rows], dtype=float), np.array([r.y for r in rows], dtype=float))


@dataclass
class MapParts:
    """A rendered map, ready to place in a page: asset tags, the map's HTML and its script."""

    links: list[str]
    html: str
    script: str
    layers: list[str]
    legend: str = ""  # placed beside the map by the page, so it never covers an area

    @property
    def size(self) -> int:
        return sum(len(part.encode()) for part in (*self.links, self.html, self.script, self.legend))


def simplify_for_map(rows: Sequence[AreaRow]) -> list[Any]:
    """Outlines for the map: simplified more as the area grows, so a county stays a few hundred kilobytes."""
    geometries = shapely.from_geojson([row.geometry for row in rows]) if rows else []
    # Degrees; 0.0001 is about 7 m east-west at these latitudes.
    tolerance = 0.0 if len(rows) <= 200 else 0.0001 if len(rows) <= 1500 else 0.0004 if len(rows) <= 6000 else 0.002
    if tolerance and len(rows):
        geometries = shapely.simplify(geometries, tolerance, preserve_topology=True)
    decimals = 5 if len(rows) <= 6000 else 4
    geometries = shapely.transform(geometries, lambda xy: xy.round(decimals)) if len(rows) else geometries
    return [json.loads(text) for text in shapely.to_geojson(geometries)] if len(rows) else []


def _finish(fmap: folium.Map, legend: Legend) -> None:
    """The layer chooser (moved beside the map by the page) and the one legend, for the layer on show."""
    control = folium.LayerControl(collapsed=False)
    control.add_to(fmap)
    fmap.add_child(ControlsBeside(control, CONTROLS_SLOT))
    fmap.add_child(legend)


def _base_map(assets: Assets, tiles: str, attribution: str, *, zoom: int, centre: tuple[float, float]) -> folium.Map:
    # maxZoom/minZoom on the map itself: without a tile layer nothing else sets them, and marker clusters need them.
    fmap = folium.Map(tiles=None, zoom_start=zoom, location=list(centre), control_scale=True, maxZoom=18, minZoom=5)
    # Our own origin only: only what this map uses, and none of folium's CDN defaults.
    fmap.default_js = [("leaflet", assets.leaflet_js)]
    fmap.default_css = [("leaflet_css", assets.leaflet_css)]
    if tiles:
        folium.TileLayer(tiles=tiles, attr=attribution or "Basemap", name="Basemap", overlay=True).add_to(fmap)
    return fmap


def build_map(
    rows: Sequence[AreaRow],
    services: Sequence[tuple[float, float, str, str, int, str]],
    flags: Sequence[tuple[float, float, int, str]] | None,
    *,
    resolved: Sequence[tuple[float, float, int, str]] | None = None,
    category_name: str,
    radius_m: float,
    assets: Assets,
    area_url: str,
    service_url: str,
    tiles: str = "",
    attribution: str = "",
    authorities: Sequence[tuple[str, Any, float, float]] = (),
    fit_services: bool = False,
) -> folium.Map:
    """A folium map of the given LSOAs, services and flags (see the module docstring), with the outlines and
    names of ``authorities`` (name, GeoJSON geometry, latitude and longitude of its label) drawn on top.
    ``fit_services`` fits the first view to the services too, not only the areas (an area page's map)."""
    fmap = _base_map(assets, tiles, attribution, zoom=11, centre=(53.8, -2.6))
    geometries = simplify_for_map(rows)
    features = []
    for row, geometry in zip(rows, geometries, strict=True):
        properties = {
            "c": row.code,
            "n": row.name,
            "d": row.imd_decile,
            "m": None if row.nearest_m is None else round(row.nearest_m),
            "w": row.within_radius,
            "p": None if row.per_1000 is None else round(row.per_1000, 2),
            "s": None if row.score is None else round(row.score, 1),
        }
        if row.carried:
            properties["k"] = 1
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    payload = {
        "areas": {"type": "FeatureCollection", "features": features},
        "services": [list(s) for s in services],
        "flags": [list(f) for f in flags or []],
        "resolved": [list(r) for r in resolved or []],
        "palettes": {
            "d": {"colours": DECILE_COLOURS},
            "m": {"colours": DISTANCE_COLOURS, "breaks": DISTANCE_BREAKS, "missing": DISTANCE_COLOURS[-1]},
            "s": {"colours": SCORE_COLOURS, "breaks": SCORE_BREAKS},
        },
        "noData": NO_DATA,
        "category": category_name,
        "radiusKm": f"{radius_m / 1000:g}",
        "level": "lsoa",
        "areaUrl": area_url,
        "serviceUrl": service_url,
        "fillOpacity": 0.55 if tiles else 0.75,
        "outlines": {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": geometry, "properties": {}} for _n, geometry, _la, _lo in authorities
        ]},
        "labels": [[round(la, 5), round(lo, 5), name] for name, _g, la, lo in authorities[:MAX_LABELS]],
    }  # fmt: skip
    data = GapData(payload)
    fmap.add_child(data)
    has_deprivation = any(row.imd_decile is not None for row in rows)
    has_scores = any(row.score is not None for row in rows)
    shown = "s" if has_scores else "d" if has_deprivation else "m"
    layers = [
        ("d", "Deprivation (IMD decile)"),
        ("m", f"Distance to nearest {category_name} service"),
        ("s", f"Gap score: {category_name}"),
    ]
    for key, name in layers:
        fmap.add_child(AreaLayer(data, key, name, show=key == shown))
    fmap.add_child(ServiceLayer(data, "Live services", assets))
    if flags is not None:
        fmap.add_child(FlagLayer(data, "Gap flags"))
    if resolved:
        fmap.add_child(FlagLayer(data, "Gaps resolved", key="resolved"))
    if authorities:
        fmap.add_child(Outlines(data, "Local authority boundaries and names"))
    legend = Legend(
        [
            ("d", "IMD decile", [(DECILE_COLOURS[0], "1: most deprived 10%"), (DECILE_COLOURS[4], "5"),
                                 (DECILE_COLOURS[9], "10: least deprived 10%"), (NO_DATA, "no figures")]),
            ("m", f"Nearest {category_name} service", list(zip(DISTANCE_COLOURS, DISTANCE_LABELS, strict=True))),
            ("s", f"Gap score: {category_name} (higher: a larger gap)",
             [*zip(SCORE_COLOURS, SCORE_LABELS, strict=True), (NO_DATA, "not scored")]),
        ],
        shown=shown,
    )  # fmt: skip
    _finish(fmap, legend)
    if rows:
        # Fitted to the outlines, not the centres, so every area is whole on the first screen.
        west, south, east, north = shapely.total_bounds(shapely.from_geojson([row.geometry for row in rows]))
        if fit_services and services:
            south, north = min(south, *(s[0] for s in services)), max(north, *(s[0] for s in services))
            west, east = min(west, *(s[1] for s in services)), max(east, *(s[1] for s in services))
        fmap.fit_bounds([[float(south), float(west)], [float(north), float(east)]], padding=FIT_PADDING)
    return fmap


def simplify_authorities(rows: Sequence[AuthorityRow]) -> list[Any]:
    """Outlines of authorities for the map: simplified further and rounded to 4 decimals for many of them."""
    geometries = shapely.from_geojson([row.geometry or "null" for row in rows]) if rows else []
    if len(rows) > 60:
        geometries = shapely.simplify(geometries, 0.0003, preserve_topology=True)  # degrees, about 20 to 30 m
        geometries = shapely.transform(geometries, lambda xy: xy.round(4))
    return [None if g is None else json.loads(shapely.to_geojson(g)) for g in geometries]


def _labels(rows: Sequence[AuthorityRow]) -> list[list[Any]]:
    placed = [row for row in rows if row.x is not None and row.y is not None]
    lon, lat = to_wgs84([float(row.x or 0) for row in placed], [float(row.y or 0) for row in placed])
    return [[round(float(la), 5), round(float(lo), 5), row.name] for row, lo, la in zip(placed, lon, lat, strict=True)]


def build_authority_map(
    rows: Sequence[AuthorityRow],
    flags: Sequence[tuple[float, float, int, str]] | None,
    *,
    category_name: str,
    radius_m: float,
    assets: Assets,
    authority_url: str,
    tiles: str = "",
    attribution: str = "",
) -> folium.Map:
    """A folium map of local authorities with their figures aggregated from their LSOAs (see authorities.py)."""
    fmap = _base_map(assets, tiles, attribution, zoom=6, centre=(53.0, -1.8))
    features = []
    for row, geometry in zip(rows, simplify_authorities(rows), strict=True):
        if geometry is None:
            continue
        properties = {
            "c": row.code, "n": row.name, "l": row.lsoas, "pop": row.population,
            "s": None if row.mean_score is None else round(row.mean_score, 1), "w": row.weighted,
            "d": None if row.most_deprived_share is None else round(row.most_deprived_share, 1),
            "dn": row.most_deprived, "dk": row.deprivation_known,
            "m": None if row.no_service_share is None else round(row.no_service_share, 1),
            "mn": row.no_service, "mk": row.measured, "v": row.live_services, "f": row.flags, "k": row.carried,
        }  # fmt: skip
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    radius_km = f"{radius_m / 1000:g}"
    payload = {
        "areas": {"type": "FeatureCollection", "features": features},
        "services": [],
        "flags": [list(f) for f in flags or []],
        "resolved": [],
        "palettes": {
            "d": {"colours": DEPRIVED_SHARE_COLOURS, "breaks": SHARE_BREAKS},
            "m": {"colours": DISTANCE_COLOURS, "breaks": SHARE_BREAKS},
            "s": {"colours": SCORE_COLOURS, "breaks": SCORE_BREAKS},
        },
        "noData": NO_DATA,
        "category": category_name,
        "radiusKm": radius_km,
        "level": "authority",
        "authorityUrl": authority_url,
        "fillOpacity": 0.55 if tiles else 0.75,
        "outlines": {"type": "FeatureCollection", "features": []},
        "labels": _labels(rows) if len(rows) <= MAX_LABELS else [],
    }
    data = GapData(payload)
    fmap.add_child(data)
    has_scores = any(row.mean_score is not None for row in rows)
    has_deprivation = any(row.deprivation_known for row in rows)
    shown = "s" if has_scores else "d" if has_deprivation else "m"
    layers = [
        ("d", "Share of LSOAs in the most deprived 10%"),
        ("m", f"Share of LSOAs with no {category_name} service within {radius_km} km"),
        ("s", f"Mean gap score: {category_name}"),
    ]
    for key, name in layers:
        fmap.add_child(AreaLayer(data, key, name, show=key == shown))
    if flags is not None:
        fmap.add_child(FlagLayer(data, "Gap flags"))
    if payload["labels"]:
        fmap.add_child(Outlines(data, "Local authority names"))
    legend = Legend(
        [
            ("d", "Share of LSOAs in the most deprived 10%",
             list(zip(DEPRIVED_SHARE_COLOURS, SHARE_LABELS, strict=True))),
            ("m", f"Share of LSOAs with no {category_name} service within {radius_km} km",
             list(zip(DISTANCE_COLOURS, SHARE_LABELS, strict=True))),
            ("s", "Mean gap score of its LSOAs (population-weighted where known)",
             [*zip(SCORE_COLOURS, SCORE_LABELS, strict=True), (NO_DATA, "not scored")]),
        ],
        shown=shown,
        note="Aggregated to local authorities: each shows figures over its LSOAs. Click one for its figures and map.",
    )  # fmt: skip
    _finish(fmap, legend)
    drawn = [row.geometry for row in rows if row.geometry]
    if drawn:
        west, south, east, north = shapely.total_bounds(shapely.from_geojson(drawn))
        fmap.fit_bounds([[float(south), float(west)], [float(north), float(east)]], padding=FIT_PADDING)
    return fmap


def render_parts(fmap: folium.Map) -> MapParts:
    """The map's asset links, HTML and script, without folium's page-wide styles and meta tags."""
    root = cast(Figure, fmap.get_root())
    root.render()
    links = [child.render() for child in root.header._children.values() if isinstance(child, JavascriptLink | CssLink)]
    legends = {child.get_name() for child in fmap._children.values() if isinstance(child, Legend)}
    placed = root.html._children.items()
    html = "".join(str(child.render()) for name, child in placed if name not in legends)
    legend = "".join(str(child.render()) for name, child in placed if name in legends)
    script = root.script.render()
    layers = [child.layer_name for child in fmap._children.values() if isinstance(child, Layer) and child.control]
    return MapParts(links=[str(link).strip() for link in links], html=html, script=str(script), layers=layers,
                    legend=legend)  # fmt: skip


def standalone_html(parts: MapParts, title: str = "Gap map") -> str:
    """A whole page holding just the map (for benchmarks and saving a copy)."""
    return (
        f"<!doctype html><html lang='en-GB'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        + "".join(parts.links)
        + "<style>.folium-map{height:90vh}</style></head><body>"
        + parts.html
        + parts.legend
        + "<script>"
        + parts.script
        + "</script></body></html>"
    )
