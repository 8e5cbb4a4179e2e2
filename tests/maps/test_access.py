"""The maps by keyboard and screen reader, in a real headless Chromium with no internet.

axe-core (vendored from npm) finds no WCAG 2.1 A/AA violation on a coverage, a gap and a
missing-categories map in Italian and English; every comune and service on a map can be
reached by Tab (its entry in the map's list) and opened on the map by Enter; the layer
control and the panel leave the area the map shows uncovered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from maps.assets import VENDOR_DIR
from maps.data import MapParameters, resolve_scope
from maps.publish import write_maps
from tests.maps.browser import offline_page, open_map, screenshot
from tests.maps.conftest import CATCHMENT_KM
from tests.maps.seed import XSS_NAME

pytestmark = pytest.mark.browser

AXE = VENDOR_DIR / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

AXE_JS = """async (tags) => {
    const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                            resultTypes: ["violations"]});
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ` +
        v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "));
}"""

# What the map holds, read from Leaflet itself: comuni drawn, services in every marker layer
# (shown or hidden), so the list is checked against the map and not against itself.
FEATURES_JS = """() => {
    const map = Object.values(window).find((value) => value instanceof L.Map);
    const comuni = new Set();
    map.eachLayer((layer) => {
        if (layer.feature && layer.feature.properties.code !== undefined)
            comuni.add(String(layer.feature.properties.code));
    });
    const services = new Set();
    Object.values(window).filter((value) => value instanceof L.MarkerClusterGroup)
        .forEach((group) => group.getLayers().forEach(
            (marker) => services.add(String(marker.options.serviceId))));
    return {comuni: [...comuni], services: [...services]};
}"""

FOCUSED_JS = """() => {
    const el = document.activeElement;
    return {tag: el.tagName, list: Boolean(el.closest(".obs-list")),
            summary: el.matches(".obs-list > summary"),
            comune: el.dataset.comune || null, service: el.dataset.service || null};
}"""

LAYOUT_JS = """() => {
    const map = Object.values(window).find((value) => value instanceof L.Map);
    const data = L.latLngBounds(%s);
    const nw = map.latLngToContainerPoint(data.getNorthWest());
    const se = map.latLngToContainerPoint(data.getSouthEast());
    const box = map.getContainer().getBoundingClientRect();
    const rect = (el) => { const r = el.getBoundingClientRect();
                           return [r.left, r.top, r.right, r.bottom]; };
    const control = document.querySelector(".leaflet-control-layers");
    return {data: [box.left + nw.x, box.top + nw.y, box.left + se.x, box.top + se.y],
            panel: rect(document.querySelector(".obs-panel")), control: rect(control),
            expanded: control.classList.contains("leaflet-control-layers-expanded")};
}"""


@pytest.fixture(scope="module")
def english_gap_map(seeded, tmp_path_factory) -> Path:
    """Basilicata's gap map of health services (SAN) in English, without tiles."""
    out = tmp_path_factory.mktemp("maps-en")
    scope = resolve_scope(seeded, "basilicata")
    params = MapParameters("SAN", catchment_km=CATCHMENT_KM)
    write_maps(seeded, [scope], out, params, "en", False)
    return out / "basilicata/gaps-SAN.en.html"


@pytest.fixture(scope="module")
def page(rendered) -> Iterator:
    """One offline Chromium page for the module."""
    with offline_page() as (opened, _log):
        yield opened


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_JS, WCAG_TAGS)


def walk_list_by_tab(
    page, entries: int, on_entry: Callable[[object], None] | None = None
) -> tuple[set[str], set[str]]:
    """Tab from the top of the page to the map's list, open it by Enter, then Tab through its
    entries (calling `on_entry(page)` on each); return the comuni and services reached."""
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_JS)["summary"]:
            break
    else:
        pytest.fail("the map's list cannot be reached by Tab")
    page.keyboard.press("Enter")
    comuni, services = set(), set()
    for _ in range(entries + 5):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_JS)
        if not focused["list"]:
            break
        if on_entry is not None:
            on_entry(page)
        comuni.add(focused["comune"])
        services.add(focused["service"])
    return comuni - {None}, services - {None}


def open_list_and_select(page) -> None:
    """Open the accessible list, then one comune and one service from it (by keyboard)."""
    page.locator(".obs-list > summary").focus()
    page.keyboard.press("Enter")
    page.locator("button[data-comune]").first.focus()
    page.keyboard.press("Enter")
    page.locator(".leaflet-popup-content").wait_for()
    services = page.locator("button[data-service]")
    if services.count():
        services.first.focus()
        page.keyboard.press("Enter")
        page.wait_for_timeout(800)


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("campania/napoli/coverage.html", "coverage it"),
        ("campania/coverage.en.html", "coverage en"),
        ("basilicata/gaps-SAN.html", "gaps it"),
        (None, "gaps en"),
        ("campania/gaps.html", "missing it"),
        ("campania/gaps.en.html", "missing en"),
    ],
)
def test_axe_finds_no_wcag_violation(rendered, english_gap_map, page, path, kind):
    target = english_gap_map if path is None else rendered.out_dir / path
    open_map(page, target.as_uri())
    assert axe_violations(page) == [], f"{kind} on load"
    open_list_and_select(page)
    assert axe_violations(page) == [], f"{kind} with the list and a popup open"


def test_every_comune_and_service_is_reachable_by_tab(rendered, page):
    open_map(page, (rendered.out_dir / "campania/napoli/coverage.html").as_uri())
    on_map = page.evaluate(FEATURES_JS)
    assert len(on_map["comuni"]) > 20 and len(on_map["services"]) > 10
    comuni, services = walk_list_by_tab(page, len(on_map["comuni"]) + len(on_map["services"]))
    assert comuni == set(on_map["comuni"])
    assert services == set(on_map["services"])


def test_enter_on_a_list_entry_opens_the_feature_on_the_map(rendered, page):
    open_map(page, (rendered.out_dir / "campania/coverage.html").as_uri())
    page.locator(".obs-list > summary").click()
    napoli = page.locator("button[data-comune='63049']")
    napoli.focus()
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.inner_text().startswith("Napoli")
    assert page.locator("#obs-selected").inner_text().startswith("Napoli")
    service = page.locator("button[data-service]", has_text=XSS_NAME)
    service.focus()
    page.keyboard.press("Enter")
    name = page.locator(".leaflet-popup-content .service-name")
    name.wait_for()
    assert name.inner_text() == XSS_NAME
    assert page.locator(".leaflet-popup-content script").count() == 0
    details = page.locator(".leaflet-popup-content").inner_text()
    assert "arabo, albanese" in details  # languages by name, in the map's language
    assert "Napoli" in details and "Categoria" in details
    screenshot(page, "campania-coverage-list")


def test_a_hidden_service_layer_opens_from_the_list(rendered, page):
    open_map(page, (rendered.out_dir / "basilicata/gaps-SAN.html").as_uri())
    assert page.evaluate(
        "() => document.querySelectorAll('.leaflet-marker-pane *, path.leaflet-interactive')"
        ".length") > 0
    page.locator(".obs-list > summary").click()
    button = page.locator("button[data-service]").first
    text = button.inner_text()
    button.focus()
    page.keyboard.press("Enter")
    name = page.locator(".leaflet-popup-content .service-name")
    name.wait_for()
    assert name.inner_text() == text


def test_the_map_has_its_summary_as_accessible_name(rendered, page):
    open_map(page, (rendered.out_dir / "campania/gaps.html").as_uri())
    container = page.locator(".leaflet-container")
    name = container.get_attribute("aria-label")
    assert container.get_attribute("role") == "region"
    assert name == page.locator("#obs-summary").inner_text()
    assert name.startswith("Categorie mancanti — Campania.")
    assert "Comuni con almeno una categoria mancante:" in name


@pytest.mark.parametrize("path", ["campania/coverage.html", "sicilia/gaps.html"])
def test_layer_control_and_panel_leave_the_data_uncovered(rendered, seeded, page, path):
    from maps.data import comuni, resolve_scope
    from maps.simplify import main_land_bounds

    scope = resolve_scope(seeded, path.split("/")[0])
    west, south, east, north = main_land_bounds(comuni(seeded, scope).geometry)
    open_map(page, (rendered.out_dir / path).as_uri())
    layout = page.evaluate(LAYOUT_JS % [[float(south), float(west)], [float(north), float(east)]])
    screenshot(page, path.replace("/", "-").replace(".html", "-layout"))
    assert not layout["expanded"]
    left, top, right, bottom = layout["data"]
    for name in ("panel", "control"):
        other_left, other_top, other_right, other_bottom = layout[name]
        overlaps = (left < other_right and other_left < right
                    and top < other_bottom and other_top < bottom)
        assert not overlaps, f"the {name} {layout[name]} covers the data {layout['data']}"


def test_axe_finds_no_wcag_violation_on_the_index(rendered, page):
    page.goto((rendered.out_dir / "index.html").as_uri())
    assert axe_violations(page) == []
