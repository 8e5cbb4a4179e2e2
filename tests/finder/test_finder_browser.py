"""The finder in a real headless Chromium with the internet blocked: axe-core (WCAG 2.1 AA) on
every page type in Italian and Arabic, a keyboard-only path, right-to-left layout, screenshots
at 375 px and 1,400 px kept in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from api.finder.render import VENDOR
from tests.finder.conftest import NAPOLI_CODE
from tests.maps.browser import offline_page, screenshot

AXE = VENDOR / "axe-core" / "axe.min.js"
TILE_HOST = "tile.openstreetmap.org"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})
    .then((result) => result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' '))})))"""
WIDTHS = (375, 1400)


def _pages(ids: dict[str, int]) -> dict[str, str]:
    return {
        "home": "/trova/",
        "search": f"/trova/?comune={NAPOLI_CODE}&cat=DOC",
        "choices": "/trova/?q=San+Marco",
        "service": f"/trova/servizio/{ids['sportello']}",
        "private-service": f"/trova/servizio/{ids['private']}",
        "comune": f"/trova/comune/{NAPOLI_CODE}",
        "area": "/trova/area/napoli",
        "not-found": "/trova/servizio/999999999",
    }


@pytest.fixture(scope="module")
def browser_page(finder_server) -> Iterator[tuple]:
    """One offline Chromium page for the module (only 127.0.0.1 reachable)."""
    assert AXE.is_file(), "run `make install`: axe-core is vendored from npm (maps/vendor.txt)"
    with offline_page() as opened:
        yield opened


def _assert_offline_and_clean(log, expected: str = TILE_HOST) -> None:
    """No uncaught error or dialog; nothing but map tiles asked of the (blocked) internet."""
    assert log.page_errors == [] and log.dialogs == []
    assert {urlparse(url).hostname for url in log.blocked} <= {TILE_HOST}
    assert all(TILE_HOST in error or expected in error for error in log.console_errors), (
        log.console_errors
    )


@pytest.mark.parametrize("lang", ["it", "ar"])
def test_every_page_type_has_no_axe_violations(finder_server, finder_db, browser_page, lang):
    page, log = browser_page
    found = {}
    for name, path in _pages(finder_db.ids).items():
        log.clear()
        separator = "&" if "?" in path else "?"
        page.set_viewport_size({"width": 1400, "height": 900})
        page.goto(f"{finder_server}{path}{separator}lang={lang}", wait_until="load")
        page.wait_for_timeout(200)
        assert page.evaluate("document.documentElement.lang") == lang
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(RUN_AXE, WCAG_AA)
        if violations:
            found[name] = violations
        _assert_offline_and_clean(log, "status of 404" if name == "not-found" else TILE_HOST)
    assert found == {}


@pytest.mark.parametrize("lang", ["it", "ar"])
def test_screenshots_at_phone_and_desktop_width(finder_server, finder_db, browser_page, lang):
    page, log = browser_page
    shots: list[Path] = []
    for name, path in _pages(finder_db.ids).items():
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            separator = "&" if "?" in path else "?"
            page.goto(f"{finder_server}{path}{separator}lang={lang}", wait_until="load")
            page.wait_for_timeout(150)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{name} at {width} px scrolls sideways by {overflow} px"
            shots.append(screenshot(page, f"finder-{name}-{lang}-{width}"))
    assert all(shot.stat().st_size > 5_000 for shot in shots)
    _assert_offline_and_clean(log, "status of 404")


def test_arabic_is_laid_out_right_to_left(finder_server, finder_db, browser_page):
    page, _ = browser_page
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{finder_server}/trova/servizio/{finder_db.ids['sportello']}?lang=ar")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    brand = page.locator(".brand").bounding_box()
    langs = page.locator(".langs").bounding_box()
    heading = page.locator("h1").bounding_box()
    assert brand["x"] > langs["x"]  # the title starts on the right, the switch on the left
    assert heading["x"] + heading["width"] > 1400 - 200  # text aligned to the right edge
    page.goto(f"{finder_server}/trova/servizio/{finder_db.ids['sportello']}?lang=it")
    assert page.locator(".brand").bounding_box()["x"] < page.locator(".langs").bounding_box()["x"]


def test_keyboard_only_from_home_to_a_service_page(finder_server, browser_page):
    page, log = browser_page
    log.clear()
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{finder_server}/trova/?lang=it", wait_until="load")

    def tab_until(check: str, limit: int = 80) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(check):
                return
        raise AssertionError(f"Tab never reached: {check}")

    tab_until("document.activeElement.id === 'q'")
    page.keyboard.type("Napoli")
    page.keyboard.press("Escape")  # close the suggestions
    tab_until("document.activeElement.id === 'cat-all'")
    page.keyboard.press("ArrowDown")  # the radio group: next category (Documents)
    assert page.evaluate("document.activeElement.id") == "cat-DOC"
    tab_until("document.activeElement.type === 'submit'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "comune" in page.url or "q=Napoli" in page.url
    assert page.locator(".result-list li").count() > 0
    tab_until("(document.activeElement.getAttribute('href') || '').includes('/trova/servizio/')")
    name = page.evaluate("document.activeElement.textContent")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == name
    assert "/trova/servizio/" in page.url
    _assert_offline_and_clean(log)


def test_the_map_draws_offline_and_a_click_searches_there(finder_server, browser_page):
    page, log = browser_page
    log.clear()
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{finder_server}/trova/?comune={NAPOLI_CODE}&lang=it", wait_until="load")
    page.wait_for_selector("#map path.leaflet-interactive", timeout=20_000)
    assert page.locator("#map path.leaflet-interactive").count() == 21  # 20 services + origin
    box = page.locator("#map").bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + box["width"] / 3, box["y"] + box["height"] / 3)
    assert "lat=" in page.url and "lon=" in page.url
    assert "Servizi più vicini al punto scelto" in page.content()
    _assert_offline_and_clean(log)

