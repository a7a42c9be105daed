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
            var fill = g.colour(feature.properties, key);
            return {color: "#444", weight: 0.6, fillOpacity: g.fillOpacity, fillColor: fill};
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
            line(box, "Worked out from its " + p.l + " neighbourhoods" +
                 (p.pop === null ? "" : ", population " + p.pop.toLocaleString("en-GB")));
            line(box, "Mean gap score: " + (p.s === null ? "not scored" : Math.round(p.s) + " of 100 (" +
                 (p.w ? "population-weighted" : "unweighted") + " mean of its neighbourhoods)"));
            line(box, "Neighbourhoods in the most deprived 10% of England: " + share(p.dn, p.dk, "not known"));
            line(box, "Neighbourhoods with no " + g.category + " service within " + g.radiusKm + " km: " +
                 share(p.mn, p.mk, "not measured"));
            line(box, "Live " + g.category + " services placed here: " + p.v);
            if (p.f !== null) { line(box, "Gap flags: " + p.f); }
            if (p.k) { line(box, "Deprivation carried from the other edition of the boundaries for " + p.k +
                            " neighbourhoods"); }
            return box;
          }
          function link(box, href, text) {
            var a = document.createElement("a");
            a.setAttribute("href", href);
            a.textContent = text;
            box.appendChild(a);
          }
          g.name = function (p) {
            var box = document.createElement("div");
            box.textContent = p.n + ": click for its figures";
            return box;
          };
          g.figures = function (p) {
            var box = document.createElement("div");
            box.className = "gap-figures";
            var head = document.createElement("strong");
            head.textContent = p.n;
            box.appendChild(head);
            if (g.level === "authority") {
              tipAuthority(p, box);
              link(box, g.authorityUrl + encodeURIComponent(p.c), "Open its map of neighbourhoods");
              return box;
            }
            line(box, "IMD decile: " + (p.d === null ? "not known" : p.d + " of 10 (1 = most deprived)" +
                 (p.k ? ", carried from the other edition of the boundaries" : "")));
            line(box, "Nearest " + g.category + ": " +
                 (p.m === null ? "none located" : (p.m / 1000).toFixed(1) + " km"));
            line(box, "Within " + g.radiusKm + " km: " + (p.w === null ? "-" : p.w) +
                 (p.p === null ? "" : " (" + p.p.toFixed(1) + " per 1,000 residents)"));
            line(box, "Gap score: " + (p.s === null ? "not scored" : Math.round(p.s) + " of 100"));
            link(box, g.areaUrl + encodeURIComponent(p.c), "Open the area page");
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
        {{ this.get_name() }}.gapKey = {{ this.key|tojson }};  // the legend shows this layer's key
        {{ this.get_name() }}.once("add", function () {
          {{ this.get_name() }}.addLayer(L.geoJSON({{ this.data.get_name() }}.areas, {
            style: function (f) { return {{ this.data.get_name() }}.style(f, {{ this.key|tojson }}); },
            onEachFeature: function (f, layer) {
              layer.bindTooltip(function () { return {{ this.data.get_name() }}.name(f.properties); }, {sticky: true});
              layer.bindPopup(function () { return {{ this.data.get_name() }}.figures(f.properties); },
                              {maxWidth: 320});
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
    """The key to the colours of the layer on show (one section per area layer, the others hidden), as plain
    HTML (escaped) that the page places beside the map, never over it (see ``maps.render_parts``)."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}{{ this.markup }}{% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
          var box = document.getElementById({{ this.get_name()|tojson }});
          if (!box) { return; }
          // The colour is set here (CSSOM), since a strict CSP refuses style attributes in markup.
          box.querySelectorAll("[data-colour]").forEach(function (swatch) {
            swatch.style.background = swatch.getAttribute("data-colour");
          });
          {{ this._parent.get_name() }}.on("baselayerchange", function (event) {
            var key = event.layer && event.layer.gapKey;
            if (!key) { return; }
            box.querySelectorAll("[data-layer]").forEach(function (section) {
              section.hidden = section.getAttribute("data-layer") !== key;
            });
          });
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self, sections: Sequence[tuple[str, str, Sequence[tuple[str, str]]]], *, shown: str, note: str = ""
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Legend"
        parts = [f'<div class="gap-legend" id="{self.get_name()}" role="group" aria-label="Key to the colours">']
        if note:
            parts.append(f'<p class="gap-legend-note">{escape(note)}</p>')
        for key, title, keys in sections:
            hidden = "" if key == shown else " hidden"
            parts.append(f'<div class="gap-legend-section" data-layer="{escape(key)}"{hidden}>')
            parts.append(f'<p class="gap-legend-title">{escape(title)}</p><ul>')
            for colour, label in keys:
                parts.append(f'<li><span class="gap-swatch" data-colour="{escape(colour)}"></span>{escape(label)}</li>')
            parts.append("</ul></div>")
        parts.append("</div>")
        self.markup = Markup("".join(parts))  # noqa: S704 - every piece above is escaped


class Outlines(Layer):
    """Local authority outlines and names drawn above the area colourings, in a pane that never takes clicks,
    so a map without a base map still says where it is."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        (function (map, group, data) {
          var pane = map.getPane("gapOutlines") || map.createPane("gapOutlines");
          pane.style.zIndex = 450;
          pane.style.pointerEvents = "none";
          group.addLayer(L.geoJSON(data.outlines, {pane: "gapOutlines", interactive: false,
            style: function () { return {color: "#1b1b1b", weight: 2.5, opacity: 0.9, fill: false}; }}));
          data.labels.forEach(function (place) {
            var text = document.createElement("span");
            text.textContent = place[2];
            group.addLayer(L.tooltip({permanent: true, direction: "center", className: "gap-place-label",
                                      interactive: false, content: text}).setLatLng([place[0], place[1]]));
          });
        })({{ this._parent.get_name() }}, {{ this.get_name() }}, {{ this.data.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data: GapData, name: str) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "Outlines"
        self.data = data


class ControlsBeside(MacroElement):
    """Moves the layer chooser out of the map into the page element with id ``slot`` (when the page has one),
    so no control sits over the drawn areas."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
          var slot = document.getElementById({{ this.slot|tojson }});
          if (slot) { slot.appendChild({{ this.control.get_name() }}.getContainer()); }
        })();
        {% endmacro %}
        """
    )

    def __init__(self, control: MacroElement, slot: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "ControlsBeside"
        self.control = control
        self.slot = slot
