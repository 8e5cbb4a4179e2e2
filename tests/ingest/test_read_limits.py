"""Readers within limits: header size, columns, rows, cells, wall time, allow-listed extensions."""

from __future__ import annotations

import dataclasses

import pytest

from ingest.limits import Limits
from ingest.read import read_table
from observatory.errors import InvalidInput, LimitExceeded


def _limits(**changes) -> Limits:
    return dataclasses.replace(Limits.for_upload(), **changes)


def test_a_header_over_128_kib_is_read_when_the_limits_allow_it(tmp_path):
    names = [f"colonna_{i:06d}" for i in range(9_000)]  # about 150 KiB, no ',' in it
    path = tmp_path / "larga.csv"
    path.write_text(";".join(["nome", *names]) + "\nSportello" + ";x" * 9_000 + "\n")
    assert len(path.read_text().split("\n")[0]) > 128 * 1024  # one field for ',', tab, '|'
    with pytest.raises(LimitExceeded, match="the first line is longer than 65,536 bytes"):
        read_table(path)
    table = read_table(path, limits=_limits(max_header_bytes=1 << 20, max_columns=10_000))
    assert table.delimiter == ";"
    assert len(table.headers) == 9_001
    assert table.rows[0][1]["nome"] == "Sportello"


def test_a_header_line_without_any_delimiter_over_the_csv_field_limit_is_no_traceback(tmp_path):
    path = tmp_path / "unacolonna.csv"
    path.write_text("x" * 200_000 + "\nSportello\n")
    with pytest.raises(InvalidInput, match="malformed CSV near line 1: field larger"):
        read_table(path, limits=_limits(max_header_bytes=1 << 20))


def test_columns_beyond_the_limit_refuse_the_file_naming_the_row(tmp_path):
    path = tmp_path / "righe.csv"
    path.write_text("nome;comune\nA;Napoli\nB;Napoli" + ";x" * 600 + "\n")
    with pytest.raises(LimitExceeded, match="row 3 has 602 columns; the limit is 500 columns"):
        read_table(path)


def test_rows_up_to_the_limit_are_read_one_more_is_refused(tmp_path):
    path = tmp_path / "righe.csv"
    path.write_text("nome;comune\n" + "A;Napoli\n\n" * 100)
    assert len(read_table(path, limits=_limits(max_rows=100)).rows) == 100
    with pytest.raises(LimitExceeded, match="more than 99 rows.*--max-rows"):
        read_table(path, limits=_limits(max_rows=99))


def test_the_wall_time_limit_stops_a_long_read(tmp_path):
    path = tmp_path / "righe.csv"
    path.write_text("nome;comune\n" + "A;Napoli\n" * 5_000)
    with pytest.raises(LimitExceeded, match="still working after .* UPLOAD_MAX_SECONDS"):
        read_table(path, limits=_limits(max_seconds=1e-9))


@pytest.mark.parametrize("name", ["servizi.vrt", "servizi.shp", "servizi.xlsm", "servizi"])
def test_extensions_outside_the_allow_list_are_refused(tmp_path, name):
    path = tmp_path / name
    path.write_text("nome;comune\nA;Napoli\n")
    with pytest.raises(InvalidInput, match=r"the ingest reads \.csv, \.geojson, \.gpkg"):
        read_table(path)


def test_a_workbook_of_a_million_styled_empty_rows_is_read_quickly(tmp_path):
    from tests.reliability import corpus

    path = corpus.header_and_empty_rows_xlsx(tmp_path / "vuota.xlsx")
    with pytest.raises(InvalidInput, match="no rows below the header"):
        read_table(path, limits=Limits.for_cli())
