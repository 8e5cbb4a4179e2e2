"""A real headless Chromium (Debian's, via Playwright) that can reach only local files and hosts."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import Page, Route, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

MAP_STATE_JS = """() => {
    const map = Object.values(window).find((value) => value instanceof L.Map);
    const state = {found: Boolean(map), comuni: 0, markers: 0, clusters: 0, layers: 0};
    if (!map) return state;
    map.eachLayer((layer) => {
        state.layers += 1;
        if (layer.feature && layer.feature.properties.code !== undefined) state.comuni += 1;
        if (layer instanceof L.MarkerClusterGroup) state.markers += layer.getLayers().length;
    });
    state.clusters = document.querySelectorAll(".marker-cluster").length;
    state.paths = document.querySelectorAll("path.leaflet-interactive").length;
    state.controlLabels = Array.from(
        document.querySelectorAll(".leaflet-control-layers label")).map((l) => l.textContent);
    return state;
}"""


@dataclass
class PageLog:
    """What a page reported: console errors, uncaught exceptions, dialogs, blocked requests."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def clear(self) -> None:
        """Forget what was reported so far (before opening the next page)."""
        for reports in (self.console_errors, self.page_errors, self.dialogs, self.blocked):
            reports.clear()


def _block_remote(route: Route, log: PageLog) -> None:
    url = route.request.url
    parsed = urlparse(url)
    if parsed.scheme in ("file", "data", "blob") or parsed.hostname in LOCAL_HOSTS:
        route.continue_()
    else:
        log.blocked.append(url)
        route.abort()


@contextmanager
def offline_page() -> Iterator[tuple[Page, PageLog]]:
    """A page in a fresh headless Chromium profile that can reach only files and 127.0.0.1."""
    log = PageLog()
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            context.route("**/*", lambda route: _block_remote(route, log))
            page = context.new_page()
            page.on(
                "console",
                lambda msg: log.console_errors.append(f"{msg.text} @ {msg.location.get('url')}")
                if msg.type == "error"
                else None,
            )
            page.on("pageerror", lambda error: log.page_errors.append(str(error)))
            page.on("dialog", lambda dialog: (log.dialogs.append(dialog.message), dialog.dismiss()))
            yield page, log
        finally:
            context.close()


def open_map(page: Page, url: str) -> dict:
    """Load a map page, wait for Leaflet to draw, and return what is on the map."""
    page.goto(url, wait_until="load")
    page.wait_for_selector(".leaflet-container path.leaflet-interactive", timeout=20_000)
    page.wait_for_timeout(300)
    return page.evaluate(MAP_STATE_JS)


def screenshot(page: Page, name: str) -> Path:
    """Keep a screenshot under test-artifacts/ and return its path."""
    target = Path(__file__).resolve().parents[2] / "test-artifacts" / f"{name}.png"
    target.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(target))
    return target
