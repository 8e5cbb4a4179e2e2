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
from observatory.freshness import is_stale, stale_after_days
from observatory.models import APPROXIMATE_PRECISIONS

CATEGORY_COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#31a354",
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

    Each row is [lat, lon, popup HTML, is example, escaped name, approximate]. Markers on
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
                color: row[3] ? "#000000" : "#ffffff", weight: 1.5, dashArray: row[3] ? "3 2" : null
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
    ("organization", "organization_name"),
    ("address", "address_1"),
    ("phone", "phone"),
    ("opening_hours", "opening_hours"),
    ("languages", "languages"),
    ("precision", "geocode_precision"),
    ("last_verified", "last_verified"),
)


def date_label(value: object, lang: str) -> str:
    """A date as its readers write it: 14/03/2025 in Italian, 2025-03-14 in English."""
    day = pd.Timestamp(value).date()
    return day.strftime("%d/%m/%Y") if lang == "it" else day.isoformat()


def _stale(service: pd.Series) -> bool:
    """Not verified (else created) for longer than `STALE_AFTER_DAYS`."""
    verified, created = service.get("last_verified"), service.get("created_at")
    return is_stale(
        None if verified is None or pd.isna(verified) else pd.Timestamp(verified).date(),
        None if created is None or pd.isna(created) else pd.Timestamp(created).to_pydatetime(),
    )


def _popup_value(column: str, value: object, lang: str) -> str:
    if column == "languages":
        return ", ".join(str(code).upper() for code in value or [])
    if column == "geocode_precision" and f"precision_{value}" in LABELS:
        return label(f"precision_{value}", lang)
    if column == "last_verified":
        return "" if value is None or pd.isna(value) else date_label(value, lang)
    return "" if value is None or pd.isna(value) else str(value)


def popup_html(service: pd.Series, lang: str) -> str:
    """A service's popup (escaped): the public fields (`service_public`) that have a value."""
    rows = [
        (label(key, lang), _popup_value(column, service[column], lang))
        for key, column in POPUP_FIELDS
    ]
    return TEMPLATES.get_template("popup.html").render(
        name=service["name"],
        example=label("example", lang) if service.is_example else None,
        stale=label("stale", lang, days=stale_after_days()) if _stale(service) else None,
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
                s.lat, s.lon, popup_html(s, lang), bool(s.is_example), html.escape(s["name"]),
                s.geocode_precision in APPROXIMATE_PRECISIONS,
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
