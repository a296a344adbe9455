// Draws the GeoJSON found in a <script type="application/json"> next to each [data-map] element.
// No tile server is needed: grid polygons and building points are the map.
(function () {
  function draw(el) {
    var data = JSON.parse(document.getElementById(el.dataset.map).textContent);
    var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
    var layer = L.geoJSON(data, {
      style: function (f) {
        return { color: f.properties.highlight ? "#c62828" : "#1565c0", weight: f.properties.highlight ? 3 : 1.5,
                 fillOpacity: f.properties.highlight ? 0.15 : 0.08 };
      },
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 4, color: "#ef6c00" }); },
      onEachFeature: function (f, l) {
        if (f.properties.name) { l.bindTooltip(f.properties.name, { sticky: true }); }
        if (f.properties.url) { l.on("click", function () { window.location = f.properties.url; }); }
      }
    }).addTo(map);
    if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
    else { map.setView([30.6, 103.9], 13); }
    el.dataset.features = String(layer.getLayers().length);
    el.classList.add("map-ready");
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-map]").forEach(draw);
  });
})();
