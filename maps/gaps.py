"""The gap map: uncovered and low-access comuni highlighted by unmet demand."""

from __future__ import annotations

import folium
import pandas as pd
from sqlalchemy.orm import Session

from maps.data import Run, latest_run
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
    )

PALETTE = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")  # ColorBrewer Reds
SERVED_COLOR = "#c7e9c0"
RESULT_COLUMNS = ["demand", "nearest_km", "services_within", "covered", "access_per_10k"]


def gap_results(
    session: Session, inputs: MapInputs
) -> tuple[pd.DataFrame, list[Run], str | None]:
    """Per-comune gap results, the run they come from and a note on where they come from.

    The latest gap run; failing that, the latest coverage run (a comune with people and no
    service within the catchment is a gap, its demand unmet); failing that, nothing.
    """
    codes = inputs.codes
    found = latest_run(session, "gaps", inputs.category, codes)
    if found is not None:
        return found[1].reindex(codes), [found[0]], None
    found = latest_run(session, "coverage", inputs.category, codes)
    if found is None:
        empty = pd.DataFrame(index=codes, columns=[*RESULT_COLUMNS, "is_gap", "unmet_demand"])
        return empty, [], label("no_gap_analysis", inputs.lang)
    run, results = found
    results = results.reindex(codes)
    results["is_gap"] = (results.demand > 0) & (results.covered == False)  # noqa: E712
    results["unmet_demand"] = results.demand.where(results.is_gap, 0)
    return results, [run], label("gaps_from_coverage", inputs.lang)


def gap_colors(results: pd.DataFrame, lang: str) -> tuple[pd.Series, list[LegendEntry]]:
    """Gaps coloured by unmet demand classes, served comuni green, empty ones apart."""
    is_gap = results.is_gap.fillna(False).astype(bool)
    colors, legend = classify(
        results.unmet_demand[is_gap].astype(float), PALETTE, lang, 0, label("no_demand", lang)
    )
    colors = colors.reindex(results.index)
    served = results.is_gap.notna() & ~is_gap
    no_demand = served & (results.demand == 0)
    colors[served] = SERVED_COLOR
    colors[no_demand] = ZERO_COLOR
    colors = colors.fillna(NO_DATA_COLOR)
    if (served & ~no_demand).any():
        legend.append(LegendEntry(SERVED_COLOR, label("not_gap", lang)))
    if no_demand.any():
        legend.append(LegendEntry(ZERO_COLOR, label("no_demand", lang)))
    if results.is_gap.isna().any():
        legend.append(LegendEntry(NO_DATA_COLOR, label("no_data", lang)))
    return colors, legend


def _yes_no(value: object, lang: str) -> str:
    if value is None or pd.isna(value):
        return "–"
    return label("yes" if value else "no", lang)


def build(session: Session, inputs: MapInputs) -> folium.Map:
    """Assemble the gap map of `inputs`."""
    lang = inputs.lang
    results, runs, note = gap_results(session, inputs)
    colors, legend = gap_colors(results, lang)
    tooltips = [
        table_html(
            c.name,
            [
                (label("demand", lang), number(r.demand, lang)),
                (label("nearest_km", lang), number(r.nearest_km, lang, 1)),
                (label("services_within", lang), number(r.services_within, lang)),
                (label("covered", lang), _yes_no(r.covered, lang)),
                (label("access_per_10k", lang), number(r.access_per_10k, lang, 2)),
                (label("unmet_demand", lang), number(r.unmet_demand, lang)),
            ],
        )
        for c, r in zip(inputs.comuni.itertuples(), results.itertuples(), strict=True)
    ]
    choropleth = Choropleth(
        colors,
        tooltips,
        f"{label('comuni', lang)}: {label('unmet_demand', lang)}",
        label("gap_legend", lang),
        legend,
        runs,
        [note] if note else [],
    )
    return assemble(inputs, "gaps", choropleth, show_services=False)
