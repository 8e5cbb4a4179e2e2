"""A map's keyboard route and text alternative: a list of its comuni and services, a summary.

Leaflet's shapes and circle markers cannot take focus, so every map carries, in its panel, a
collapsible list with one button per comune (with the map's value) and per service (by
category). A button fits the map to its feature, highlights it, opens its popup or tooltip
and repeats the same content in a live region beside the list, for keyboard and screen
reader users. The map container gets the map's summary as its accessible name, and the map is
fitted with the panel and the layer control beside the data, not over it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import folium
import pandas as pd
from branca.element import MacroElement
from folium.map import FitBounds
from folium.template import Template
from markupsafe import Markup

from maps.assets import TEMPLATES
from maps.labels import label, number

if TYPE_CHECKING:
    import geopandas as gpd

    from maps.render import Choropleth

OTHER_CATEGORY = "—"
ACCESS_JS = (Path(__file__).parent / "templates" / "access.js").read_text(encoding="utf-8")
"""The list's behaviour, shared by the standalone (folium) and the served (tiles) maps."""


def _comuni_rows(comuni: gpd.GeoDataFrame, choropleth: Choropleth) -> list[dict[str, object]]:
    """One row per comune, by name: code, name, value text, a point inside it and its bounds
    (south, west, north, east)."""
    values = choropleth.values or [""] * len(comuni)
    points = comuni.geometry.representative_point()
    bounds = comuni.geometry.bounds.round(4).to_numpy().tolist()
    rows = [
        {"code": int(code), "name": name, "value": value,
         "point": f"{point.y:.4f},{point.x:.4f}", "bounds": f"{south},{west},{north},{east}"}
        for code, name, value, point, (west, south, east, north) in zip(
            comuni.code, comuni.name, values, points, bounds, strict=True
        )
    ]
    return sorted(rows, key=lambda row: str(row["name"]))


def _service_groups(
    services: pd.DataFrame, categories: dict[str, str], lang: str
) -> list[dict[str, object]]:
    """Services by top-level category in taxonomy order, each by name with its comune and
    point."""
    order = {code: i for i, code in enumerate(categories)}
    top = services.top_category.fillna(OTHER_CATEGORY)
    groups = []
    for code, group in sorted(services.groupby(top), key=lambda i: order.get(i[0], len(order))):
        rows = [
            {"id": int(s.id), "name": s["name"], "comune": s.get("comune_name") or "",
             "point": f"{s.lat:.5f},{s.lon:.5f}"}
            for _, s in group.sort_values("name").iterrows()
        ]
        title = categories.get(code, label("services", lang))
        groups.append({"title": f"{title} ({number(len(rows), lang)})", "services": rows})
    return groups


def list_html(
    comuni: gpd.GeoDataFrame,
    choropleth: Choropleth,
    services: pd.DataFrame,
    categories: dict[str, str],
    lang: str,
) -> Markup:
    """The list of a map's comuni (with its value) and services, and the selection box."""
    return Markup(
        TEMPLATES.get_template("access_list.html").render(
            title=label(
                "list_title", lang, comuni=number(len(comuni), lang),
                services=number(len(services), lang),
            ),
            hint=label("list_hint", lang),
            comuni_title=label("comuni", lang),
            comune_header=label("comune", lang),
            value_title=choropleth.value_title,
            service_header=label("services", lang),
            comuni=_comuni_rows(comuni, choropleth),
            groups=_service_groups(services, categories, lang),
            selected=label("selected", lang),
        )
    )


class AccessibleList(MacroElement):
    """The list's behaviour on the map, the map's accessible name and its padded fit."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var shapes = [{{ this.shapes|join(", ") }}];
            var clusters = [{{ this.clusters|join(", ") }}];
            {{ this.core }}
            var highlighted = null;
            function findComune(code) {
                var found = null;
                shapes.forEach(function (group) {
                    group.eachLayer(function (layer) {
                        if (layer.feature && layer.feature.properties.code === code) {
                            found = {group: group, layer: layer};
                        }
                    });
                });
                return found;
            }
            function findService(id) {
                var found = null;
                clusters.forEach(function (group) {
                    group.eachLayer(function (marker) {
                        if (marker.options.serviceId === id) found = {group: group, marker: marker};
                    });
                });
                return found;
            }
            var access = obsAccessibleList(map, {{ this.summary|tojson }}, {
                comune: function (button) {
                    var found = findComune(Number(button.dataset.comune));
                    if (!found) return;
                    var props = found.layer.feature.properties;
                    if (!map.hasLayer(found.group)) map.addLayer(found.group);
                    if (highlighted) highlighted.group.resetStyle(highlighted.layer);
                    found.layer.setStyle({weight: 3, color: "#000000"});
                    found.layer.bringToFront();
                    highlighted = found;
                    access.fit(found.layer.getBounds());
                    access.openAt(access.point(button), props.popup || props.tip);
                },
                service: function (button) {
                    var found = findService(Number(button.dataset.service));
                    if (!found) return;
                    if (!map.hasLayer(found.group)) map.addLayer(found.group);
                    found.group.zoomToShowLayer(found.marker, function () {
                        found.marker.openPopup();
                    });
                    access.show(found.marker.getPopup().getContent());
                }
            });
            {% if this.bounds %}
            map.fitBounds({{ this.bounds|tojson }}, access.padding());
            {% endif %}
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        fmap: folium.Map,
        comuni: gpd.GeoDataFrame,
        choropleth: Choropleth,
        services: pd.DataFrame,
        categories: dict[str, str],
        summary: str,
        lang: str,
    ) -> None:
        from maps.layers import ServiceCluster

        super().__init__()
        self._name = "AccessibleList"
        self.summary = summary
        children = list(fmap._children.values())
        self.shapes = [c.get_name() for c in children if _is_comuni_layer(c)]
        self.clusters = [c.get_name() for c in children if isinstance(c, ServiceCluster)]
        fits = [c for c in children if isinstance(c, FitBounds)]
        self.bounds = fits[-1].bounds if fits else None
        self.core = Markup(ACCESS_JS)
        self.list_html = list_html(comuni, choropleth, services, categories, lang)

def _is_comuni_layer(element: object) -> bool:
    """Whether `element` is a GeoJson layer of comuni (features with an ISTAT `code`)."""
    if not isinstance(element, folium.GeoJson):
        return False
    features = element.data.get("features") or [{}]
    return "code" in (features[0].get("properties") or {})
