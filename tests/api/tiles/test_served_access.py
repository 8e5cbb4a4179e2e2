"""The maps the API serves (drawn from vector tiles) by keyboard and screen reader, offline.

The same checks as the standalone files (tests/maps/test_access.py), on the served pages:
axe-core finds no WCAG 2.1 A/AA violation on the coverage, gap and missing-categories pages
in Italian and English; Tab alone reaches every comune and service of the Napoli area map,
each checked against what the tiles draw, and Enter opens each on the map; a service's popup
is the standalone map's, field for field; every page stays under 300 KB.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.maps.browser import offline_page, screenshot
from tests.maps.test_access import axe_violations, walk_list_by_tab

pytestmark = pytest.mark.browser

MAX_PAGE_BYTES = 300_000
NAPOLI_AREA = "/maps/campania/napoli"

# What the vector tiles drew (ids of the features of every loaded tile), so the list is
# checked against the map and not against itself.
DRAWN_JS = """() => {
    const drawn = {};
    window.observatoryMap.eachLayer((layer) => {
        if (!(layer instanceof L.VectorGrid)) return;
        const name = layer._url.split("/collections/")[1].split("/")[0];
        const ids = new Set();
        Object.values(layer._vectorTiles || {}).forEach(
            (tile) => Object.keys(tile._features || {}).forEach((id) => ids.add(id)));
        drawn[name] = [...ids];
    });
    return drawn;
}"""

POPUP_JS = """() => {
    const popups = document.querySelectorAll(".leaflet-popup-content");
    return popups.length ? popups[popups.length - 1].innerHTML : null;
}"""

SETTLED_POPUP_JS = """() => {
    const popups = document.querySelectorAll(".leaflet-popup");
    return popups.length === 1 && getComputedStyle(popups[0]).opacity === "1";
}"""


@pytest.fixture(scope="module")
def browser_page() -> Iterator:
    """One offline Chromium page for the module."""
    with offline_page() as opened:
        yield opened


def open_served(page, url: str) -> None:
    """Load a served map and wait until its tiles are fetched and drawn."""
    page.goto(url, wait_until="load")
    page.wait_for_selector(".leaflet-container path", timeout=30_000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)


class Requests:
    """The page's requests in flight, so a walk waits for the tiles a move asked for (Chromium
    refuses new requests beyond a few hundred pending: ERR_INSUFFICIENT_RESOURCES)."""

    def __init__(self, page) -> None:
        self.page = page
        self.pending: set = set()
        self.handlers = {
            "request": lambda request: self.pending.add(request),
            "requestfinished": lambda request: self.pending.discard(request),
            "requestfailed": lambda request: self.pending.discard(request),
        }
        for event, handler in self.handlers.items():
            page.on(event, handler)

    def settle(self, timeout_ms: int = 10_000) -> None:
        """Wait until no request is in flight."""
        for _ in range(timeout_ms // 50):
            if not self.pending:
                return
            self.page.wait_for_timeout(50)
        pytest.fail(f"requests still pending: {[r.url for r in self.pending][:3]}")

    def close(self) -> None:
        """Stop following the page's requests."""
        for event, handler in self.handlers.items():
            self.page.remove_listener(event, handler)


def page_bytes(url: str) -> int:
    """The size of the page the API serves at `url` (rendered on first request)."""
    answer = httpx.get(url, timeout=300)
    assert answer.status_code == 200, answer.text[:500]
    return len(answer.content)


@pytest.mark.parametrize(
    "path",
    [
        f"{NAPOLI_AREA}/coverage?tiles=false",
        f"{NAPOLI_AREA}/coverage?tiles=false&lang=en",
        f"{NAPOLI_AREA}/gaps?category=SAN&tiles=false",
        f"{NAPOLI_AREA}/gaps?category=SAN&tiles=false&lang=en",
        f"{NAPOLI_AREA}/gaps?tiles=false",
        f"{NAPOLI_AREA}/gaps?tiles=false&lang=en",
    ],
)
def test_axe_finds_no_wcag_violation_on_served_maps(tiles_server_url, browser_page, path):
    url = tiles_server_url + path
    assert page_bytes(url) < MAX_PAGE_BYTES
    page, log = browser_page
    log.clear()
    open_served(page, url)
    assert axe_violations(page) == [], f"{path} on load"
    page.locator(".obs-list > summary").focus()
    page.keyboard.press("Enter")
    for entry in ("button[data-comune]", "button[data-service]"):
        buttons = page.locator(entry)
        if buttons.count():
            buttons.first.focus()
            page.keyboard.press("Enter")
            page.locator(".leaflet-popup-content").last.wait_for()
    page.wait_for_function(SETTLED_POPUP_JS)  # axe measures contrast: no popup half faded
    assert axe_violations(page) == [], f"{path} with the list and a popup open"
    assert log.page_errors == [] and log.console_errors == [] and log.blocked == []


