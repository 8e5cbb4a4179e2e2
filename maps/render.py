"""What both maps share: their inputs, classes, the panel, assembly and the offline HTML."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field

import folium
import geopandas as gpd
import mapclassify
import pandas as pd
from branca.element import Element
from sqlalchemy.orm import Session

from maps import data
from maps.assets import TEMPLATES, external_references, make_offline
from maps.data import DataVersion, Run, Scope
from maps.labels import label, number
from maps.layers import (
    add_area_layer,
    add_catchment_rings,
    add_comuni_layer,
    add_service_layers,
    new_map,
)
from maps.simplify import AREA_TOLERANCE_DEG, REGION_TOLERANCE_DEG, simplify_coverage
from observatory.errors import ConfigurationError
from observatory.geography import CREDIT
from observatory.taxonomy import check_category

NO_DATA_COLOR = "#d9d9d9"
ZERO_COLOR = "#f7f7f7"


@dataclass
class LegendEntry:
    """One box of a legend: its colour and what it means."""

    color: str
    text: str


@dataclass
class Panel:
    """The map's fixed panel: title, legend, notes, dates, parameters and credits."""

    title: str
    subtitle: str
    legend_title: str = ""
    legend: list[LegendEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    parameters_title: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    credits: list[str] = field(default_factory=list)


@dataclass
class MapInputs:
    """What both maps read: scope, options, comuni ready to draw, services and labels."""

    scope: Scope
    category: str | None
    lang: str
    tiles: bool
    comuni: gpd.GeoDataFrame
    services: pd.DataFrame
    categories: dict[str, str]
    version: DataVersion

    @property
    def codes(self) -> list[int]:
        """ISTAT codes of the comuni on the map."""
        return [int(code) for code in self.comuni.code]

    @property
    def category_label(self) -> str:
        """The chosen category's label, or 'all categories'."""
        if self.category is None:
            return label("all_categories", self.lang)
        return self.categories.get(self.category, self.category)


def load_inputs(
    session: Session, scope: Scope, category: str | None, lang: str, tiles: bool
) -> MapInputs:
    """Read and prepare what a map of `scope` shows (polygons simplified together, rounded)."""
    check_category(session, category)
    comuni = data.comuni(session, scope)
    tolerance = AREA_TOLERANCE_DEG if scope.area_code else REGION_TOLERANCE_DEG
    comuni["geom"] = simplify_coverage(comuni.geometry, tolerance)
    found = data.services(session, [int(code) for code in comuni.code], category)
    labels = data.categories(session, lang)
    return MapInputs(
        scope, category, lang, tiles, comuni, found, labels, data.data_version(session)
    )


def base_panel(inputs: MapInputs, kind: str, runs: list[Run]) -> Panel:
    """The panel every map carries: title, scope, dates, the runs' parameters, credits."""
    lang = inputs.lang
    facts = [
        (label("category", lang), inputs.category_label),
        (label("comuni", lang), number(len(inputs.comuni), lang)),
        (label("services", lang), number(len(inputs.services), lang)),
        (label("geography", lang), str(int(inputs.comuni.year.max()))),
    ]
    if inputs.version.services_updated_at is not None:
        facts.append((label("data_date", lang), f"{inputs.version.services_updated_at:%Y-%m-%d}"))
    parameters: dict[str, str] = {}
    for run in runs:
        facts.append(
            (
                f"{label('analysis', lang)} ({run.kind})",
                label("run", lang, id=run.id, date=f"{run.created_at:%Y-%m-%d}"),
            )
        )
        parameters |= {key: _parameter_text(value) for key, value in run.parameters.items()}
    notes = [label("example_notice", lang)] if inputs.services.is_example.any() else []
    credits = [CREDIT] + ([label("osm_credit", lang)] if inputs.tiles else [])
    return Panel(
        title=f"{label(kind, lang)} — {inputs.scope.title}",
        subtitle=inputs.category_label,
        notes=notes,
        facts=facts,
        parameters_title=label("parameters", lang),
        parameters=parameters,
        credits=credits,
    )


def _parameter_text(value: object) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)

def classify(
    values: pd.Series, palette: tuple[str, ...], lang: str, decimals: int, zero_text: str
) -> tuple[pd.Series, list[LegendEntry]]:
    """Colour each value by quantile class of the positive values (0 and missing apart).

    Returns the colour per value and the legend with each class's bounds.
    """
    colors = pd.Series(NO_DATA_COLOR, index=values.index)
    colors[values == 0] = ZERO_COLOR
    positive = values[values > 0]
    legend = [LegendEntry(ZERO_COLOR, zero_text)] if (values == 0).any() else []
    k = min(len(palette), positive.nunique())
    if k == 1:
        colors[positive.index] = palette[-1]
        legend.append(LegendEntry(palette[-1], number(positive.iloc[0], lang, decimals)))
    elif k > 1:
        classes = mapclassify.Quantiles(positive.to_numpy(), k=k)
        shades = palette[len(palette) - classes.k :]
        colors[positive.index] = [shades[i] for i in classes.yb]
        lower = positive.min()
        for shade, upper in zip(shades, classes.bins, strict=True):
            bounds = f"{number(lower, lang, decimals)} – {number(upper, lang, decimals)}"
            legend.append(LegendEntry(shade, bounds))
            lower = upper
    if values.isna().any():
        legend.append(LegendEntry(NO_DATA_COLOR, label("no_data", lang)))
    return colors, legend

def add_panel(fmap: folium.Map, panel: Panel) -> None:
    """Place the title, legend, notes, dates, parameters and credits over the map."""
    body = TEMPLATES.get_template("panel.html").render(panel=panel)
    fmap.get_root().html.add_child(Element(body))


def to_html(fmap: folium.Map, title: str, lang: str) -> str:
    """Render the standalone HTML with every asset inlined; refuse any network reference."""
    folium.LayerControl(collapsed=False).add_to(fmap)
    root = fmap.get_root()
    root.title = html.escape(title)
    make_offline(fmap)
    page = root.render().replace("<html>", f'<html lang="{lang}">', 1)
    external = external_references(page)
    if external:
        raise ConfigurationError(f"map would load assets from the network: {external[:3]}")
    return page


@dataclass
class Choropleth:
    """What a map colours its comuni by: colour and tooltip per comune, legend and sources."""

    colors: pd.Series
    tooltips: list[str]
    layer_name: str
    legend_title: str
    legend: list[LegendEntry]
    runs: list[Run]
    notes: list[str] = field(default_factory=list)


def assemble(
    inputs: MapInputs,
    kind: str,
    choropleth: Choropleth,
    show_services: bool = True,
    catchment_km: float | None = None,
) -> folium.Map:
    """Put a map together: comuni, area outlines, catchment rings, services and the panel."""
    lang = inputs.lang
    comuni = inputs.comuni.assign(fill=choropleth.colors.to_numpy(), tip=choropleth.tooltips)
    fmap = new_map(comuni, inputs.tiles, lang)
    add_comuni_layer(fmap, comuni, choropleth.layer_name)
    add_area_layer(fmap, comuni, lang)
    add_catchment_rings(fmap, inputs.services, catchment_km, lang)
    add_service_layers(fmap, inputs.services, inputs.categories, lang, show_services)
    panel = base_panel(inputs, kind, choropleth.runs)
    panel.legend_title = choropleth.legend_title
    panel.legend = choropleth.legend
    panel.notes += choropleth.notes
    add_panel(fmap, panel)
    return fmap
