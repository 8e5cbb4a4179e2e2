"""The finder in Chromium with JavaScript off (search and service pages still work) and with a
browser position ("vicino a me"), internet blocked; a browser per test, with its own options."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

from playwright.sync_api import Page, sync_playwright

from tests.maps.browser import CHROMIUM, CHROMIUM_ARGS, PageLog, _block_remote

TILE_HOST = "tile.openstreetmap.org"


@contextmanager
def _context(**options) -> Iterator[Page]:
    """A fresh offline Chromium page with context options (no JavaScript, a position)."""
    log = PageLog()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900}, **options)
            context.route("**/*", lambda route: _block_remote(route, log))
            page = context.new_page()
            page.on("pageerror", lambda error: log.page_errors.append(str(error)))
            yield page
            assert log.page_errors == []
            assert {urlparse(url).hostname for url in log.blocked} <= {TILE_HOST}
        finally:
            browser.close()


def test_search_and_service_pages_work_without_javascript(finder_server):
    with _context(java_script_enabled=False) as page:
        page.goto(f"{finder_server}/trova/?lang=fr")
        assert page.locator("#near-me").is_hidden()  # needs the browser's geolocation
        page.fill("#q", "Pozzuoli")
        page.check("#cat-SAN", force=True)
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert "q=Pozzuoli" in page.url and "cat=SAN" in page.url and "lang=fr" in page.url
        assert "Services les plus proches de Pozzuoli (NA)" in page.content()
        first = page.locator(".result-list a").first
        name = first.inner_text()
        with page.expect_navigation():
            first.click()
        assert page.locator("h1").inner_text() == name


def test_near_me_searches_from_the_browser_s_position(finder_server):
    position = {"latitude": 40.8522, "longitude": 14.2681}
    with _context(geolocation=position, permissions=["geolocation"]) as page:
        page.goto(f"{finder_server}/trova/?lang=it")
        page.fill("#q", "napo")
        page.wait_for_function(
            "document.querySelectorAll('#comuni-list option').length > 0", timeout=10_000)
        assert "Napoli" in page.locator("#comuni-list option").first.get_attribute("value")
        with page.expect_navigation():
            page.click("#near-me")
        assert "lat=40.85220" in page.url and "lon=14.26810" in page.url
        assert page.locator(".result-list li").count() == 20
