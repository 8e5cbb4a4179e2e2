"""The coverage map: comuni by accessibility (or services) per 10,000 residents, and services."""

from __future__ import annotations

import folium
import pandas as pd
from sqlalchemy.orm import Session

from maps.data import Run, latest_run
from maps.labels import label, number
from maps.layers import table_html
from maps.render import Choropleth, MapInputs, assemble, classify

PALETTE = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")  # ColorBrewer YlGnBu


def per_10k(counts: pd.Series, people: pd.Series) -> pd.Series:
    """`counts` per 10,000 `people`; missing where nobody lives."""
    return (counts * 10_000 / people.where(people > 0)).astype(float)


def coverage_values(
    session: Session, inputs: MapInputs
) -> tuple[pd.Series, str, list[Run]]:
    """The value of each comune, its unit label key and the runs it comes from.

    Prefers the latest accessibility run (A_i per 10,000), then the latest density run
    (services per 10,000 of the run's demand); with neither, counts the active services.
    """
    codes = inputs.codes
    found = latest_run(session, "access", inputs.category, codes)
    if found is not None:
        run, results = found
        return results.access_per_10k.reindex(codes).astype(float), "access_per_10k", [run]
    found = latest_run(session, "density", inputs.category, codes)
    if found is not None:
        run, results = found
        values = per_10k(results.services_count, results.demand).reindex(codes)
        return values, "services_per_10k", [run]
    counts = inputs.services.groupby("municipality_code").size().reindex(codes, fill_value=0)
    residents = inputs.comuni.set_index("code").residents
    return per_10k(counts, residents), "services_per_10k", []


def catchment_km(runs: list[Run]) -> float | None:
    """The catchment radius the analysis used (its `catchment_km` parameter), if any."""
    for run in runs:
        if run.parameters.get("catchment_km") is not None:
            return float(run.parameters["catchment_km"])
    return None


def build(session: Session, inputs: MapInputs) -> folium.Map:
    """Assemble the coverage map of `inputs`."""
    lang = inputs.lang
    values, unit, runs = coverage_values(session, inputs)
    coverage = latest_run(session, "coverage", inputs.category, inputs.codes)
    nearest = pd.Series(dtype=float)
    if coverage is not None:
        runs.append(coverage[0])
        nearest = coverage[1].nearest_km
    colors, legend = classify(values, PALETTE, lang, 2, label("zero", lang))
    counts = inputs.services.groupby("municipality_code").size()
    tooltips = [
        table_html(
            c.name,
            [
                (label("residents", lang), number(c.residents, lang)),
                (label("services", lang), number(counts.get(c.code, 0), lang)),
                (label(unit, lang), number(values[c.code], lang, 2)),
                (label("nearest_km", lang), number(nearest.get(c.code), lang, 1)),
            ],
        )
        for c in inputs.comuni.itertuples()
    ]
    choropleth = Choropleth(
        colors,
        tooltips,
        f"{label('comuni', lang)}: {label(unit, lang)}",
        label(unit, lang),
        legend,
        runs,
        [] if runs else [label("no_analysis", lang)],
    )
    return assemble(inputs, "coverage", choropleth, catchment_km=catchment_km(runs))