def test_every_comune_and_service_is_reachable_by_tab_and_opens(tiles_server_url, browser_page):
    page, log = browser_page
    log.clear()
    open_served(page, f"{tiles_server_url}{NAPOLI_AREA}/coverage?tiles=false")
    drawn = page.evaluate(DRAWN_JS)
    assert len(drawn["municipalities"]) > 20 and len(drawn["services"]) > 10
    requests = Requests(page)

    def opens(page) -> None:  # Enter opens the entry on the map and in the selection box
        name = page.evaluate("() => document.activeElement.textContent")
        page.keyboard.press("Enter")
        requests.settle()
        opened = page.locator(".leaflet-popup-content").last.inner_text()  # the other fades
        assert opened.startswith(name), f"Enter on {name!r} opened {opened!r}"
        assert page.locator("#obs-selected").inner_text().startswith(name)

    entries = len(drawn["municipalities"]) + len(drawn["services"])
    comuni, services = walk_list_by_tab(page, entries, opens)
    requests.close()
    assert comuni == set(drawn["municipalities"])
    assert services == set(drawn["services"])
    screenshot(page, "served-napoli-coverage-list")
    assert log.page_errors == [] and log.console_errors == [] and log.blocked == [], (
        log.page_errors[:3], log.console_errors[:3]
    )


def test_the_served_map_has_its_summary_as_accessible_name(tiles_server_url, browser_page):
    page, _log = browser_page
    open_served(page, f"{tiles_server_url}{NAPOLI_AREA}/gaps?tiles=false")
    container = page.locator(".leaflet-container")
    assert container.get_attribute("role") == "region"
    name = container.get_attribute("aria-label")
    assert name == page.locator("#obs-summary").inner_text()
    assert name.startswith("Categorie mancanti — ")


def test_a_comune_entry_fits_the_map_to_it_and_highlights_it(tiles_server_url, browser_page):
    page, _log = browser_page
    open_served(page, f"{tiles_server_url}/maps/campania/coverage?tiles=false")
    page.locator(".obs-list > summary").click()
    napoli = page.locator("button[data-comune='63049']")
    napoli.focus()
    page.keyboard.press("Enter")
    assert page.locator(".leaflet-popup-content").last.inner_text().startswith("Napoli")
    view = page.evaluate(
        """() => { const map = window.observatoryMap, b = map.getBounds();
                   return {zoom: map.getZoom(), center: b.contains([40.85, 14.27])}; }"""
    )
    assert view["zoom"] >= 10 and view["center"]
    # the tiles of the new view load after the fit; the highlight is drawn on them
    page.wait_for_selector(
        ".leaflet-container path[stroke='#000000'][stroke-width='3']", timeout=20_000
    )


def test_a_service_popup_is_the_standalone_maps_popup(tiles_server_url, browser_page):
    page, log = browser_page
    popups = []
    for query in ("tiles=false", "tiles=false&standalone=true"):
        log.clear()
        page.goto(f"{tiles_server_url}{NAPOLI_AREA}/coverage?{query}", wait_until="load")
        page.wait_for_selector(".leaflet-container path", timeout=30_000)
        page.locator(".obs-list > summary").click()
        page.locator("button[data-service]", has_text="Sportello immigrazione").click()
        page.locator(".leaflet-popup-content .service-name").last.wait_for()
        popups.append(page.evaluate(POPUP_JS))
        assert log.page_errors == [] and log.console_errors == []
    served, standalone = popups
    assert served == standalone
    text = page.locator(".leaflet-popup-content").last.inner_text()
    assert "italiano, arabo" in text  # language names (CLDR), in the page's language
    assert "Napoli" in text and "Categoria" in text and "Via Medina 1" in text


def test_clicking_a_service_on_the_tiles_opens_the_same_popup(tiles_server_url, browser_page):
    page, _log = browser_page
    open_served(page, f"{tiles_server_url}{NAPOLI_AREA}/coverage?tiles=false&lang=en")
    page.locator(".obs-list > summary").click()
    button = page.locator("button[data-service]", has_text="Sportello immigrazione")
    button.click()
    from_list = page.evaluate(POPUP_JS)
    page.keyboard.press("Escape")
    page.evaluate("() => window.observatoryMap.closePopup()")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    x, y = page.evaluate(
        """(point) => { const p = window.observatoryMap.latLngToContainerPoint(point),
                               box = window.observatoryMap.getContainer().getBoundingClientRect();
                        return [box.left + p.x, box.top + p.y]; }""",
        [float(x) for x in button.get_attribute("data-point").split(",")],
    )
    page.mouse.click(x, y)
    page.locator(".leaflet-popup-content .service-name").last.wait_for()
    assert page.evaluate(POPUP_JS) == from_list
    assert "Italian, Arabic" in from_list
