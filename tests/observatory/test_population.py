"""ISTAT population files: STRASA foreign residents and POSAS residents, written by the tests."""

import pytest
from sqlalchemy import text

from observatory.analysis.demand import load_municipalities
from observatory.errors import InvalidInput
from observatory.population import load_population_file, read_population_file

TITLE = (
    '"Cittadini Stranieri. Popolazione residente per sesso e età al 1° gennaio 2023 - '
    'Tutti i comuni"'
)


def strasa(rows: list[tuple[str, str, int, int, int]], title: str = TITLE) -> bytes:
    """A STRASA-like file: BOM, a title row, `;`, 6-digit codes, ages and a 999 total row."""
    lines = [title, "Codice comune;Comune;Età;Maschi;Femmine"]
    lines += [f"{code};{name};{age};{m};{f}" for code, name, age, m, f in rows]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


NAPOLI_ROWS = [
    ("063049", "Napoli", 0, 100, 90),
    ("063049", "Napoli", 1, 50, 60),
    ("063049", "Napoli", 999, 150, 150),
    ("064008", "Avellino", 0, 5, 5),
    ("064008", "Avellino", 999, 5, 5),
    ("001001", "Agliè", 999, 3, 4),
]


def test_strasa_total_row_is_not_double_counted(tmp_path):
    path = tmp_path / "STRASA_2023_it_Comuni.csv"
    path.write_bytes(strasa(NAPOLI_ROWS))
    data = read_population_file(path)
    assert data.indicator == "foreign_residents" and data.year == 2023
    assert data.totals.to_dict() == {1001: 7, 63049: 300, 64008: 10}
    assert data.names[63049] == "Napoli"


def test_file_without_total_rows_sums_the_ages_cp1252_and_commas(tmp_path):
    path = tmp_path / "stranieri.csv"
    content = "Codice comune,Comune,Età,Maschi,Femmine\n063049,Napoli,0,1,2\n063049,Napoli,1,3,4\n"
    path.write_bytes(content.encode("cp1252"))
    data = read_population_file(path, indicator="foreign_residents", year=2022)
    assert data.totals.to_dict() == {63049: 10}


def test_posas_layout_is_read_as_residents(tmp_path):
    path = tmp_path / "POSAS_2023_it_Comuni.csv"
    path.write_text(
        "Popolazione residente al 1° gennaio 2023\n"
        "Codice comune;Comune;Età;Totale maschi;Totale femmine;Totale\n"
        "63049;Napoli;999;440.000;470.000;910.000\n",
        encoding="utf-8",
    )
    data = read_population_file(path)
    assert data.indicator == "residents" and data.totals.to_dict() == {63049: 910_000}


def test_load_stores_foreign_residents_and_skips_other_regions(session, tmp_path):
    path = tmp_path / "STRASA_2023_it_Comuni.csv"
    path.write_bytes(strasa(NAPOLI_ROWS))
    loaded = load_population_file(session, path)
    assert (loaded.comuni, loaded.total, loaded.outside_geography) == (2, 310, 1)
    assert loaded.geography_year == 2023 and 63049 not in loaded.without_row
    stored = session.execute(
        text("SELECT value FROM population WHERE indicator = 'foreign_residents' "
             "AND municipality_code = 63049 AND year = 2023")
    ).scalar()
    assert stored == 300
    municipalities = load_municipalities(session, {"foreign_residents": 2023})
    assert municipalities.attrs["foreign_residents_year"] == 2023
    assert municipalities.loc[64008, "foreign_residents"] == 10


def test_unknown_code_in_a_loaded_province_names_it_and_the_geography_year(session, tmp_path):
    path = tmp_path / "STRASA_2023_it_Comuni.csv"
    path.write_bytes(strasa([("063999", "Comune Fuso", 999, 1, 1)]))
    with pytest.raises(InvalidInput, match=r"2023 geography.*063999 Comune Fuso"):
        load_population_file(session, path)


def test_file_without_a_code_column_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Nome;Valore\nNapoli;3\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="comune code"):
        read_population_file(path, "residents", 2023)
