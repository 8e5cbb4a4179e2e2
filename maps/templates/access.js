// The accessible list's behaviour, shared by the standalone and the served maps: the map's
// summary as its accessible name, a fit padded away from the panel, and each list entry
// (comune or service) handed to the map's own `go` functions, which open it on the map.
function obsAccessibleList(map, summary, go) {
    var container = map.getContainer();
    container.setAttribute("role", "region");
    container.setAttribute("aria-label", summary);
    var selected = document.getElementById("obs-selected");
    function padding() {
        var panel = document.querySelector(".obs-panel");
        var wide = panel && window.innerWidth > 2 * panel.offsetWidth + 100;
        return {paddingTopLeft: [wide ? panel.offsetWidth + 30 : 10, 10],
                paddingBottomRight: [60, 10]};
    }
    function show(html) { selected.innerHTML = html; }  // the map's own escaped HTML
    function point(button) { return button.dataset.point.split(",").map(Number); }  // lat,lon
    function fit(bounds) {  // a comune's bounds, no further in than needed, without animation
        var options = padding();
        options.maxZoom = Math.max(map.getZoom(), 11);
        options.animate = false;  // a marker chosen next must not meet a moving map
        map.fitBounds(bounds, options);
    }
    function openAt(latlng, html) {
        L.popup({maxWidth: 320}).setLatLng(latlng).setContent(html).openOn(map);
        show(html);
    }
    var list = document.querySelector(".obs-list");
    if (list) list.addEventListener("click", function (event) {
        var button = event.target.closest("button[data-comune], button[data-service]");
        if (!button) return;
        if (button.dataset.comune) go.comune(button); else go.service(button);
    });
    return {padding: padding, show: show, point: point, fit: fit, openAt: openAt};
}
