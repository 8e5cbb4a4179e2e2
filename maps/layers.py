"""The layers of a map: base map and tiles, comuni, area outlines, services, catchment rings."""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from folium.map import Layer
from folium.template import Template

from maps.assets import TEMPLATES
from maps.labels import LABELS, label, number
from maps.simplify import dissolve_coverage, main_land_bounds
from observatory.language_names import language_name
from observatory.models import APPROXIMATE_PRECISIONS

# viridis at 8 points (colour-blind safe, told apart by lightness); each layer is also named
CATEGORY_COLORS = (
    "#440154", "#46327e", "#365c8d", "#277f8e", "#1fa187", "#4ac16d", "#a0da39", "#fde725",
)
OTHER_CATEGORY = "—"
MAX_ZOOM = 18  # Leaflet.markercluster needs the map's own maxZoom when no tile layer is on


def new_map(comuni: gpd.GeoDataFrame, tiles: bool, lang: str) -> folium.Map:
    """A map fitted to the main landmass of `comuni`, with OSM tiles when asked and reachable."""
    fmap = folium.Map(tiles=None, control_scale=True, zoom_snap=0.25, **{"maxZoom": MAX_ZOOM})
    west, south, east, north = main_land_bounds(comuni.geometry)
    fmap.fit_bounds([[south, west], [north, east]])
    if tiles:
        tile_layer = folium.TileLayer(
            "OpenStreetMap", name=label("osm", lang), overlay=False, show=False
        )
        tile_layer.add_to(fmap)
        TilesWhenOnline(tile_layer).add_to(fmap)
    return fmap


class TilesWhenOnline(MacroElement):
    """Show the tile layer only once one probe tile loads: offline, the plain background stays."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var probe = new Image();
            probe.onload = function () {
                {{ this.tiles.get_name() }}.addTo({{ this._parent.get_name() }});
            };
            probe.src = {{ this.probe_url|tojson }};
        })();
        {% endmacro %}
        """
    )

    def __init__(self, tiles: folium.TileLayer) -> None:
        super().__init__()
        self._name = "TilesWhenOnline"
        self.tiles = tiles
        self.probe_url = tiles.tiles
        for key, value in {"{s}": "a", "{z}": "0", "{x}": "0", "{y}": "0", "{r}": ""}.items():
            self.probe_url = self.probe_url.replace(key, value)


class CatchmentRings(Layer):
    """Circles of the catchment radius around each service, as one layer."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup({{ this.points|tojson }}.map(function (p) {
            return L.circle(p, {radius: {{ this.radius_m }}, color: "#555", weight: 1,
                                fill: false, interactive: false});
        }));
        {% endmacro %}
        """
    )

    def __init__(self, points: list[list[float]], radius_km: float, name: str) -> None:
        super().__init__(name=name, overlay=True, control=True, show=False)
        self._name = "CatchmentRings"
        self.points = points
        self.radius_m = radius_km * 1000


def table_html(title: str, rows: list[tuple[str, str]]) -> str:
    """A small escaped HTML table for tooltips: a bold title and label/value rows."""
    cells = "".join(
        f"<tr><th>{html.escape(key)}</th><td>{html.escape(value)}</td></tr>" for key, value in rows
    )
    return f"<strong>{html.escape(title)}</strong><table>{cells}</table>"


def add_comuni_layer(fmap: folium.Map, comuni: gpd.GeoDataFrame, name: str) -> None:
    """Draw `comuni` filled with their `fill` colour, a `tip` HTML tooltip and any `popup`."""
    columns = ["code", "fill", "tip", *(["popup"] if "popup" in comuni else []), "geom"]
    data = comuni[columns].to_json(drop_id=False)
    popup = "popup" in comuni and folium.GeoJsonPopup(fields=["popup"], labels=False)
    folium.GeoJson(
        data,
        name=html.escape(name),
        style_function=lambda feature: {
            "fillColor": feature["properties"]["fill"],
            "fillOpacity": 0.75,
            "color": "#555555",
            "weight": 0.5,
        },
        highlight_function=lambda _feature: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
        popup=popup or None,
        zoom_on_click=False,
    ).add_to(fmap)


def add_area_layer(fmap: folium.Map, comuni: gpd.GeoDataFrame, lang: str) -> None:
    """Draw the outlines of the territorial areas the comuni belong to."""
    grouped = comuni[comuni.area_code.notna()]
    if grouped.empty:
        return
    outlines = dissolve_coverage(grouped.geometry, grouped.area_code).boundary
    names = grouped.drop_duplicates("area_code").set_index("area_code").area_name
    frame = gpd.GeoDataFrame(
        {"name": [html.escape(names[code]) for code in outlines.index]},
        geometry=outlines.values,
        crs=comuni.crs,
    )
    folium.GeoJson(
        frame.to_json(),
        name=html.escape(label("areas", lang)),
        style_function=lambda _feature: {"color": "#222222", "weight": 2.5, "dashArray": "6 4"},
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
    ).add_to(fmap)


