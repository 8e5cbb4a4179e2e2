"""The rendered maps in a real headless Chromium with no internet: from disk and served."""

import functools
import http.server
import threading
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from tests.maps.browser import offline_page, open_map, screenshot
from tests.maps.seed import XSS_NAME, comuni_in_region, services_in_region

CAMPANIA = 15
TILE_HOST = "tile.openstreetmap.org"

FIND_AND_OPEN_POPUP_JS = """(needle) => new Promise((resolve) => {
    const map = Object.values(window).find((value) => value instanceof L.Map);
    map.eachLayer((layer) => {
        if (!(layer instanceof L.MarkerClusterGroup)) return;
        const marker = layer.getLayers().find(
            (m) => m.getPopup().getContent().includes(needle));
        if (marker) layer.zoomToShowLayer(marker, () => { marker.openPopup(); resolve(true); });
    });
    setTimeout(() => resolve(false), 5000);
})"""


def _assert_clean(log) -> None:
    """No uncaught error, no dialog; the only failed request is the optional tile probe."""
    assert log.page_errors == []
    assert log.dialogs == []
    assert {urlparse(url).hostname for url in log.blocked} <= {TILE_HOST}
    assert all(TILE_HOST in error for error in log.console_errors), log.console_errors


@pytest.fixture(scope="module")
def browser_page(rendered) -> Iterator[tuple]:
    """One offline Chromium page for the module."""
    with offline_page() as opened:
        yield opened


@pytest.fixture(scope="module")
def served(rendered) -> Iterator[str]:
    """The rendered folder served over HTTP on 127.0.0.1."""
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(rendered.out_dir)
    )
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_coverage_map_draws_offline_from_disk(rendered, seeded, browser_page):
    page, log = browser_page
    state = open_map(page, (rendered.out_dir / "campania/coverage.html").as_uri())
    screenshot(page, "campania-coverage")
    assert state["found"]
    assert state["comuni"] == comuni_in_region(seeded, CAMPANIA)
    assert state["markers"] == services_in_region(seeded, CAMPANIA)
    assert state["clusters"] > 0
    assert state["paths"] >= state["comuni"]
    assert "Aree territoriali" in " ".join(state["controlLabels"])
    _assert_clean(log)


def test_gap_map_draws_offline_when_served(rendered, seeded, browser_page, served):
    page, log = browser_page
    state = open_map(page, f"{served}/campania/gaps.html")
    screenshot(page, "campania-gaps")
    assert state["found"]
    assert state["comuni"] == comuni_in_region(seeded, CAMPANIA)
    assert state["markers"] == 0  # service layers start hidden on the gap map
    assert page.locator(".obs-legend-row").count() >= 2
    _assert_clean(log)


def test_area_map_draws_offline(rendered, seeded, browser_page):
    page, log = browser_page
    state = open_map(page, (rendered.out_dir / "campania/napoli/coverage.html").as_uri())
    screenshot(page, "napoli-coverage")
    assert 0 < state["comuni"] < comuni_in_region(seeded, CAMPANIA)
    _assert_clean(log)


def test_script_in_a_service_name_shows_as_text(rendered, browser_page):
    page, log = browser_page
    open_map(page, (rendered.out_dir / "campania/coverage.html").as_uri())
    assert page.evaluate(FIND_AND_OPEN_POPUP_JS, "alert(1)")
    popup = page.locator(".leaflet-popup-content .service-name")
    popup.wait_for()
    page.wait_for_timeout(400)  # let the popup fade in before the screenshot
    assert popup.inner_text() == XSS_NAME
    assert page.locator(".leaflet-popup-content script").count() == 0
    screenshot(page, "campania-popup-escaped")
    _assert_clean(log)


def test_map_without_tiles_asks_the_network_nothing(rendered, browser_page):
    page, log = browser_page
    log.clear()
    state = open_map(page, (rendered.out_dir / "basilicata/coverage-SAN.html").as_uri())
    screenshot(page, "basilicata-coverage-health")
    assert state["comuni"] > 0 and state["markers"] > 0
    assert log.blocked == [] and log.console_errors == [] and log.page_errors == []
