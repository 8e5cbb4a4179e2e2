"""Hostile files of issue 10, built on the fly: GDAL VRTs disguised as other formats, an xlsx
bomb, millions of rows, a header of 200k columns, a polygon, files under the wrong extension.

Shared by tests/reliability/test_hostile_files.py (ingest_file and the CLI in process) and
tests/reliability/test_hostile_uploads.py (a real `observatory serve` and the CLI).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import orjson
from openpyxl import Workbook

from tests.reliability import corpus

OS_RELEASE = "/etc/os-release"
VRT_SQL = 'SELECT *, 14.2681 AS lon, 40.8518 AS lat FROM "os-release"'  # noqa: S608
CSV_ROW = b"Sportello;Napoli;40.8518;14.2681\n"
CSV_HEADER = b"nome;comune;lat;lon\n"


def os_release_vrt(path: Path) -> Path:
    """A GDAL VRT that publishes the lines of the system's release file as points at Napoli.

    Read through GDAL (as the ingest did), it gives one feature per line of the file.
    """
    path.write_text(
        '<OGRVRTDataSource><OGRVRTLayer name="servizi">'
        f"<SrcDataSource>CSV:{OS_RELEASE}</SrcDataSource>"
        f'<SrcSQL dialect="OGRSQL">{VRT_SQL}</SrcSQL>'
        "<GeometryType>wkbPoint</GeometryType><LayerSRS>EPSG:4326</LayerSRS>"
        '<GeometryField encoding="PointFromColumns" x="lon" y="lat"/>'
        "</OGRVRTLayer></OGRVRTDataSource>"
    )
    return path


def vsicurl_vrt(port: int) -> Callable[[Path], Path]:
    """A builder of a GDAL VRT whose source is fetched from 127.0.0.1:`port` by /vsicurl."""

    def make(path: Path) -> Path:
        path.write_text(
            '<OGRVRTDataSource><OGRVRTLayer name="x">'
            f"<SrcDataSource>/vsicurl/http://127.0.0.1:{port}/x.csv</SrcDataSource>"
            "</OGRVRTLayer></OGRVRTDataSource>"
        )
        return path

    return make


def xlsx_bomb(path: Path, expanded_mib: int = 200) -> Path:
    """A small workbook whose sheet XML expands to `expanded_mib` MiB (blank padding)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", corpus.CONTENT_TYPES)
        archive.writestr("_rels/.rels", corpus.ROOT_RELS)
        archive.writestr("xl/workbook.xml", corpus.WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", corpus.WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{corpus.MAIN}">'
                '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>nome</t></is></c></row>'
                .encode()
            )
            block = b" " * (1 << 20)
            for _ in range(expanded_mib):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return path


def million_rows_csv(path: Path, rows: int = 2_000_000) -> Path:
    """A 2M-row CSV (about 60 MB), written in one go."""
    path.write_bytes(CSV_HEADER + CSV_ROW * rows)
    return path


def features_geojson(path: Path, features: int = 500_000) -> Path:
    """A FeatureCollection of half a million points (about 60 MB)."""
    feature = (b'{"type":"Feature","properties":{"nome":"Sportello","comune":"Napoli"},'
               b'"geometry":{"type":"Point","coordinates":[14.2681,40.8518]}}')
    path.write_bytes(b'{"type":"FeatureCollection","features":['
                     + b",".join([feature] * features) + b"]}")
    return path


def wide_header_csv(path: Path, columns: int = 200_000) -> Path:
    """A header of 200k columns (about 1.3 MB on its first line) and one row."""
    header = ";".join(f"c{i}" for i in range(columns))
    path.write_text(f"{header}\nx;x;x\n")
    return path


def polygon_geojson(path: Path) -> Path:
    """A FeatureCollection of one service in Napoli whose geometry is a polygon."""
    square = [[[14.2, 40.8], [14.3, 40.8], [14.3, 40.9], [14.2, 40.8]]]
    feature = {
        "type": "Feature",
        "properties": {"nome": "Poligono", "comune": "Napoli", "categoria": "INF"},
        "geometry": {"type": "Polygon", "coordinates": square},
    }
    path.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": [feature]}))
    return path


def xlsx_named_csv(path: Path) -> Path:
    """A real workbook saved under a .csv name."""
    workbook = Workbook()
    workbook.active.append(["nome", "comune"])
    workbook.active.append(["Sportello", "Napoli"])
    workbook.save(path)
    return path


def csv_named_xlsx(path: Path) -> Path:
    """CSV text saved under a .xlsx name."""
    path.write_text("nome;comune\nSportello;Napoli\n")
    return path
