"""The gap map: a folium map of LSOAs (deprivation, nearest service, gap score), live services and gap flags.

Light by design: the LSOA outlines are written once and shared by the three area layers; properties
are short keys; coordinates are rounded and simplified further for large areas. Safe by design:
every name (service, organisation, LSOA) travels as JSON data and reaches the page only through
``textContent`` and element attributes, never as HTML, so hostile text stays text. Leaflet and the
marker-cluster plugin are linked from this app's own origin (see ``views.py``), never a CDN.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import folium
import numpy as np
import shapely
from branca.element import CssLink, Figure, JavascriptLink, MacroElement
from folium.map import Layer
from folium.template import Template
from markupsafe import Markup, escape

from geo.crs import to_wgs84

from ..core.db import DbSession
from .areas import AreaRow, area_rows
from .authorities import AuthorityRow, authority_rows
from .demand import gap_flag_counts, resolved_counts
from .live_services import live_services

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
DEPRIVED_SHARE_COLOURS = ["#f1eef6", "#d7b5d8", "#df65b0", "#dd1c77", "#980043"]


def centre_wgs84(rows: Sequence[AreaRow]) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of the rows' centres."""
    return to_wgs84(np.array([r.x for r in rows], dtype=float), np.array([r.y for r in rows], dtype=float))


def safe_json(value: Any) -> str:
    """JSON that can sit inside a <script> element: no closing tags, comments or line separators survive."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                          ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(char, escaped)
    return text


@dataclass(frozen=True)
class Assets:
    """Where the browser gets Leaflet and its marker-cluster plugin: URLs on this app's own origin."""

    leaflet_js: str
    leaflet_css: str
    markercluster_js: str
    markercluster_css: str
    markercluster_default_css: str


