"""The coverage map: comuni by accessibility per 10,000 of the demand population, and services."""

from __future__ import annotations

import folium
import pandas as pd
from sqlalchemy.orm import Session

from maps.data import Run, analysis
from maps.labels import label, number
from maps.layers import table_html
from maps.render import (
    Choropleth,
    LegendEntry,
    MapInputs,
    assemble,
    classify,
    demand_text,
)

PALETTE = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")  # ColorBrewer YlGnBu


def unit_text(run: Run, lang: str) -> str:
    """'Accessibilità (indice 2SFCA) per 10.000 stranieri residenti (2024)'."""
    method = str(run.parameters.get("method", "2sfca")).upper()
    return label("access_per_10k", lang, method=method, demand=demand_text(run, lang))


def coverage_legend(
    results: pd.DataFrame, run: Run, lang: str
) -> tuple[pd.Series, list[LegendEntry], str]:
    """Colour per comune, legend and legend title of the coverage map."""
    values = results.access_per_10k.astype(float)
    colors, legend = classify(values, PALETTE, lang, 2, label("zero", lang))
    return colors, legend, unit_text(run, lang)


def build(session: Session, inputs: MapInputs) -> folium.Map:
    """Assemble the coverage map of `inputs` from the access run its parameters address."""
    run, results = analysis(session, inputs.params.analysis("access"), inputs.codes)
    choropleth = coverage_choropleth(inputs, run, results)
    return assemble(
        inputs, "coverage", choropleth, catchment_km=float(run.parameters["catchment_km"])
    )


def coverage_choropleth(inputs: MapInputs, run: Run, results: pd.DataFrame) -> Choropleth:
    """Colours, tooltips and legend of the coverage map from the access run's results."""
    lang = inputs.lang
    results = results.reindex(inputs.codes)
    colors, legend, unit = coverage_legend(results, run, lang)
    tooltips = [
        table_html(
            c.name,
            [
                (label("demand", lang) + f" ({demand_text(run, lang)})", number(r.demand, lang)),
                (label("services", lang), number(r.services_count, lang)),
                (unit, number(r.access_per_10k, lang, 2)),
                (label("nearest_km", lang), number(r.nearest_km, lang, 1)),
            ],
        )
        for c, r in zip(inputs.comuni.itertuples(), results.itertuples(), strict=True)
    ]
    access = results.access_per_10k.astype(float)
    uncovered = int((results.services_within == 0).sum())
    return Choropleth(
        colors, tooltips, f"{label('comuni', lang)}: {unit}", unit, legend, [run],
        values=[number(value, lang, 2) for value in access],
        value_title=unit,
        figures=[
            (label("uncovered_comuni", lang), number(uncovered, lang)),
            (
                label("access_range", lang),
                f"{number(access.min(), lang, 2)} – {number(access.max(), lang, 2)}",
            ),
        ],
    )
