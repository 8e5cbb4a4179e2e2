"""A served map draws its comuni and services from the API's vector tiles, offline, light."""

from __future__ import annotations

import httpx
import pytest

from tests.maps.browser import offline_page, screenshot

MAX_PAGE_BYTES = 300_000

LAYERS_JS = """() => {
    const map = window.observatoryMap;
    const drawn = {};
    map.eachLayer((layer) => {
        if (!(layer instanceof L.VectorGrid)) return;
        const name = layer._url.split("/collections/")[1].split("/")[0];
        const paths = layer.getContainer().querySelectorAll("path");
        drawn[name] = {
            paths: paths.length,
            fills: new Set(Array.from(paths).map((p) => p.getAttribute("fill"))).size,
        };
    });
    return drawn;
}"""


SERVICE_POINT_JS = """() => {
    let found = null;
    window.observatoryMap.eachLayer((layer) => {
        if (layer instanceof L.VectorGrid && layer._url.includes("/services/")) {
            const box = layer.getContainer().querySelector("path").getBoundingClientRect();
            found = [box.x + box.width / 2, box.y + box.height / 2];
        }
    });
    return found;
}"""


@pytest.fixture(scope="module")
def browser_page():
    with offline_page() as opened:
        yield opened


def test_region_page_is_light_and_draws_from_tiles_offline(tiles_server_url, browser_page):
    page_url = f"{tiles_server_url}/maps/campania/coverage?tiles=false"
    served = httpx.get(page_url, timeout=120)
    assert served.status_code == 200
    standalone = httpx.get(page_url + "&standalone=true", timeout=120)
    assert len(served.content) < MAX_PAGE_BYTES < len(standalone.content)
    assert "/collections/municipalities/tiles/" not in standalone.text

    page, log = browser_page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(page_url, wait_until="load")
    page.wait_for_selector(".leaflet-container path.leaflet-interactive", timeout=30_000)
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-container path').length > 500",
        timeout=30_000,
    )
    page.wait_for_timeout(1000)
    drawn = page.evaluate(LAYERS_JS)
    screenshot(page, "served-campania-coverage")
    assert log.page_errors == [] and log.dialogs == [] and log.blocked == []
    assert log.console_errors == []
    assert drawn["municipalities"]["paths"] >= 500  # Campania has 550 comuni
    assert drawn["municipalities"]["fills"] >= 3  # coloured by class
    assert drawn["services"]["paths"] >= 50
    assert any("/collections/municipalities/tiles/WebMercatorQuad/" in url for url in requested)
    assert any("/collections/services/tiles/WebMercatorQuad/" in url for url in requested)
    assert any("/assets/maps/vendor/leaflet.vectorgrid/" in url for url in requested)

    x, y = page.evaluate(SERVICE_POINT_JS)
    page.mouse.move(x - 20, y - 20)
    page.mouse.move(x, y)
    page.wait_for_selector(".leaflet-tooltip", timeout=5000)
    page.mouse.click(x, y)
    popup = page.wait_for_selector(".leaflet-popup-content .service-popup", timeout=5000)
    assert popup.inner_text().strip()
    # at the region's zoom the tile names the service; its address comes from the API
    page.wait_for_function(
        "() => document.querySelector('.leaflet-popup-content').textContent.includes('Via ')",
        timeout=5000,
    )
    assert log.page_errors == [] and log.console_errors == []


CLICKABLE_COMUNE_JS = """() => {
  for (const path of document.querySelectorAll('.leaflet-container path')) {
    const box = path.getBoundingClientRect();
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    const hit = document.elementFromPoint(x, y);
    if (box.width > 4 && hit && hit.tagName === 'path') return [x, y];
  }
  throw new Error('no comune shape can be clicked');
}"""


def test_missing_categories_page_is_light_and_opens_comune_popups(
    tiles_server_url, browser_page
):
    page_url = f"{tiles_server_url}/maps/campania/gaps?tiles=false"
    served = httpx.get(page_url, timeout=300)
    assert served.status_code == 200 and len(served.content) < MAX_PAGE_BYTES
    page, log = browser_page
    log.clear()
    page.goto(page_url, wait_until="load")
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-container path').length > 500",
        timeout=30_000,
    )
    drawn = page.evaluate(LAYERS_JS)
    assert drawn["municipalities"]["paths"] >= 500 and "services" not in drawn
    x, y = page.evaluate(CLICKABLE_COMUNE_JS)  # a comune's point no panel or control covers
    page.mouse.click(x, y)
    popup = page.wait_for_selector(".leaflet-popup-content", timeout=15_000)
    assert "<ul>" in popup.inner_html() or "<p>" in popup.inner_html()
    assert log.page_errors == [] and log.console_errors == [] and log.blocked == []
