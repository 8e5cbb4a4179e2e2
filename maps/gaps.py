"""The gap map: uncovered and low-access comuni highlighted by unmet demand."""

from __future__ import annotations

import folium
import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from maps import missing
from maps.coverage import unit_text
from maps.data import Run, analysis
from maps.labels import label, number
from maps.layers import table_html
from maps.render import (
    NO_DATA_COLOR,
    ZERO_COLOR,
    Choropleth,
    LegendEntry,
    MapInputs,
    assemble,
    classify,
    demand_text,
)

# ColorBrewer Oranges for gaps, a Blues shade for served comuni: orange against blue stays
# apart for every kind of colour blindness (red against green did not).
PALETTE = ("#feedde", "#fdbe85", "#fd8d3c", "#e6550d", "#a63603")
SERVED_COLOR = "#9ecae1"


def gap_colors(results: pd.DataFrame, lang: str) -> tuple[pd.Series, list[LegendEntry]]:
    """Gaps coloured by unmet demand classes, served comuni blue, empty ones apart."""
    known = results.is_gap.notna().to_numpy()
    is_gap = results.is_gap.fillna(False).astype(bool).to_numpy()
    gap_colors, legend = classify(
        results.unmet_demand[is_gap].astype(float), PALETTE, lang, 0, label("no_demand", lang)
    )
    colors = np.full(len(results), NO_DATA_COLOR, dtype=object)
    colors[is_gap] = gap_colors.to_numpy()
    served = known & ~is_gap
    no_demand = served & (results.demand.to_numpy() == 0)
    colors[served] = SERVED_COLOR
    colors[no_demand] = ZERO_COLOR
    if (served & ~no_demand).any():
        legend.append(LegendEntry(SERVED_COLOR, label("not_gap", lang)))
    if no_demand.any():
        legend.append(LegendEntry(ZERO_COLOR, label("no_demand", lang)))
    if not known.all():
        legend.append(LegendEntry(NO_DATA_COLOR, label("no_data", lang)))
    return pd.Series(colors, index=results.index), legend


def _yes_no(value: object, lang: str) -> str:
    if value is None or pd.isna(value):
        return "–"
    return label("yes" if value else "no", lang)


def build(session: Session, inputs: MapInputs) -> folium.Map:
    """Assemble the gap map of `inputs`; of all services, the missing-categories map."""
    if inputs.category is None:
        return missing.build(session, inputs)
    run, results = analysis(session, inputs.params.analysis("gaps"), inputs.codes)
    return assemble(inputs, "gaps", gap_choropleth(inputs, run, results), show_services=False)


def gap_choropleth(inputs: MapInputs, run: Run, results: pd.DataFrame) -> Choropleth:
    """Colours, tooltips and legend of the gap map of one category from the gap run's results."""
    lang = inputs.lang
    results = results.reindex(inputs.codes)
    colors, legend = gap_colors(results, lang)
    people = demand_text(run, lang)
    tooltips = [
        table_html(
            c.name,
            [
                (f"{label('demand', lang)} ({people})", number(r.demand, lang)),
                (label("nearest_km", lang), number(r.nearest_km, lang, 1)),
                (label("services_within", lang), number(r.services_within, lang)),
                (label("covered", lang), _yes_no(r.covered, lang)),
                (unit_text(run, lang), number(r.access_per_10k, lang, 2)),
                (label("unmet_demand", lang), number(r.unmet_demand, lang)),
            ],
        )
        for c, r in zip(inputs.comuni.itertuples(), results.itertuples(), strict=True)
    ]
    gap = results.is_gap.fillna(False).astype(bool)
    return Choropleth(
        colors,
        tooltips,
        f"{label('comuni', lang)}: {label('unmet_demand', lang)}",
        label("gap_legend", lang, demand=people),
        legend,
        [run],
        values=[number(value, lang) for value in results.unmet_demand],
        value_title=label("unmet_demand", lang),
        figures=[
            (label("gap_comuni", lang), number(int(gap.sum()), lang)),
            (label("unmet_total", lang), number(float(results.unmet_demand[gap].sum()), lang)),
        ],
    )
