"""The missing-categories map and `observatory.analysis.missing` on a hand-checked set."""

import json
import re

from sqlalchemy import text

from maps.data import MapParameters, resolve_scope
from maps.missing import PALETTE
from maps.publish import render_scope_map
from observatory.analysis.missing import missing_by_area, missing_categories
from observatory.analysis.parameters import Parameters
from tests.helpers import add_service

NAPOLI, REGGIO_CALABRIA = 63049, 80063
FOREIGN_SQL = text(  # the latest year of the loaded ISTAT file, overwritten for the test
    "UPDATE population SET value = :value WHERE municipality_code = :code "
    "AND indicator = 'foreign_residents' AND year = (SELECT max(year) FROM population "
    "WHERE indicator = 'foreign_residents')"
)


def _seed(session) -> None:
    """A health and a legal service on Napoli's point; foreign residents of two comuni set."""
    lon, lat = session.execute(
        text("SELECT ST_X(point), ST_Y(point) FROM municipality WHERE code = :code"),
        {"code": NAPOLI},
    ).one()
    add_service(session, lon, lat, name="ASL", category_code="SAN-ASL", municipality_code=NAPOLI)
    add_service(session, lon, lat, name="Legale", category_code="LEG", municipality_code=NAPOLI)
    session.execute(FOREIGN_SQL, {"code": NAPOLI, "value": 5000})
    session.execute(FOREIGN_SQL, {"code": REGGIO_CALABRIA, "value": 2000})


def test_missing_categories_per_comune_and_area(session):
    _seed(session)
    found = missing_categories(session, Parameters("coverage", catchment_km=10), region="campania")
    categories = found.attrs["categories"]
    assert len(categories) == 14 and categories[0] == "DOC"
    napoli = found.loc[NAPOLI]
    assert napoli.missing == [code for code in categories if code not in ("SAN", "LEG")]
    assert (napoli.missing_count, napoli.affected_foreign_residents) == (12, 5000)
    assert REGGIO_CALABRIA not in found.index  # Calabria is filtered out
    everywhere = missing_categories(session, Parameters("coverage", catchment_km=10))
    reggio = everywhere.loc[REGGIO_CALABRIA]
    assert (reggio.missing_count, reggio.affected_foreign_residents) == (14, 2000)
    by_area = missing_by_area(everywhere)
    napoli_area = by_area[by_area.area == "napoli"].set_index("category")
    assert "SAN" in napoli_area.index  # comuni of the area farther than 10 km from Napoli
    in_area = everywhere[everywhere.area == "napoli"].foreign_residents.sum()
    assert napoli_area.loc["DOC", "foreign_residents_affected"] == in_area  # missing everywhere


def test_missing_categories_map_colours_and_lists_them(session):
    _seed(session)
    scope = resolve_scope(session, None, "napoli")
    page = render_scope_map(session, scope, "gaps", MapParameters(catchment_km=10), "it", False)
    feature = re.search(
        rf'"code": {NAPOLI}, "fill": "(#\w+)", "popup": ("(?:[^"\\]|\\.)*"), '
        r'"tip": ("(?:[^"\\]|\\.)*")',
        page,
    )
    fill, popup, tip = feature.group(1), json.loads(feature.group(2)), json.loads(feature.group(3))
    assert fill == PALETTE[-1]  # 12 of 14: the darkest class, 11 – 14
    assert "12 / 14" in tip
    assert "Stranieri residenti interessati</th><td>5.000" in popup
    assert "<li>Documenti e soggiorno (DOC)</li>" in popup
    assert "Salute" not in popup and "Tutela legale" not in popup
    assert "Categorie senza servizi entro 10,0 km (su 14)" in page
    assert "11 – 14" in page and "0 (nessuna)" in page