class GapData(MacroElement):
    """The map's data, written once, and the small functions every layer shares."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {{ this.payload }};
        (function (g) {
          function bin(value, breaks) {
            var i = 0;
            while (i < breaks.length && value >= breaks[i]) { i += 1; }
            return i;
          }
          g.colour = function (p, key) {
            var v = p[key], palette = g.palettes[key];
            if (v === null || v === undefined) { return palette.missing || g.noData; }
            if (!palette.breaks) { return palette.colours[v - 1] || g.noData; }
            return palette.colours[bin(v, palette.breaks)];
          };
          g.style = function (feature, key) {
            return {color: "#444", weight: 0.6, fillOpacity: 0.7, fillColor: g.colour(feature.properties, key)};
          };
          function line(parent, text) {
            var div = document.createElement("div");
            div.textContent = text;
            parent.appendChild(div);
          }
          function share(count, known, words) {
            return known ? count + " of " + known + " (" + Math.round(100 * count / known) + "%)" : words;
          }
          function tipAuthority(p, box) {
            line(box, "Aggregated from its " + p.l + " LSOAs" +
                 (p.pop === null ? "" : ", population " + p.pop.toLocaleString("en-GB")));
            line(box, "Mean gap score: " + (p.s === null ? "not scored" : Math.round(p.s) + " of 100 (" +
                 (p.w ? "population-weighted" : "unweighted") + " mean of its LSOAs)"));
            line(box, "LSOAs in the most deprived 10% of England: " + share(p.dn, p.dk, "not known"));
            line(box, "LSOAs with no " + g.category + " service within " + g.radiusKm + " km: " +
                 share(p.mn, p.mk, "not measured"));
            line(box, "Live " + g.category + " services placed here: " + p.v);
            if (p.f !== null) { line(box, "Gap flags: " + p.f); }
            if (p.k) { line(box, "Deprivation carried from the other LSOA edition for " + p.k + " LSOAs"); }
            line(box, "Click for its map of LSOAs");
            return box;
          }
          g.open = function (p) {
            window.location.href = (g.level === "authority" ? g.authorityUrl : g.areaUrl) + encodeURIComponent(p.c);
          };
          g.tip = function (p) {
            var box = document.createElement("div");
            var head = document.createElement("strong");
            head.textContent = p.n + " (" + p.c + ")";
            box.appendChild(head);
            if (g.level === "authority") { return tipAuthority(p, box); }
            line(box, "IMD decile: " + (p.d === null ? "not known" : p.d + " of 10 (1 = most deprived)" +
                 (p.k ? ", carried from the other LSOA edition" : "")));
            line(box, "Nearest " + g.category + ": " +
                 (p.m === null ? "none located" : (p.m / 1000).toFixed(1) + " km"));
            line(box, "Within " + g.radiusKm + " km: " + (p.w === null ? "-" : p.w) +
                 (p.p === null ? "" : " (" + p.p.toFixed(1) + " per 1,000 residents)"));
            line(box, "Gap score: " + (p.s === null ? "not scored" : Math.round(p.s) + " of 100"));
            return box;
          };
          g.popup = function (s) {
            var box = document.createElement("div");
            var head = document.createElement("strong");
            head.textContent = s[2];
            box.appendChild(head);
            line(box, s[3]);
            line(box, s[5]);
            var link = document.createElement("a");
            link.setAttribute("href", g.serviceUrl + String(s[4]));
            link.textContent = "Open the listing";
            box.appendChild(link);
            return box;
          };
        })({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "GapData"
        self.payload = Markup(safe_json(payload))  # noqa: S704 - safe_json escapes everything HTML could read


class AreaLayer(Layer):
    """One colouring of the shared outlines: of LSOAs (key "d" decile, "m" distance, "s" gap score) or of
    local authorities ("d" share most deprived, "m" share with no service, "s" mean gap score)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        // Built when first shown: only the colouring on screen costs the browser anything.
        var {{ this.get_name() }} = L.layerGroup();
        {{ this.get_name() }}.once("add", function () {
          {{ this.get_name() }}.addLayer(L.geoJSON({{ this.data.get_name() }}.areas, {
            style: function (f) { return {{ this.data.get_name() }}.style(f, {{ this.key|tojson }}); },
            onEachFeature: function (f, layer) {
              layer.bindTooltip(function () { return {{ this.data.get_name() }}.tip(f.properties); }, {sticky: true});
              layer.on("click", function () { {{ this.data.get_name() }}.open(f.properties); });
            }
          }));
        });
        {% endmacro %}
        """
    )

    def __init__(self, data: GapData, key: str, name: str, *, show: bool) -> None:
        super().__init__(name=name, overlay=False, control=True, show=show)
        self._name = "AreaLayer"
        self.data = data
        self.key = key


class ServiceLayer(Layer):
    """Live services as clustered markers whose popups are built from text, never HTML."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.markerClusterGroup({showCoverageOnHover: false, maxClusterRadius: 40});
        {{ this.data.get_name() }}.services.forEach(function (s) {
          var marker = L.marker([s[0], s[1]], {alt: s[2], title: s[2]});
          marker.bindPopup(function () { return {{ this.data.get_name() }}.popup(s); });
          {{ this.get_name() }}.addLayer(marker);
        });
        {% endmacro %}
        """
    )

    def __init__(self, data: GapData, name: str, assets: Assets) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "ServiceLayer"
        self.data = data
        self.assets = assets

    def render(self, **kwargs: Any) -> Any:
        figure = cast(Figure, self.get_root())
        figure.header.add_child(JavascriptLink(self.assets.markercluster_js), name="markercluster_js")
        figure.header.add_child(CssLink(self.assets.markercluster_css), name="markercluster_css")
        figure.header.add_child(CssLink(self.assets.markercluster_default_css), name="markercluster_default_css")
        return super().render(**kwargs)  # type: ignore[no-untyped-call]


class FlagLayer(Layer):
    """Gap flags recorded by link workers (or, with key "resolved", backlog items resolved), one circle per
    LSOA sized by the count."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        {{ this.data.get_name() }}[{{ this.key|tojson }}].forEach(function (f) {
          var circle = L.circleMarker([f[0], f[1]], {radius: 5 + Math.min(f[2], 10), color: "#000", weight: 2,
                                                       fillColor: {{ this.fill|tojson }}, fillOpacity: 0.9});
          var tip = document.createElement("div");
          tip.textContent = f[2] + (f[2] === 1 ? {{ this.one|tojson }} : {{ this.many|tojson }}) + f[3];
          circle.bindTooltip(tip);
          {{ this.get_name() }}.addLayer(circle);
        });
        {% endmacro %}
        """
    )

    def __init__(self, data: GapData, name: str, key: str = "flags") -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "FlagLayer"
        self.data = data
        self.key = key
        resolved = key == "resolved"
        self.fill = "#2e7d32" if resolved else "#ffd400"
        self.one, self.many = (
            (" gap resolved in ", " gaps resolved in ") if resolved else (" gap flag in ", " gap flags in ")
        )


class Legend(MacroElement):
    """The key to the colours, as plain HTML (escaped), moved into a map control by the script."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}{{ this.markup }}{% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
          var legend = L.control({position: "bottomright"});
          legend.onAdd = function () {
            var box = document.getElementById({{ this.get_name()|tojson }});
            box.hidden = false;
            box.querySelectorAll("[data-colour]").forEach(function (swatch) {
              swatch.style.background = swatch.getAttribute("data-colour");
            });
            L.DomEvent.disableClickPropagation(box);
            L.DomEvent.disableScrollPropagation(box);
            return box;
          };
          legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, sections: Sequence[tuple[str, Sequence[tuple[str, str]]]], note: str = "") -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Legend"
        parts = [f'<div class="gap-legend" id="{self.get_name()}" hidden>']
        if note:
            parts.append(f'<p class="gap-legend-note">{escape(note)}</p>')
        for title, keys in sections:
            parts.append(f'<p class="gap-legend-title">{escape(title)}</p><ul>')
            for colour, label in keys:
                # The colour is set by the script (CSSOM), since a strict CSP refuses style attributes in markup.
                parts.append(f'<li><span class="gap-swatch" data-colour="{escape(colour)}"></span>{escape(label)}</li>')
            parts.append("</ul>")
        parts.append("</div>")
        self.markup = Markup("".join(parts))  # noqa: S704 - every piece above is escaped


