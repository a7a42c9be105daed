"""The pieces a gap map is made of, as folium elements: the map's data written once with the small functions
every layer shares, the area colourings, live services as clustered markers, gap flags, and the legend.

Safe by design: every name (service, organisation, LSOA) travels as JSON data (``safe_json``) and
reaches the page only through ``textContent`` and element attributes, never as HTML, so hostile text
stays text. Leaflet and the marker-cluster plugin are linked from this app's own origin (``Assets``),
never a CDN.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from branca.element import CssLink, Figure, JavascriptLink, MacroElement
from folium.map import Layer
from folium.template import Template
from markupsafe import Markup, escape


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
