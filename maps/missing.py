"""The missing-categories map: per comune, how many top-level categories have no service
within the catchment, with the categories and the foreign residents affected in a popup."""

from __future__ import annotations

import html

import folium
import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from maps import data
from maps.labels import label, number
from maps.layers import table_html
from maps.render import NO_DATA_COLOR, Choropleth, LegendEntry, MapInputs, assemble

PALETTE = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")  # ColorBrewer YlOrRd
LOWER_BOUNDS = (0, 1, 2, 4, 7, 11)  # classes of missing categories: 0, 1, 2-3, 4-6, 7-10, 11+


def count_classes(total: int) -> list[tuple[int, int]]:
    """(lower, upper) counts of each class up to `total` categories, none empty or reversed."""
    lowers = [lower for lower in LOWER_BOUNDS if lower <= total]
    uppers = [following - 1 for following in lowers[1:]] + [total]
    return list(zip(lowers, uppers, strict=True))


def missing_colors(
    counts: pd.Series, total: int, lang: str
) -> tuple[pd.Series, list[LegendEntry]]:
    """Colour each comune by its class of missing categories; one legend entry per class."""
    classes = count_classes(total)
    colors = pd.Series(NO_DATA_COLOR, index=counts.index)
    known = counts.notna()
    index = np.searchsorted([upper for _, upper in classes], counts[known].astype(int))
    colors[known] = [PALETTE[i] for i in index]
    legend = []
    for (lower, upper), color in zip(classes, PALETTE, strict=False):
        text = number(lower, lang) if lower == upper else f"{lower} – {upper}"
        if upper == 0:
            text += f" ({label('none_missing', lang)})"
        legend.append(LegendEntry(color, text))
    if not known.all():
        legend.append(LegendEntry(NO_DATA_COLOR, label("no_data", lang)))
    return colors, legend


def popup(name: str, missing: list[str], affected: float, categories: dict[str, str],
          lang: str) -> str:
    """The comune's popup: its missing categories (code and label) and the people affected."""
    items = "".join(
        f"<li>{html.escape(categories.get(code, code))} ({html.escape(code)})</li>"
        for code in missing
    )
    listed = f"<ul>{items}</ul>" if items else f"<p>{label('none_missing', lang)}</p>"
    return (
        table_html(name, [(label("affected", lang), number(affected, lang))])
        + f"<strong>{html.escape(label('missing_list', lang))}</strong>{listed}"
    )


def build(session: Session, inputs: MapInputs) -> folium.Map:
    """Assemble the missing-categories map of `inputs` (their category is ignored)."""
    from observatory.analysis.missing import missing_categories

    found = missing_categories(session, inputs.params.analysis("coverage"))
    runs = data.runs(session, list(found.attrs["runs"].values()))
    choropleth = missing_choropleth(inputs, found, runs)
    return assemble(inputs, "missing", choropleth, show_services=False)


def missing_choropleth(
    inputs: MapInputs, found: pd.DataFrame, runs: list[data.Run]
) -> Choropleth:
    """Colours, tooltips, popups and legend from `missing_categories` and its runs."""
    lang = inputs.lang
    frame = found.reindex(inputs.codes)
    total = len(found.attrs["categories"])
    colors, legend = missing_colors(frame.missing_count, total, lang)
    tooltips, popups = [], []
    for c, r in zip(inputs.comuni.itertuples(), frame.itertuples(), strict=True):
        missing = r.missing if isinstance(r.missing, list) else []
        tooltips.append(
            table_html(
                c.name,
                [
                    (label("foreign_residents", lang), number(r.foreign_residents, lang)),
                    (label("missing_count", lang), f"{number(r.missing_count, lang)} / {total}"),
                ],
            )
        )
        popups.append(popup(c.name, missing, r.affected_foreign_residents, inputs.categories,
                            lang))
    km = number(found.attrs["catchment_km"], lang, 1)
    some = frame.missing_count.fillna(0) > 0
    return Choropleth(
        colors,
        tooltips,
        f"{label('comuni', lang)}: {label('missing_count', lang)}",
        label("missing_legend", lang, km=km, total=total),
        legend,
        runs,
        popups=popups,
        values=[f"{number(count, lang)} / {total}" for count in frame.missing_count],
        value_title=label("missing_count", lang),
        figures=[
            (label("comuni_missing_some", lang), number(int(some.sum()), lang)),
            (
                label("affected_total", lang),
                number(float(frame.affected_foreign_residents.fillna(0).sum()), lang),
            ),
        ],
    )
