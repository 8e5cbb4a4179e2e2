"""Read a survey sheet or registry (CSV, XLSX, GeoJSON, GeoPackage) into rows of text."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from ingest.columns import GEOMETRY_LAT, GEOMETRY_LON, is_known_header
from observatory.errors import InvalidInput

DELIMITERS = (";", ",", "\t", "|")
HEADER_SEARCH_ROWS = 10
SPREADSHEETS = {".xlsx", ".xlsm"}
GEOFILES = {".geojson", ".gpkg", ".json"}


@dataclass
class Table:
    """Rows read from a file: headers as written, each row a dict with its file row number."""

    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int = 1


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode bytes: the given encoding, else UTF-8 (with or without BOM), cp1252, latin-1."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError) as error:
            raise InvalidInput(f"cannot decode the file as {encoding}: {error}") from error
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data":  # a file cut inside its last character
            return data[: error.start].decode("utf-8"), "utf-8"
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header line into the most fields (quotes respected)."""
    header = text.lstrip().split("\n", 1)[0]
    counts = {d: len(next(csv.reader([header], delimiter=d), [])) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 1 else ","


def _header_index(records: list[tuple[int, list[str]]]) -> int:
    """The record naming the most fields (at least 2) among the first few, else the first.

    Sheets often carry a title and a blank line above the header.
    """
    scores = [
        sum(is_known_header(cell) for cell in record)
        for _, record in records[:HEADER_SEARCH_ROWS]
    ]
    best = scores.index(max(scores))
    return best if scores[best] >= 2 and scores[best] > scores[0] else 0


def _table(records: list[tuple[int, list[str]]]) -> Table:
    """Find the header row; blank headers get a positional name; each row becomes a dict."""
    records = [(n, r) for n, r in records if "".join(r).strip()]
    if not records:
        raise InvalidInput("the file holds no rows")
    header_index = _header_index(records)
    header_row, first = records[header_index]
    headers = [h.strip() or f"column_{i + 1}" for i, h in enumerate(first)]
    seen: dict[str, int] = {}
    for i, h in enumerate(headers):
        seen[h] = seen.get(h, 0) + 1
        if seen[h] > 1:
            headers[i] = f"{h}_{seen[h]}"
    width = len(headers)
    rows = []
    for number, record in records[header_index + 1 :]:
        row = dict(zip(headers, map(str.strip, record), strict=False))
        if len(record) < width:
            row.update((h, "") for h in headers[len(record) :])
        for position, extra in enumerate(record[width:], start=width + 1):
            if extra.strip():
                row[f"column_{position}"] = extra.strip()
        rows.append((number, row))
    if not rows:
        raise InvalidInput(f"no rows below the header (row {header_row}): nothing to ingest")
    return Table(headers, rows, header_row=header_row)


def read_csv(path: Path, delimiter: str | None = None, encoding: str | None = None) -> Table:
    """Read a delimited text file; row numbers are those a spreadsheet shows (header = 1)."""
    data = path.read_bytes()
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidInput(f"{path.name}: a binary file, not CSV text (save the sheet as CSV)")
    text, used = decode(data, encoding)
    text = text.replace("\x00", "")  # a stray NUL further down: PostgreSQL text cannot hold it
    delimiter = delimiter or sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(enumerate(reader, start=1))
    except csv.Error as error:
        raise InvalidInput(
            f"{path.name}: malformed CSV near line {reader.line_num}: {error}"
        ) from error
    table = _table(records)
    table.encoding, table.delimiter = used, delimiter
    return table


def _cell(value: object) -> str:
    """A spreadsheet cell as text, numbers without a spurious '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def read_xlsx(path: Path, sheet: str | None = None) -> Table:
    """Read the first sheet (or `sheet`) of a workbook; row numbers are the sheet's."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a broken file
        raise InvalidInput(f"{path.name}: not a readable Excel workbook: {error}") from error
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise InvalidInput(f"{path.name}: no sheet {sheet!r}; sheets: {workbook.sheetnames}")
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
        records = [
            (number, [_cell(v) for v in values])
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1)
            if any(value is not None for value in values)  # sheets formatted down to row 1M
        ]
    finally:
        workbook.close()
    return _table(records)


def read_geo(path: Path, layer: str | None = None) -> Table:
    """Read a point layer; each feature's lon/lat (WGS84) go in two leading columns."""
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(path, layer=layer)
    except Exception as error:  # GDAL reports every failure as its own DataSourceError
        raise InvalidInput(f"{path.name}: not a readable vector file: {error}") from error
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    properties = [c for c in frame.columns if c != "geometry"]
    rows = []
    for number, (feature, geometry) in enumerate(
        zip(frame[properties].itertuples(index=False), frame.geometry, strict=True), start=1
    ):
        row = {name: _cell(value) for name, value in zip(properties, feature, strict=True)}
        point = geometry if geometry is not None and geometry.geom_type == "Point" else None
        row[GEOMETRY_LON] = "" if point is None else repr(point.x)
        row[GEOMETRY_LAT] = "" if point is None else repr(point.y)
        if geometry is not None and point is None:
            row["geometry_type"] = geometry.geom_type
        rows.append((number, row))
    if not rows:
        raise InvalidInput(f"{path.name}: the layer holds no features")
    return Table([GEOMETRY_LON, GEOMETRY_LAT, *properties], rows)


def read_table(
    path: Path,
    sheet: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> Table:
    """Read any supported file by its extension; raise InvalidInput when it cannot be read."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in SPREADSHEETS:
        return read_xlsx(path, sheet)
    if suffix in GEOFILES:
        return read_geo(path, sheet)
    if suffix == ".xls":
        raise InvalidInput(f"{path.name}: old .xls workbooks are not read; save it as .xlsx or CSV")
    return read_csv(path, delimiter, encoding)
