"""Leaflet and its plugins inlined into each map (offline, from disk or served); templates.

The files come from the npm registry (`make maps-assets`, versions in `maps/vendor.txt`)
into the git-ignored `maps/static/vendor/`; folium's CDN links are removed.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from observatory.errors import ConfigurationError

if TYPE_CHECKING:
    from branca.element import Element

STATIC_DIR = Path(__file__).parent / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
SERVED_ASSETS = "/assets/maps"
"""Where the API serves STATIC_DIR, for the pages that load their scripts (`maps.served`)."""
STYLESHEETS = (
    "leaflet/dist/leaflet.css",
    "leaflet.markercluster/dist/MarkerCluster.css",
    "leaflet.markercluster/dist/MarkerCluster.Default.css",
)
SCRIPTS = ("leaflet/dist/leaflet.js", "leaflet.markercluster/dist/leaflet.markercluster.js")
EXTERNAL_REFERENCE = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE
)
CSS_IMAGE = re.compile(r"url\((images/[\w.-]+\.png)\)")
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _vendor_text(relative: str) -> str:
    path = VENDOR_DIR / relative
    if not path.is_file():
        raise ConfigurationError(
            f"map asset {path} missing: run `make maps-assets` (fetches Leaflet from npm)"
        )
    return path.read_text(encoding="utf-8")


def _inline_images(css: str, base: Path) -> str:
    """Replace `url(images/x.png)` with data URIs so the stylesheet needs no files."""

    def data_uri(match: re.Match[str]) -> str:
        encoded = base64.b64encode((base / match.group(1)).read_bytes()).decode()
        return f"url(data:image/png;base64,{encoded})"

    return CSS_IMAGE.sub(data_uri, css)


@functools.cache
def inline_header() -> str:
    """The `<style>` and `<script>` blocks of every vendored asset plus the maps' own CSS."""
    parts = []
    for relative in STYLESHEETS:
        css = _inline_images(_vendor_text(relative), (VENDOR_DIR / relative).parent)
        parts.append(f"<style>{css}</style>")
    parts.append(f"<style>{(STATIC_DIR / 'maps.css').read_text(encoding='utf-8')}</style>")
    for relative in SCRIPTS:
        js = re.sub(r"//# sourceMappingURL=\S+", "", _vendor_text(relative))
        js = js.replace("</script", "<\\/script")
        parts.append(f"<script>{js}</script>")
    return "\n".join(parts)


def _elements(root: Element) -> Iterator[Element]:
    yield root
    for child in root._children.values():
        yield from _elements(child)


def make_offline(root: Element) -> None:
    """Drop folium's CDN links from every element under `root` and inline the vendored assets."""
    from branca.element import Element  # folium is imported by the renderers that call this
    from folium.elements import JSCSSMixin

    for element in _elements(root):
        if isinstance(element, JSCSSMixin):
            element.default_js = []
            element.default_css = []
    root.get_root().header.add_child(Element(inline_header()), name="inline_assets", index=0)


def external_references(html: str) -> list[str]:
    """Tags in `html` that would load a script, stylesheet or image from the network."""
    return [match.group(0) for match in EXTERNAL_REFERENCE.finditer(html)]
