"""The maps the API serves: comuni, areas and services drawn from the API's vector tiles.

The standalone files of `maps render` carry every polygon and marker inline (about 1.5 MB
for a region); a served page carries only what tiles cannot: the colour, tooltip and popup
of each comune of the scope (the same choropleth and panel as the standalone map), the
popup of each service (the standalone map's builder), the accessible list and summary
(`maps.access`, shared with the standalone map), and the tile URLs. Leaflet and
Leaflet.VectorGrid come from the API's own `/assets/maps/` (vendored from npm), so the page
works with no internet.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy.orm import Session

from maps import data
from maps.access import ACCESS_JS, list_html
from maps.assets import SERVED_ASSETS, TEMPLATES
from maps.labels import label
from maps.layers import CATEGORY_COLORS, OTHER_CATEGORY, popup_html
from maps.render import Choropleth, MapInputs, base_panel, map_summary
from maps.simplify import main_land_bounds
from observatory.geography import CREDIT

SCRIPTS = ("vendor/leaflet/dist/leaflet.js",
           "vendor/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js")
STYLESHEETS = ("vendor/leaflet/dist/leaflet.css", "maps.css")
LAYER_LABELS = ("services", "areas")


def choropleth(session: Session, inputs: MapInputs, kind: str) -> tuple[Choropleth, str, bool]:
    """The choropleth the standalone `kind` map of `inputs` shows, its title key, and whether
    it shows the services (the gap maps do not)."""
    from maps.coverage import coverage_choropleth
    from maps.gaps import gap_choropleth
    from maps.missing import missing_choropleth

    if kind == "coverage":
        run, results = data.analysis(session, inputs.params.analysis("access"), inputs.codes)
        return coverage_choropleth(inputs, run, results), "coverage", True
    if inputs.category is None:
        from observatory.analysis.missing import missing_categories

        found = missing_categories(session, inputs.params.analysis("coverage"))
        runs = data.runs(session, list(found.attrs["runs"].values()))
        return missing_choropleth(inputs, found, runs), "missing", False
    run, results = data.analysis(session, inputs.params.analysis("gaps"), inputs.codes)
    return gap_choropleth(inputs, run, results), "gaps", False


PIECE = re.compile(r"(?:\s*<[^>]*>)+\s*|[^<]+")
"""A run of tags (with the blank space around them), or the text between two tags: the
pieces tooltips and popups share."""


def pack(texts: list[str | None]) -> tuple[list[str], list[list[int] | None]]:
    """Each HTML text as the indices of its pieces in one shared list (the page's JS joins
    them back, exactly): the labels and markup every comune repeats travel once."""
    index: dict[str, int] = {}
    packed: list[list[int] | None] = []
    for text in texts:
        if text is None:
            packed.append(None)
            continue
        packed.append([index.setdefault(piece, len(index)) for piece in PIECE.findall(text)])
    return list(index), packed


def tile_query(inputs: MapInputs, kind: str) -> str:
    """The query of the municipality tiles: the analysis the map shows (already stored)."""
    params = inputs.params
    given = {
        "kind": "access" if kind == "coverage" else "coverage" if kind == "missing" else "gaps",
        "category": params.category if kind != "missing" else None,
        "demand": params.demand,
        "catchment_km": params.catchment_km,
        "method": params.method,
        "supply": params.supply,
    }
    return "&".join(f"{name}={value}" for name, value in given.items() if value is not None)


def service_colors(inputs: MapInputs) -> dict[str, str]:
    """The colour of each top-level category, as the standalone map's markers have it."""
    order = {code: i for i, code in enumerate(inputs.categories)}
    return {
        code: CATEGORY_COLORS[i % len(CATEGORY_COLORS)] for code, i in order.items()
    } | {OTHER_CATEGORY: CATEGORY_COLORS[len(order) % len(CATEGORY_COLORS)]}


def service_key(inputs: MapInputs, colors: dict[str, str]) -> list[dict[str, Any]]:
    """The categories of the scope's services with their colour and count (the legend)."""
    counts = inputs.services.top_category.fillna(OTHER_CATEGORY).value_counts()
    return [
        {"color": colors[code], "text": f"{inputs.categories.get(code, code)} ({count})"}
        for code, count in counts.items()
    ]


def render_served(session: Session, inputs: MapInputs, kind: str, root: str) -> str:
    """The page of the `kind` map of `inputs` drawing its layers from the tiles under `root`.

    `root` is the API's root relative to the page (e.g. `../../` for /maps/campania/gaps).
    """
    drawn, title_key, show_services = choropleth(session, inputs, kind)
    lang = inputs.lang
    panel = base_panel(inputs, title_key, drawn.runs)
    panel.legend_title, panel.legend = drawn.legend_title, drawn.legend
    panel.notes += drawn.notes
    panel.summary = map_summary(inputs, panel.title, drawn.figures)
    panel.list_html = list_html(
        inputs.comuni, drawn, inputs.services, inputs.categories, lang
    )
    popups = drawn.popups or [None] * len(inputs.codes)
    services = inputs.services
    service_popups = [popup_html(s, lang, inputs.categories) for _, s in services.iterrows()]
    pieces, packed = pack([*drawn.tooltips, *popups, *service_popups])
    count = len(inputs.codes)
    tooltips, popups = packed[:count], packed[count : 2 * count]
    comuni = {
        str(code): [color, tip, popup]
        for code, color, tip, popup in zip(
            inputs.codes, drawn.colors.tolist(), tooltips, popups, strict=True
        )
    }
    west, south, east, north = main_land_bounds(inputs.comuni.geometry)
    colors = service_colors(inputs)
    config = {
        "root": root,
        "bounds": [[south, west], [north, east]],
        "comuni": comuni,
        "pieces": pieces,
        "comuniTiles": tile_query(inputs, title_key),
        "comuniName": drawn.layer_name,
        "areas": sorted({code for code in inputs.comuni.area_code.dropna()}),
        "services": show_services,
        "servicesQuery": f"category={inputs.category}" if inputs.category else "",
        "codes": inputs.codes,
        "colors": colors,
        "other": OTHER_CATEGORY,
        # each service's popup, as the standalone map's marker has it (same builder)
        "servicePopups": dict(
            zip(services.id.astype(int).astype(str), packed[2 * count :], strict=True)
        ),
        "summary": panel.summary,
        "labels": {key: label(key, lang) for key in LAYER_LABELS},
        "osm": inputs.tiles,
        "credit": CREDIT,
    }
    title = f"{label(title_key, lang)} — {inputs.scope.title}"
    return TEMPLATES.get_template("served.html").render(
        lang=lang,
        title=title,
        assets=[f"{root.rstrip('/')}{SERVED_ASSETS}/{path}" for path in SCRIPTS],
        stylesheets=[f"{root.rstrip('/')}{SERVED_ASSETS}/{path}" for path in STYLESHEETS],
        panel=TEMPLATES.get_template("panel.html").render(panel=panel),
        access_js=ACCESS_JS,
        service_key=service_key(inputs, colors) if show_services else [],
        config=json.dumps(config, ensure_ascii=False, separators=(",", ":")).replace(
            "</", "<\\/"
        ),
    )
