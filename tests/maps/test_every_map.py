"""Every map renders: every region and area x every category (and all services) x coverage and
gaps x it and en, on the example data and on the seeded data set.

Each analysis is computed once per category (it covers every comune) and each scope's comuni
are read once; every combination then goes through the map's colour, legend, tooltip and
panel builders in both languages, and one scope's maps are rendered to HTML in full.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from maps import data
from maps.coverage import coverage_choropleth, coverage_legend
from maps.data import MapParameters
from maps.gaps import gap_choropleth, gap_colors
from maps.missing import missing_choropleth, missing_colors
from maps.publish import render_map
from maps.render import Choropleth, MapInputs, base_panel, load_inputs
from observatory.analysis.demand import load_municipalities
from observatory.analysis.missing import missing_categories
from observatory.settings import DATA_DIR
from tests.ingest.helpers import run as ingest
from tests.maps.conftest import CATCHMENT_KM

RANGE = re.compile(r"^(.+) – (.+)$")
LANGS = ("it", "en")


@pytest.fixture(scope="module")
def example_data(engine: Engine) -> Iterator[Session]:
    """A session seeing the example survey (data/sample) ingested, rolled back afterwards."""
    with engine.connect() as conn:
        outer = conn.begin()
        with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
            ingest(session, DATA_DIR / "sample" / "servizi_esempio.csv", "sample")
            yield session
        outer.rollback()


def legend_problems(choropleth: Choropleth, where: str) -> list[str]:
    """What is wrong with a legend: degenerate classes, colours it does not explain."""
    problems = []
    texts = [entry.text for entry in choropleth.legend]
    for text in texts:
        bounds = RANGE.match(text)
        if bounds and bounds.group(1) == bounds.group(2):
            problems.append(f"{where}: degenerate class {text!r}")
    if any("tutti uguali" in t or "all equal" in t for t in texts):
        positive = [t for t in texts if t[:1].isdigit() and not t.startswith("0 ")]
        if len(positive) != 1:
            problems.append(f"{where}: 'all equal' beside other classes {texts}")
    unexplained = set(choropleth.colors) - {entry.color for entry in choropleth.legend}
    if unexplained:
        problems.append(f"{where}: colours without a legend entry {unexplained}")
    if len(set(texts)) != len(texts):
        problems.append(f"{where}: repeated legend entries {texts}")
    return problems


def scope_inputs(session: Session, lang: str) -> list[MapInputs]:
    """The inputs of every region and area map of all services, read once."""
    params = MapParameters(catchment_km=CATCHMENT_KM)
    return [load_inputs(session, scope, params, lang, False) for scope in data.list_scopes(session)]


def for_category(inputs: MapInputs, category: str | None, lang: str,
                 labels: dict[str, str]) -> MapInputs:
    """`inputs` narrowed to one category's services, in `lang`."""
    services = inputs.services
    if category is not None:
        chosen = (services.category_code == category) | (services.top_category == category)
        services = services[chosen]
    params = MapParameters(category, catchment_km=CATCHMENT_KM)
    return replace(inputs, params=params, services=services, lang=lang, categories=labels)


def english_legends(
    inputs: MapInputs, category: str | None, analyses: dict, found: object
) -> dict[str, Choropleth]:
    """The English colours and legends of a scope's two maps (no tooltips)."""
    run, results = analyses["access"]
    results = results.reindex(inputs.codes)
    colors, legend, title = coverage_legend(results, run, "en")
    maps = {"coverage": Choropleth(colors, [], "", title, legend, [run])}
    if category is None:
        counts = found.reindex(inputs.codes).missing_count
        colors, legend = missing_colors(counts, len(found.attrs["categories"]), "en")
        maps["gaps"] = Choropleth(colors, [], "", "", legend, [])
    else:
        run, results = analyses["gaps"]
        colors, legend = gap_colors(results.reindex(inputs.codes), "en")
        maps["gaps"] = Choropleth(colors, [], "", "", legend, [run])
    return maps


def check_every_map(session: Session) -> tuple[int, list[str]]:
    """Build every scope x category x kind x language map; the number built and the problems.

    Italian maps get their colours, legend, tooltips and panel; English ones their colours,
    legend and panel (the tooltips are the same code with other labels).
    """
    municipalities = load_municipalities(session)
    every_code = [int(code) for code in municipalities.index]
    labels = {lang: data.categories(session, lang) for lang in LANGS}
    categories: list[str | None] = [None, *labels["it"]]
    scopes = scope_inputs(session, "it")
    params = MapParameters(catchment_km=CATCHMENT_KM)
    found = missing_categories(session, params.analysis("coverage"))
    missing_runs = data.runs(session, list(found.attrs["runs"].values()))
    problems: list[str] = []
    built = 0
    for category in categories:
        params = MapParameters(category, catchment_km=CATCHMENT_KM)
        analyses = {
            kind: data.analysis(session, params.analysis(kind), every_code, municipalities)
            for kind in ("access", "gaps")
        }
        for scope in scopes:
            inputs = for_category(scope, category, "it", labels["it"])
            maps = {"coverage": coverage_choropleth(inputs, *analyses["access"])}
            if category is None:
                maps["gaps"] = missing_choropleth(inputs, found, missing_runs)
            else:
                maps["gaps"] = gap_choropleth(inputs, *analyses["gaps"])
            english = for_category(scope, category, "en", labels["en"])
            for lang, built_maps, lang_inputs in (
                ("it", maps, inputs),
                ("en", english_legends(english, category, analyses, found), english),
            ):
                for kind, choropleth in built_maps.items():
                    where = f"{scope.scope.path} {category or 'all'} {kind} {lang}"
                    built += 1
                    problems += legend_problems(choropleth, where)
                    if lang == "it" and len(choropleth.tooltips) != len(inputs.comuni):
                        problems.append(f"{where}: {len(choropleth.tooltips)} tooltips")
                    runs = maps[kind].runs
                    panel = base_panel(lang_inputs, kind, runs)
                    expected = "10,0" if lang == "it" else "10.0"
                    if expected not in " ".join(panel.parameters.values()):
                        problems.append(f"{where}: the panel omits the catchment {panel}")
    return built, problems


def check_one_scope_in_full(session: Session) -> list[str]:
    """Render the HTML of every category's maps of the smallest area (folium, offline)."""
    smallest = min(scope_inputs(session, "it"), key=lambda inputs: len(inputs.comuni))
    labels = data.categories(session, "it")
    pages = []
    for category in [None, *labels]:
        inputs = for_category(smallest, category, "it", labels)
        pages += [render_map(session, inputs, kind) for kind in ("coverage", "gaps")]
    return [page[:200] for page in pages if "leaflet-container" not in page]


@pytest.mark.parametrize("dataset", ["example_data", "seeded"])
def test_every_map_builds_with_a_proper_legend(request, dataset):
    session = request.getfixturevalue(dataset)
    scopes = len(data.list_scopes(session))
    categories = 1 + len(data.categories(session, "it"))
    built, problems = check_every_map(session)
    assert built == scopes * categories * 2 * len(LANGS)
    assert problems == []
    assert check_one_scope_in_full(session) == []
