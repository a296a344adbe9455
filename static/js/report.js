// The report forms (public report, staff record): a map of grid polygons drawn from GeoJSON, where a tap sets
// the point (hidden lat/lng) and names the grid; category suggestions to tap; "anonymous" clears the contact.
(function () {
  "use strict";

  // Ray casting over one ring of [lng, lat] pairs.
  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }

  function inGeometry(lng, lat, g) {
    var polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    return polygons.some(function (rings) {
      return inRing(lng, lat, rings[0]) && !rings.slice(1).some(function (hole) { return inRing(lng, lat, hole); });
    });
  }

  function setup(el) {
    var data = JSON.parse(document.getElementById(el.dataset.pickMap).textContent);
    var form = el.closest("form");
    var lat = form.querySelector("input[name=lat]");
    var lng = form.querySelector("input[name=lng]");
    var out = document.getElementById("pick-result");
    var clear = document.getElementById("pick-clear");
    var locate = document.getElementById("pick-locate");
    var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
    var layer = L.geoJSON(data, {
      style: function () { return { color: "#1565c0", weight: 1.5, fillOpacity: 0.08 }; },
      onEachFeature: function (f, l) { l.bindTooltip(f.properties.name, { sticky: true }); }
    }).addTo(map);
    if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
    else { map.setView([30.6, 103.9], 13); }
    var marker = null;

    function pick(ll) {
      lat.value = ll.lat.toFixed(6);
      lng.value = ll.lng.toFixed(6);
      if (marker) { marker.setLatLng(ll); }
      else { marker = L.circleMarker(ll, { radius: 9, color: "#c62828", weight: 3, fillOpacity: 0.5 }).addTo(map); }
      var hit = data.features.filter(function (f) { return inGeometry(ll.lng, ll.lat, f.geometry); })[0];
      out.textContent = hit ? el.dataset.inGrid.replace("{grid}", hit.properties.name) : el.dataset.outside;
      el.dataset.pickedGrid = hit ? String(hit.properties.id) : "";
      clear.hidden = false;
    }

    map.on("click", function (e) { pick(e.latlng); });
    clear.addEventListener("click", function () {
      lat.value = lng.value = "";
      if (marker) { map.removeLayer(marker); marker = null; }
      out.textContent = el.dataset.none;
      el.dataset.pickedGrid = "";
      clear.hidden = true;
    });
    if (navigator.geolocation) {
      locate.hidden = false;
      locate.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (pos) {
          var ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
          pick(ll);
          map.setView(ll, Math.max(map.getZoom(), 16));
        }, function () { out.textContent = el.dataset.noLocation; }, { enableHighAccuracy: true, timeout: 10000 });
      });
    }
    if (lat.value && lng.value) { pick(L.latLng(parseFloat(lat.value), parseFloat(lng.value))); }  // after an error
    el.leafletMap = map;
    el.dataset.features = String(layer.getLayers().length);
    el.classList.add("map-ready");
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-pick-map]").forEach(setup);
    var anonymous = document.querySelector("input[name=anonymous]");
    if (anonymous) {
      var contact = ["reporter_name", "reporter_phone"].map(function (n) {
        return document.querySelector("input[name=" + n + "]");
      }).filter(Boolean);
      var sync = function () { contact.forEach(function (i) { i.disabled = anonymous.checked; }); };
      anonymous.addEventListener("change", sync);
      sync();
    }
  });

  // A tapped suggestion puts its category in the select.
  document.addEventListener("click", function (e) {
    var chip = e.target.closest ? e.target.closest("[data-category]") : null;
    var select = document.getElementById("id_category");
    if (!chip || !select) { return; }
    select.value = chip.dataset.category;
    document.querySelectorAll("[data-category]").forEach(function (c) {
      c.setAttribute("aria-pressed", String(c === chip));
    });
  });
})();