@dataclass
class MapParts:
    """A rendered map, ready to place in a page: asset tags, the map's HTML and its script."""

    links: list[str]
    html: str
    script: str
    layers: list[str]

    @property
    def size(self) -> int:
        return sum(len(part.encode()) for part in (*self.links, self.html, self.script))


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
) -> folium.Map:
    """A folium map of the given LSOAs, services and flags (see the module docstring)."""
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
    }
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
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.add_child(
        Legend(
            [
                (
                    "IMD decile",
                    [
                        (DECILE_COLOURS[0], "1: most deprived 10%"),
                        (DECILE_COLOURS[4], "5"),
                        (DECILE_COLOURS[9], "10: least deprived 10%"),
                        (NO_DATA, "no figures"),
                    ],
                ),  # fmt: skip
                (f"Nearest {category_name} service", list(zip(DISTANCE_COLOURS, DISTANCE_LABELS, strict=True))),
                ("Gap score", [*zip(SCORE_COLOURS, SCORE_LABELS, strict=True), (NO_DATA, "not scored")]),
            ]
        )
    )
    if rows:
        lon, lat = centre_wgs84(rows)
        fmap.fit_bounds([[float(lat.min()), float(lon.min())], [float(lat.max()), float(lon.max())]])
    return fmap


def simplify_authorities(rows: Sequence[AuthorityRow]) -> list[Any]:
    """Outlines of authorities for the map: simplified further and rounded to 4 decimals for many of them."""
    geometries = shapely.from_geojson([row.geometry or "null" for row in rows]) if rows else []
    if len(rows) > 60:
        geometries = shapely.simplify(geometries, 0.0003, preserve_topology=True)  # degrees, about 20 to 30 m
        geometries = shapely.transform(geometries, lambda xy: xy.round(4))
    return [None if g is None else json.loads(shapely.to_geojson(g)) for g in geometries]


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
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.add_child(
        Legend(
            [
                (
                    "Share of LSOAs in the most deprived 10%",
                    list(zip(DEPRIVED_SHARE_COLOURS, SHARE_LABELS, strict=True)),
                ),
                (
                    f"Share of LSOAs with no {category_name} service within {radius_km} km",
                    list(zip(DISTANCE_COLOURS, SHARE_LABELS, strict=True)),
                ),
                (
                    "Mean gap score of its LSOAs (population-weighted where known)",
                    [*zip(SCORE_COLOURS, SCORE_LABELS, strict=True), (NO_DATA, "not scored")],
                ),
            ],  # fmt: skip
            note=(
                "Aggregated to local authorities: each authority shows figures over its LSOAs. "
                "Click one for its map of LSOAs."
            ),
        )
    )
    drawn = [row.geometry for row in rows if row.geometry]
    if drawn:
        west, south, east, north = shapely.total_bounds(shapely.from_geojson(drawn))
        fmap.fit_bounds([[float(south), float(west)], [float(north), float(east)]])
    return fmap


def render_parts(fmap: folium.Map) -> MapParts:
    """The map's asset links, HTML and script, without folium's page-wide styles and meta tags."""
    root = cast(Figure, fmap.get_root())
    root.render()
    links = [child.render() for child in root.header._children.values() if isinstance(child, JavascriptLink | CssLink)]
    html = root.html.render()
    script = root.script.render()
    layers = [child.layer_name for child in fmap._children.values() if isinstance(child, Layer) and child.control]
    return MapParts(links=[str(link).strip() for link in links], html=str(html), script=str(script), layers=layers)


