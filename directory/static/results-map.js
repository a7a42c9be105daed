/* The search results on a map around the client's postcode: numbered markers that match the list.
   The list is the page; this only adds to it, so the search works the same without JavaScript.
   Names reach the map through textContent only, never as HTML. */
(function () {
  "use strict";
  var box = document.getElementById("results-map");
  var source = document.getElementById("results-map-data");
  if (!box || !source || typeof L === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var map = L.map(box, {scrollWheelZoom: false, maxZoom: 18, minZoom: 5});
  var tiles = box.getAttribute("data-tiles");
  if (tiles) {
    L.tileLayer(tiles, {attribution: box.getAttribute("data-attribution") || "Basemap", maxZoom: 18}).addTo(map);
  }
  var origin = [data.origin[0], data.origin[1]];
  L.circle(origin, {radius: data.radiusKm * 1000, color: "#005a9c", weight: 1, fill: false,
                               interactive: false}).addTo(map);
  var home = L.circleMarker(origin, {radius: 7, color: "#0b0c0c", weight: 3, fillColor: "#ffdd00",
                                     fillOpacity: 1}).addTo(map);
  var here = document.createElement("span");
  here.textContent = data.origin[2];
  home.bindTooltip(here, {permanent: true, direction: "right", className: "results-map-origin"});
  var bounds = L.latLngBounds([origin]);
  var serviceUrl = box.getAttribute("data-service-url");
  data.points.forEach(function (p) {
    var label = document.createElement("span");
    label.textContent = String(p[0]);
    var icon = L.divIcon({className: "results-map-marker", html: label, iconSize: [26, 26], iconAnchor: [13, 13]});
    var marker = L.marker([p[1], p[2]], {icon: icon, title: p[0] + ". " + p[3], alt: p[0] + ". " + p[3],
                                         keyboard: false});
    var popup = document.createElement("div");
    var link = document.createElement("a");
    link.setAttribute("href", serviceUrl + String(p[4]));
    link.textContent = p[0] + ". " + p[3];
    popup.appendChild(link);
    marker.bindPopup(popup);
    marker.addTo(map);
    bounds.extend([p[1], p[2]]);
  });
  map.fitBounds(bounds, {padding: [28, 28], maxZoom: 15});
  box.setAttribute("data-drawn", String(data.points.length));
})();
