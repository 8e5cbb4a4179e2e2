// The finder's enhancements; every page works without them.
// Suggestions while typing, "near me", the map (vendored Leaflet) with a click to search there.
(function () {
  "use strict";
  var form = document.getElementById("search");
  var box = document.getElementById("q");

  function clearPoint() {
    if (!form) return;
    form.querySelectorAll("input[data-point]").forEach(function (input) { input.remove(); });
  }

  function searchAt(lat, lon) {
    if (!form) return;
    clearPoint();
    [["lat", lat], ["lon", lon]].forEach(function (pair) {
      var input = document.createElement("input");
      input.type = "hidden"; input.name = pair[0]; input.value = pair[1].toFixed(5);
      input.setAttribute("data-point", "");
      form.appendChild(input);
    });
    if (box) box.value = "";
    form.submit();
  }

  if (box) {
    var list = document.getElementById(box.getAttribute("list"));
    var timer = null;
    box.addEventListener("input", function () {
      clearPoint();
      clearTimeout(timer);
      var typed = box.value.trim();
      if (typed.length < 2 || !window.fetch) return;
      timer = setTimeout(function () {
        fetch(box.getAttribute("data-suggest") + "?q=" + encodeURIComponent(typed))
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (found) {
            list.textContent = "";
            found.forEach(function (place) {
              var option = document.createElement("option");
              option.value = place.name;
              option.label = place.label;
              list.appendChild(option);
            });
          })
          .catch(function () {});
      }, 150);
    });
  }

  var near = document.getElementById("near-me");
  if (near && navigator.geolocation) {
    near.hidden = false;
    var status = document.getElementById("near-me-status");
    near.addEventListener("click", function () {
      status.textContent = "…";
      navigator.geolocation.getCurrentPosition(
        function (position) { searchAt(position.coords.latitude, position.coords.longitude); },
        function (error) { status.textContent = error.message; },
        { timeout: 10000 }
      );
    });
  }

  var data = document.getElementById("finder-data");
  var element = document.getElementById("map");
  if (!data || !element || !window.L) return;
  var state = JSON.parse(data.textContent);
  var map = L.map(element, { scrollWheelZoom: false });
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 18,
    attribution: "© <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a>"
  }).addTo(map);
  var bounds = [];
  state.points.forEach(function (point) {
    var marker = L.circleMarker([point.lat, point.lon], {
      radius: 8, color: "#0b3a66", weight: 2, fillColor: "#f0a030", fillOpacity: 0.9
    }).addTo(map);
    var label = document.createElement("span");
    if (point.href) {
      var anchor = document.createElement("a");
      anchor.href = point.href; anchor.textContent = point.name; label.appendChild(anchor);
    } else {
      label.textContent = point.name;
    }
    marker.bindPopup(label);
    bounds.push([point.lat, point.lon]);
  });
  if (state.origin) {
    L.circleMarker([state.origin.lat, state.origin.lon], {
      radius: 6, color: "#1b1b1b", weight: 3, fillColor: "#ffffff", fillOpacity: 1
    }).addTo(map).bindTooltip(state.labels.here);
    bounds.push([state.origin.lat, state.origin.lon]);
  }
  if (bounds.length > 1) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
  else if (bounds.length === 1) map.setView(bounds[0], 14);
  else map.setView(state.center || [40.3, 15.8], state.zoom || 7);
  if (state.pick) {
    map.on("click", function (event) { searchAt(event.latlng.lat, event.latlng.lng); });
  }
})();