@dataclass
class RenderedMap:
    """A map page's map, ready to cache: its parts (None when there is nothing to draw) and what it shows."""

    parts: MapParts | None
    areas: int  # LSOAs, or local authorities when aggregated
    aggregated: bool
    has_deprivation: bool

    @property
    def size(self) -> int:
        return (self.parts.size if self.parts is not None else 0) + 200


@dataclass(frozen=True)
class MapUrls:
    """Where the map's links go: an LSOA's page, a listing, and an authority's own map (each + a code or id)."""

    area: str
    service: str
    authority: str


def render_lsoa_map(
    session: DbSession, config: Mapping[str, Any], lads: Sequence[str], category: str, category_name: str,
    assets: Assets, urls: MapUrls,
) -> RenderedMap:  # fmt: skip
    """The map of every LSOA of the authorities, with live services of the category, gap flags and resolved gaps."""
    rows = area_rows(session, lads, category)
    has_deprivation = any(row.imd_decile is not None for row in rows)
    if not rows:
        return RenderedMap(None, 0, False, has_deprivation)
    lon, lat = centre_wgs84(rows)
    # Services a little beyond the areas too: the nearest service of an area at the edge may be next door.
    bbox = (float(lat.min()) - 0.05, float(lat.max()) + 0.05, float(lon.min()) - 0.08, float(lon.max()) + 0.08)
    nearby = live_services(session, config, category=category, bbox=bbox)
    markers = [
        (round(float(r.latitude), 5), round(float(r.longitude), 5), str(r.name), str(r.organisation),
         int(r.service_id), category_name)
        for r in cast(Any, nearby.drop_duplicates(["service_id", "latitude", "longitude"])).itertuples()
    ]  # fmt: skip
    flag_counts = gap_flag_counts(session, category)
    flags = None
    if flag_counts is not None:
        flags = [
            (round(float(la), 5), round(float(lo), 5), flag_counts[row.code], row.name)
            for row, lo, la in zip(rows, lon, lat, strict=True)
            if flag_counts.get(row.code)
        ]
    resolved_here = resolved_counts(session, category)
    resolved = [
        (round(float(la), 5), round(float(lo), 5), resolved_here[row.code], row.name)
        for row, lo, la in zip(rows, lon, lat, strict=True)
        if resolved_here.get(row.code)
    ]
    fmap = build_map(
        rows, markers, flags, resolved=resolved, category_name=category_name,
        radius_m=float(config["GAP_RADIUS_M"]), assets=assets, area_url=urls.area, service_url=urls.service,
        tiles=config["GAP_MAP_TILES"], attribution=config["GAP_MAP_ATTRIBUTION"],
    )  # fmt: skip
    return RenderedMap(render_parts(fmap), len(rows), False, has_deprivation)


def render_authority_map(
    session: DbSession, config: Mapping[str, Any], lads: Sequence[str], category: str, category_name: str,
    names: Mapping[str, str], assets: Assets, urls: MapUrls,
) -> RenderedMap:  # fmt: skip
    """The map of the authorities, each with its figures aggregated from its LSOAs and a link to its own map."""
    rows = authority_rows(session, config, lads, category, names=names)
    has_deprivation = any(row.deprivation_known for row in rows)
    if not rows:
        return RenderedMap(None, 0, True, has_deprivation)
    flags = None
    if any(row.flags is not None for row in rows):
        flagged = [row for row in rows if row.flags and row.x is not None and row.y is not None]
        lon, lat = to_wgs84([float(row.x or 0) for row in flagged], [float(row.y or 0) for row in flagged])
        flags = [
            (round(float(la), 5), round(float(lo), 5), int(row.flags or 0), row.name)
            for row, lo, la in zip(flagged, lon, lat, strict=True)
        ]
    fmap = build_authority_map(
        rows, flags, category_name=category_name, radius_m=float(config["GAP_RADIUS_M"]), assets=assets,
        authority_url=urls.authority, tiles=config["GAP_MAP_TILES"], attribution=config["GAP_MAP_ATTRIBUTION"],
    )  # fmt: skip
    return RenderedMap(render_parts(fmap), len(rows), True, has_deprivation)


def standalone_html(parts: MapParts, title: str = "Gap map") -> str:
    """A whole page holding just the map (for benchmarks and saving a copy)."""
    return (
        f"<!doctype html><html lang='en-GB'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        + "".join(parts.links)
        + "<style>.folium-map{height:90vh}</style></head><body>"
        + parts.html
        + "<script>"
        + parts.script
        + "</script></body></html>"
    )


__all__ = [
    "Assets",
    "MapParts",
    "MapUrls",
    "RenderedMap",
    "build_authority_map",
    "build_map",
    "render_authority_map",
    "render_lsoa_map",
    "render_parts",
    "safe_json",
    "standalone_html",
]
