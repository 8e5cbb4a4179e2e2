import json

import pytest
from openpyxl import Workbook

from ingest.columns import GEOMETRY_LAT, GEOMETRY_LON
from ingest.read import read_table
from observatory.errors import InvalidInput
from tests.ingest.helpers import write_sheet


def test_read_cp1252_semicolon_csv_keeps_accents_and_line_numbers(tmp_path):
    path = write_sheet(
        tmp_path / "s.csv",
        [["Caffè Solidale", "INF", "Via Città 1", "Forlì del Sannio", "IS", "40,85", "14,26"]],
    )
    table = read_table(path)
    assert table.encoding == "cp1252"
    assert table.delimiter == ";"
    number, row = table.rows[0]
    assert number == 2
    assert row["nome"] == "Caffè Solidale"
    assert row["comune"] == "Forlì del Sannio"
    assert row["lat"] == "40,85"


def test_read_utf8_bom_comma_csv_strips_the_bom_from_the_first_header(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffnome,comune\nSportello Ü,Napoli\n".encode())
    table = read_table(path)
    assert table.headers == ["nome", "comune"]
    assert table.encoding == "utf-8-sig"
    assert table.rows == [(2, {"nome": "Sportello Ü", "comune": "Napoli"})]


def test_read_tab_delimited_latin1(tmp_path):
    path = tmp_path / "tab.txt"
    path.write_bytes("nome\tcomune\nCentro \xe0\tBari\n".encode("latin-1"))
    table = read_table(path)
    assert table.delimiter == "\t"
    assert table.rows[0][1] == {"nome": "Centro à", "comune": "Bari"}


def test_read_overrides_delimiter_and_encoding(tmp_path):
    path = tmp_path / "pipe.csv"
    path.write_bytes("nome|comune\nCentro é|Bari\n".encode("latin-1"))
    table = read_table(path, delimiter="|", encoding="latin-1")
    assert table.rows[0][1] == {"nome": "Centro é", "comune": "Bari"}


def test_read_xlsx_first_sheet_or_named_sheet(tmp_path):
    workbook = Workbook()
    first = workbook.active
    first.title = "Servizi"
    first.append(["nome", "cap", "lat"])
    first.append(["Sportello", 80100, 40.85])
    first.append([None, None, None])
    other = workbook.create_sheet("Altro")
    other.append(["nome"])
    other.append(["Altro sportello"])
    path = tmp_path / "survey.xlsx"
    workbook.save(path)
    table = read_table(path)
    assert table.rows == [(2, {"nome": "Sportello", "cap": "80100", "lat": "40.85"})]
    assert read_table(path, sheet="Altro").rows == [(2, {"nome": "Altro sportello"})]
    with pytest.raises(InvalidInput, match="no sheet 'Nope'"):
        read_table(path, sheet="Nope")


def test_read_geojson_points_give_lon_lat_columns(tmp_path):
    path = tmp_path / "points.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"nome": "CPIA Napoli", "comune": "Napoli"},
                        "geometry": {"type": "Point", "coordinates": [14.2681, 40.8518]},
                    },
                    {
                        "type": "Feature",
                        "properties": {"nome": "Senza punto", "comune": "Bari"},
                        "geometry": None,
                    },
                ],
            }
        )
    )
    table = read_table(path)
    assert table.headers[:2] == [GEOMETRY_LON, GEOMETRY_LAT]
    first, second = (row for _, row in table.rows)
    assert (float(first[GEOMETRY_LON]), float(first[GEOMETRY_LAT])) == (14.2681, 40.8518)
    assert first["nome"] == "CPIA Napoli"
    assert second[GEOMETRY_LON] == ""


def test_read_geopackage_point_layer_in_another_crs_comes_out_in_wgs84(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame(
        {"nome": ["Consultorio"]}, geometry=[Point(14.2681, 40.8518)], crs=4326
    ).to_crs(32633)
    path = tmp_path / "services.gpkg"
    frame.to_file(path, layer="servizi", driver="GPKG")
    row = read_table(path, sheet="servizi").rows[0][1]
    assert float(row[GEOMETRY_LON]) == pytest.approx(14.2681, abs=1e-6)
    assert float(row[GEOMETRY_LAT]) == pytest.approx(40.8518, abs=1e-6)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "no such file"),
        ("empty.csv", b"", "holds no rows"),
        ("binary.csv", b"PK\x03\x04\x00\x00garbage", "binary file"),
        ("broken.xlsx", b"not a zip", "not a readable Excel workbook"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "old .xls"),
        ("broken.geojson", b"{not json", "not valid JSON"),
    ],
)
def test_read_unreadable_file_raises_invalid_input(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message):
        read_table(path)


def test_read_drops_a_stray_nul_far_into_a_text_file(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(b"nome;note\n" + b"A;" + b"x" * 5000 + b"\nB\x00;ok\n")
    assert read_table(path).rows[1] == (3, {"nome": "B", "note": "ok"})


def test_read_finds_the_header_under_title_rows(tmp_path):
    workbook = Workbook()
    workbook.active.append(["Rilevazione dei servizi - GdLL Napoli, 2024"])
    workbook.active.append([])
    workbook.active.append(["Compilato da: x"])
    workbook.active.append(["Nome", "Comune", "Lingue"])
    workbook.active.append(["Sportello", "Napoli", "x"])
    path = tmp_path / "titled.xlsx"
    workbook.save(path)
    table = read_table(path)
    assert table.header_row == 4
    assert table.rows == [(5, {"Nome": "Sportello", "Comune": "Napoli", "Lingue": "x"})]


def test_read_keeps_the_first_row_as_header_when_no_row_names_fields(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("colonna a;colonna b\nx;y\n")
    table = read_table(path)
    assert (table.header_row, table.headers) == (1, ["colonna a", "colonna b"])


def test_read_csv_row_numbers_count_records_as_a_spreadsheet_does(tmp_path):
    path = tmp_path / "multiline.csv"
    path.write_text('nome;note\nA;"due\nrighe"\n\nB;ok\n')
    assert [number for number, _ in read_table(path).rows] == [2, 4]