class ServiceCluster(Layer):
    """Services of one category as clustered circle markers with popups and name tooltips.

    Each row is [lat, lon, popup HTML, is example, escaped name, approximate, service id]
    (the id lets the map's accessible list find the marker). Markers on
    one point (services placed on their comune's point) spiderfy when their cluster is
    clicked; an approximate one is drawn half-filled.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.markerClusterGroup(
            {showCoverageOnHover: false, maxClusterRadius: 40, spiderfyOnMaxZoom: true});
        {{ this.get_name() }}.addLayers({{ this.rows|tojson }}.map(function (row) {
            return L.circleMarker([row[0], row[1]], {
                radius: 7, fillColor: {{ this.color|tojson }}, fillOpacity: row[5] ? 0.4 : 0.95,
                color: row[3] ? "#000000" : "#ffffff", weight: 1.5,
                dashArray: row[3] ? "3 2" : null, serviceId: row[6]
            }).bindPopup(row[2], {maxWidth: 320}).bindTooltip(row[4]);
        }));
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[list[object]], color: str, name: str, show: bool) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "ServiceCluster"
        self.rows = rows
        self.color = color


POPUP_FIELDS = (
    ("category", "category_code"),
    ("comune", "comune_name"),
    ("organization", "organization_name"),
    ("address", "address_1"),
    ("phone", "phone"),
    ("opening_hours", "opening_hours"),
    ("languages", "languages"),
    ("precision", "geocode_precision"),
)


def _popup_value(column: str, value: object, lang: str, categories: dict[str, str]) -> str:
    if column == "languages":
        return ", ".join(language_name(str(code), lang) for code in value or [])
    if column == "category_code" and value is not None:
        return categories.get(str(value), str(value))
    if column == "geocode_precision" and f"precision_{value}" in LABELS:
        return label(f"precision_{value}", lang)
    return "" if value is None or pd.isna(value) else str(value)


def popup_html(service: pd.Series, lang: str, categories: dict[str, str] | None = None) -> str:
    """A service's popup (escaped): the public fields (`service_public`) that have a value.

    Its category by label (from `categories`), its comune by name, languages by CLDR name.
    """
    rows = [
        (label(key, lang), _popup_value(column, service.get(column), lang, categories or {}))
        for key, column in POPUP_FIELDS
    ]
    return TEMPLATES.get_template("popup.html").render(
        name=service["name"],
        example=label("example", lang) if service.is_example else None,
        approximate=label(f"approximate_{precision}", lang)
        if (precision := service["geocode_precision"]) in APPROXIMATE_PRECISIONS
        else None,
        rows=[(key, value) for key, value in rows if value],
    )


def add_service_layers(
    fmap: folium.Map,
    services: pd.DataFrame,
    categories: dict[str, str],
    lang: str,
    show: bool = True,
) -> None:
    """One clustered marker layer per top-level category, coloured by category, with popups."""
    order = {code: i for i, code in enumerate(categories)}
    top = services.top_category.fillna(OTHER_CATEGORY)
    groups = sorted(services.groupby(top), key=lambda item: order.get(item[0], len(order)))
    for code, group in groups:
        color = CATEGORY_COLORS[order.get(code, len(order)) % len(CATEGORY_COLORS)]
        rows = [
            [
                s.lat, s.lon, popup_html(s, lang, categories), bool(s.is_example),
                html.escape(s["name"]), s.geocode_precision in APPROXIMATE_PRECISIONS, int(s.id),
            ]
            for _, s in group.iterrows()
        ]
        name = f"{categories.get(code, label('services', lang))} ({len(rows)})"
        label_html = f'<span style="color:{color}">●</span> {html.escape(name)}'
        ServiceCluster(rows, color, label_html, show).add_to(fmap)


def add_catchment_rings(
    fmap: folium.Map, services: pd.DataFrame, radius_km: float | None, lang: str
) -> None:
    """Add the (hidden by default) catchment rings when the analysis states a catchment."""
    if radius_km is None or services.empty:
        return
    points = services[["lat", "lon"]].round(5).values.tolist()
    name = label("catchment", lang, km=number(radius_km, lang, 1))
    CatchmentRings(points, float(radius_km), html.escape(name)).add_to(fmap)
