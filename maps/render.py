"""What both maps share: their inputs, classes, the panel, assembly and the offline HTML."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element
from sqlalchemy.orm import Session

from maps import data
from maps.access import AccessibleList
from maps.assets import TEMPLATES, external_references, make_offline
from maps.data import MapParameters, Run, Scope
from maps.labels import LABELS, label, number
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

FOLIUM_VIEWPORT = re.compile(r'<meta name="viewport" content="[^"]*"')
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1.0"'
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
    summary: str = ""
    list_html: str = ""  # the accessible list of comuni and services (safe HTML)


@dataclass
class MapInputs:
    """What both maps read: scope, parameters, comuni ready to draw, services and labels."""

    scope: Scope
    params: MapParameters
    lang: str
    tiles: bool
    comuni: gpd.GeoDataFrame
    services: pd.DataFrame
    categories: dict[str, str]
    data_date: datetime | None

    @property
    def category(self) -> str | None:
        """The map's category code (None: all services)."""
        return self.params.category

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
    session: Session, scope: Scope, params: MapParameters, lang: str, tiles: bool
) -> MapInputs:
    """Read and prepare what a map of `scope` shows (polygons simplified together, rounded)."""
    check_category(session, params.category)
    params.analysis("access")  # refuse an impossible parameter before reading anything
    comuni = data.comuni(session, scope)
    tolerance = AREA_TOLERANCE_DEG if scope.area_code else REGION_TOLERANCE_DEG
    comuni["geom"] = simplify_coverage(comuni.geometry, tolerance)
    found = data.services(session, [int(code) for code in comuni.code], params.category)
    labels = data.categories(session, lang)
    return MapInputs(
        scope, params, lang, tiles, comuni, found, labels, data.data_date(session)
    )


def demand_text(run: Run, lang: str) -> str:
    """The population a run's rates are per, with its year: 'stranieri residenti (2024)'."""
    text = label(f"demand_{run.demand}", lang)
    return f"{text} ({run.demand_year})" if run.demand_year else text


def parameter_rows(run: Run, categories: dict[str, str], lang: str) -> dict[str, str]:
    """A run's parameters as the panel shows them: labels in `lang`, values spelled out."""
    rows: dict[str, str] = {}
    for key, value in run.parameters.items():
        if key == "kind" or value is None:
            continue
        if key == "category_code":
            key, value = "category", categories.get(value, value)
        elif key == "demand":
            value = demand_text(run, lang)
        elif key == "supply":
            value = label(f"supply_{value}", lang)
        elif key == "method":
            value = str(value).upper()
        elif isinstance(value, float):
            value = number(value, lang, 1)
        name = f"parameter_{key}"
        rows[label(name, lang) if name in LABELS else key] = _parameter_text(value)
    return rows


def base_panel(inputs: MapInputs, kind: str, runs: list[Run]) -> Panel:
    """The panel every map carries: title, scope, dates, the runs' parameters, credits."""
    lang = inputs.lang
    facts = [
        (label("category", lang), inputs.category_label),
        (label("comuni", lang), number(len(inputs.comuni), lang)),
        (label("services", lang), number(len(inputs.services), lang)),
        (label("geography", lang), str(int(inputs.comuni.year.max()))),
    ]
    if inputs.data_date is not None:
        facts.append((label("data_date", lang), f"{inputs.data_date:%Y-%m-%d}"))
    parameters: dict[str, str] = {}
    if len(runs) == 1:
        facts.append(
            (
                f"{label('analysis', lang)} ({runs[0].kind})",
                label("run", lang, id=runs[0].id, date=f"{runs[0].created_at:%Y-%m-%d}"),
            )
        )
    elif runs:
        ids = ", ".join(str(run.id) for run in runs)
        facts.append((label("analysis", lang), label("runs", lang, count=len(runs), ids=ids)))
    for run in runs:
        parameters |= parameter_rows(run, inputs.categories, lang)
    if len(runs) > 1:  # one run per category: the category is the map's subject, not a parameter
        parameters.pop(label("parameter_category", lang), None)
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

MAX_DECIMALS = 8


def _distinct_texts(values: list[float], lang: str, decimals: int) -> tuple[list[str], int]:
    """`values` formatted with the fewest decimals (from `decimals`) that tell them apart."""
    for places in range(decimals, MAX_DECIMALS + 1):
        texts = [number(value, lang, places) for value in values]
        if len(set(texts)) == len(texts):
            return texts, places
    return [number(value, lang, MAX_DECIMALS) for value in values], MAX_DECIMALS


def class_breaks(positive: np.ndarray, k: int) -> list[float]:
    """Upper bounds of at most `k` quantile classes of `positive`, each an observed value.

    Every class holds at least one value above the previous bound, and the first class at
    least two distinct values, so no class's lower bound equals its upper bound.
    """
    distinct = np.unique(positive)
    cuts = np.quantile(positive, [i / k for i in range(1, k)], method="inverted_cdf")
    breaks = sorted({float(distinct[distinct <= cut].max()) for cut in cuts})
    breaks = [b for b in breaks if distinct[0] < b < distinct[-1]]
    return [*breaks, float(distinct[-1])]


def classify(
    values: pd.Series, palette: tuple[str, ...], lang: str, decimals: int, zero_text: str
) -> tuple[pd.Series, list[LegendEntry]]:
    """Colour each value by quantile class of the positive values (0 and missing apart).

    Up to `len(palette)` distinct positive values each get their own class, labelled by the
    value ("tutti uguali" when there is one); more get quantile classes labelled
    "lower – upper" with enough decimals to tell every bound apart. Zero has its own class;
    missing and non-finite values are "no data". Returns the colour per value and the legend.
    """
    numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    finite = np.isfinite(numeric)
    colors = np.full(len(numeric), NO_DATA_COLOR, dtype=object)
    zero = finite & (numeric == 0)
    colors[zero] = ZERO_COLOR
    is_positive = finite & (numeric > 0)
    positive = numeric[is_positive]
    legend = [LegendEntry(ZERO_COLOR, zero_text)] if zero.any() else []
    distinct = np.unique(positive)
    if len(distinct) == 1:
        colors[is_positive] = palette[-1]
        text = f"{number(distinct[0], lang, decimals)} ({label('all_equal', lang)})"
        legend.append(LegendEntry(palette[-1], text))
    elif 1 < len(distinct) <= len(palette):
        shades = np.array(palette[len(palette) - len(distinct) :], dtype=object)
        texts, _ = _distinct_texts(list(distinct), lang, decimals)
        colors[is_positive] = shades[np.searchsorted(distinct, positive)]
        legend += [LegendEntry(shade, text) for shade, text in zip(shades, texts, strict=True)]
    elif len(distinct) > len(palette):
        uppers = class_breaks(positive, len(palette))
        shades = np.array(palette[len(palette) - len(uppers) :], dtype=object)
        colors[is_positive] = shades[np.searchsorted(uppers, positive)]
        texts, _ = _distinct_texts([float(distinct[0]), *uppers], lang, decimals)
        legend += [
            LegendEntry(shade, f"{lower} – {upper}")
            for shade, lower, upper in zip(shades, texts[:-1], texts[1:], strict=True)
        ]
    if not finite.all():
        legend.append(LegendEntry(NO_DATA_COLOR, label("no_data", lang)))
    return pd.Series(colors, index=values.index), legend


def add_panel(fmap: folium.Map, panel: Panel) -> None:
    """Place the title, legend, notes, dates, parameters and credits over the map."""
    body = TEMPLATES.get_template("panel.html").render(panel=panel)
    fmap.get_root().html.add_child(Element(body))


def to_html(fmap: folium.Map, title: str, lang: str) -> str:
    """Render the standalone HTML with every asset inlined; refuse any network reference."""
    folium.LayerControl(collapsed=True).add_to(fmap)  # a button: the list does not cover the map
    root = fmap.get_root()
    root.title = html.escape(title)
    make_offline(fmap)
    page = root.render().replace("<html>", f'<html lang="{lang}">', 1)
    page = FOLIUM_VIEWPORT.sub(VIEWPORT, page, count=1)  # folium's forbids zooming (WCAG 1.4.4)
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
    popups: list[str] | None = None
    values: list[str] = field(default_factory=list)  # per comune, for the accessible list
    value_title: str = ""
    figures: list[tuple[str, str]] = field(default_factory=list)  # key figures, for the summary


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
    if choropleth.popups is not None:
        comuni["popup"] = choropleth.popups
    fmap = new_map(comuni, inputs.tiles, lang)
    add_comuni_layer(fmap, comuni, choropleth.layer_name)
    add_area_layer(fmap, comuni, lang)
    add_catchment_rings(fmap, inputs.services, catchment_km, lang)
    add_service_layers(fmap, inputs.services, inputs.categories, lang, show_services)
    panel = base_panel(inputs, kind, choropleth.runs)
    panel.legend_title = choropleth.legend_title
    panel.legend = choropleth.legend
    panel.notes += choropleth.notes
    panel.summary = map_summary(inputs, panel.title, choropleth.figures)
    access = AccessibleList(
        fmap, comuni, choropleth, inputs.services, inputs.categories, panel.summary, lang
    )
    panel.list_html = access.list_html
    add_panel(fmap, panel)
    access.add_to(fmap)
    return fmap


def map_summary(inputs: MapInputs, title: str, figures: list[tuple[str, str]]) -> str:
    """The map's text alternative: what it shows and its key figures, in one short paragraph."""
    lang = inputs.lang
    counts = label(
        "summary_counts", lang, comuni=number(len(inputs.comuni), lang),
        services=number(len(inputs.services), lang), category=inputs.category_label,
    )
    return " ".join([f"{title}.", counts, *(f"{key}: {value}." for key, value in figures)])
