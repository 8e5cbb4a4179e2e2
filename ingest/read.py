"""Read a survey sheet or registry into rows of text, by an allow-list of extensions.

The reader is chosen from the extension, never from the content: CSV/TSV/TXT (csv module
over an incremental text stream), XLSX (openpyxl read-only, after the zip's central
directory is checked), GeoJSON/JSON and GeoPackage (`ingest.geofile`, no GDAL). Rows are
streamed and counted against `Limits`; above a limit the file is refused (LimitExceeded).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import struct
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import IO

from ingest.columns import is_known_header
from ingest.limits import CHECK_EVERY, Deadline, Limits
from ingest.record import Reason
from observatory.errors import InvalidInput

DELIMITERS = (";", ",", "\t", "|")
HEADER_SEARCH_ROWS = 50
"""Title and note lines above the header are skipped within this many non-blank rows."""
TEXT_FILES = {".csv", ".tsv", ".txt"}
SPREADSHEETS = {".xlsx"}
GEOJSON_FILES = {".geojson", ".json"}
GEOPACKAGES = {".gpkg"}
SUPPORTED = sorted(TEXT_FILES | SPREADSHEETS | GEOJSON_FILES | GEOPACKAGES)
LINE_MAX_CHARS = 4 << 20
"""Longest physical line of a text file (a cell is rejected above 5,000 characters anyway)."""
XLSX_MAX_MEMBERS = 10_000
XLSX_RATIO_FLOOR = 1 << 20
"""Members smaller than this (decompressed) are not held to the compression ratio."""
ZIP_MAGIC = b"PK\x03\x04"
SQLITE_MAGIC = b"SQLite format 3\x00"
NOT_A_ROW = frozenset({"", "0"})
"""Cells of a line that is no row at all: `;;;;`, ` ; ; ` and `0;0;0` are skipped."""


@dataclass
class Table:
    """Rows read from a file: headers as written, each row a dict with its file row number.

    `refusals` holds what the reader already knows makes a row unacceptable (a geometry
    that is not a point), by row number.
    """

    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int = 1
    refusals: dict[int, list[Reason]] = field(default_factory=dict)


@dataclass
class Reading:
    """One file being read: the name to show (never a temporary path), limits, wall clock."""

    path: Path
    name: str
    limits: Limits
    deadline: Deadline

    def fail(self, message: str) -> InvalidInput:
        """An InvalidInput naming the file."""
        return InvalidInput(f"{self.name}: {message}")

    def check_width(self, number: int, width: int) -> None:
        """Refuse a row wider than the column limit."""
        if width > self.limits.max_columns:
            raise self.limits.exceeded(
                "max_columns", self.name, f"row {number} has {width:,} columns"
            )

    def check_rows(self, count: int) -> None:
        """Refuse one row more than the row limit; look at the clock now and then."""
        if count > self.limits.max_rows:
            raise self.limits.exceeded(
                "max_rows", self.name, f"more than {self.limits.max_rows:,} rows"
            )
        if count % CHECK_EVERY == 0:
            self.deadline.check()


def _detect_encoding(reading: Reading, head: bytes) -> tuple[str, str]:
    """Encoding and error mode of a text file, decoding it chunk by chunk (never whole)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", "replace"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "replace"
    for encoding in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with reading.path.open("rb") as handle:
                for chunk in iter(lambda h=handle: h.read(1 << 20), b""):
                    decoder.decode(chunk)
        except UnicodeDecodeError:
            continue
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:  # a file cut inside its last character: drop that
            return encoding, "ignore"
        return encoding, "strict"
    return "latin-1", "strict"


def _lines(stream: IO[str], reading: Reading) -> Iterator[str]:
    """The physical lines of a text stream, NULs removed, each at most LINE_MAX_CHARS long."""
    number = 0
    while line := stream.readline(LINE_MAX_CHARS):
        number += 1
        if len(line) == LINE_MAX_CHARS and not line.endswith(("\n", "\r")):
            raise reading.fail(
                f"malformed CSV near line {number}: a line longer than {LINE_MAX_CHARS:,} "
                "characters (not a survey sheet)"
            )
        yield line.replace("\x00", "")  # PostgreSQL text cannot hold a NUL


def sniff_delimiter(lines: str | list[str]) -> str:
    """The delimiter that splits the most lines into the same number (> 1) of fields.

    Titles above the header ('Elenco dei servizi, 2024') are outvoted by the header and the
    rows; with one line, the delimiter giving the most fields (quotes respected).
    """
    sample = [lines] if isinstance(lines, str) else lines

    def count(line: str, delimiter: str) -> int:
        try:
            return len(next(csv.reader([line], delimiter=delimiter), []))
        except csv.Error:  # one field above the csv module's limit: not this delimiter
            return 1

    def score(delimiter: str) -> tuple[int, int]:
        widths = Counter(w for line in sample if (w := count(line, delimiter)) > 1)
        if not widths:
            return 0, 0
        width, lines_of_width = max(widths.items(), key=lambda item: (item[1], item[0]))
        return lines_of_width, width

    best = max(DELIMITERS, key=score)
    return best if score(best)[0] else ","


def _sample_lines(stream: IO[str], first: str) -> list[str]:
    """The first line and the next non-blank ones, up to HEADER_SEARCH_ROWS, for sniffing."""
    sample = [first]
    while len(sample) < HEADER_SEARCH_ROWS and (line := stream.readline(LINE_MAX_CHARS)):
        if line.strip():
            sample.append(line.rstrip("\r\n"))
    return sample


def _first_line(stream: IO[str], reading: Reading) -> str:
    """The first non-blank line (the one sniffed), refused above the header limit."""
    limit = reading.limits.max_header_bytes
    while line := stream.readline(limit + 1):
        if len(line.rstrip("\r\n").encode("utf-8", "replace")) > limit:
            raise reading.limits.exceeded(
                "max_header_bytes", reading.name, f"the first line is longer than {limit:,} bytes"
            )
        if line.strip():
            return line.rstrip("\r\n")
    return ""


def read_csv(
    reading: Reading, delimiter: str | None = None, encoding: str | None = None
) -> Table:
    """Read a delimited text file; row numbers are those a spreadsheet shows (header = 1)."""
    with reading.path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(ZIP_MAGIC):
        raise reading.fail("a binary file, not CSV text: an Excel workbook (zip)? name it .xlsx")
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise reading.fail("a binary file, not CSV text (save the sheet as CSV)")
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as error:
            raise InvalidInput(f"cannot decode the file as {encoding}: {error}") from error
        errors = "strict"
    else:
        encoding, errors = _detect_encoding(reading, head)
    with reading.path.open(encoding=encoding, errors=errors, newline="") as stream:
        try:
            first = _first_line(stream, reading)
            delimiter = delimiter or sniff_delimiter(_sample_lines(stream, first))
            stream.seek(0)
            reader = csv.reader(_lines(stream, reading), delimiter=delimiter)
            table = _table(enumerate(reader, start=1), reading, delimiter)
        except UnicodeDecodeError as error:
            raise InvalidInput(f"cannot decode the file as {encoding}: {error}") from error
        except csv.Error as error:
            raise reading.fail(f"malformed CSV near line {reader.line_num}: {error}") from error
    table.encoding, table.delimiter = encoding, delimiter
    return table


def _header_index(records: list[tuple[int, list[str]]]) -> int:
    """The record naming the most fields (at least 2) among the first rows, else a wide one.

    Sheets often carry titles, notes and blank lines above the header; without recognised
    names, the first record of two cells or more (a title has one) is the header.
    """
    scores = [sum(is_known_header(cell) for cell in record) for _, record in records]
    best = scores.index(max(scores))
    if scores[best] >= 2:
        return best
    wide = (i for i, (_, record) in enumerate(records) if sum(map(bool, record)) >= 2)
    return next(wide, 0)


def _filled(
    records: Iterable[tuple[int, list[str]]], reading: Reading
) -> Iterator[tuple[int, list[str]]]:
    """The records with any text, each checked for width; the clock read now and then."""
    for seen, (number, record) in enumerate(records, start=1):
        if seen % CHECK_EVERY == 0:
            reading.deadline.check()
        reading.check_width(number, len(record))
        if any(cell.strip() not in NOT_A_ROW for cell in record):
            yield number, record


def _quoted_whole(record: list[str], width: int, delimiter: str | None) -> bool:
    """True when a row of a wider file came as one field holding the delimiter ('"a;b;c"')."""
    if delimiter is None or width < 2:
        return False
    filled = [cell for cell in record if cell.strip()]
    return (
        len(filled) == 1
        and record[0] == filled[0]
        and filled[0].count(delimiter) >= max(1, width // 2)
    )


def _table(
    records: Iterable[tuple[int, list[str]]], reading: Reading, delimiter: str | None = None
) -> Table:
    """Find the header row; blank headers get a positional name; each row becomes a dict.

    A row quoted whole into one field is kept with the reason `malformed_row`.
    """
    filled = _filled(records, reading)
    head = [record for _, record in zip(range(HEADER_SEARCH_ROWS), filled, strict=False)]
    if not head:
        raise reading.fail("the file holds no rows")
    header_index = _header_index(head)
    header_row, first = head[header_index]
    headers = [h.strip() or f"column_{i + 1}" for i, h in enumerate(first)]
    seen: dict[str, int] = {}
    for i, h in enumerate(headers):
        seen[h] = seen.get(h, 0) + 1
        if seen[h] > 1:
            headers[i] = f"{h}_{seen[h]}"
    width = len(headers)
    rows: list[tuple[int, dict[str, str]]] = []
    refusals: dict[int, list[Reason]] = {}
    for number, record in chain(head[header_index + 1 :], filled):
        reading.check_rows(len(rows) + 1)
        if _quoted_whole(record, width, delimiter):
            refusals[number] = [Reason(
                "malformed_row", "row", record[0][:80],
                f"the whole row is one quoted field holding {delimiter!r}, the file has "
                f"{width} columns: re-export it without quoting whole rows",
            )]
        row = dict(zip(headers, map(str.strip, record), strict=False))
        if len(record) < width:
            row.update((h, "") for h in headers[len(record) :])
        for position, extra in enumerate(record[width:], start=width + 1):
            if extra.strip():
                row[f"column_{position}"] = extra.strip()
        rows.append((number, row))
    if not rows:
        raise reading.fail(f"no rows below the header (row {header_row}): nothing to ingest")
    return Table(headers, rows, header_row=header_row, refusals=refusals)


def cell_text(value: object) -> str:
    """A spreadsheet or vector cell as text, numbers without a spurious '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _zip_members(reading: Reading) -> int:
    """The member count in the zip's end record, read before anything else of the archive."""
    with reading.path.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - (1 << 16) - 22))
        tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        raise reading.fail("not a readable Excel workbook: the zip archive is incomplete")
    return struct.unpack("<H", tail[at + 10 : at + 12])[0]


def check_workbook_zip(reading: Reading) -> None:
    """Refuse a workbook whose zip would expand beyond the limits, from its central directory."""
    with reading.path.open("rb") as handle:
        if handle.read(4) != ZIP_MAGIC:
            raise reading.fail(
                "not a readable Excel workbook: not an .xlsx (zip) file; a CSV? name it .csv"
            )
    limits = reading.limits
    members = _zip_members(reading)
    if members > XLSX_MAX_MEMBERS:
        raise reading.fail(f"not an Excel workbook: {members:,} members in its zip archive")
    try:
        with zipfile.ZipFile(reading.path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise reading.fail(f"not a readable Excel workbook: {error}") from error
    total = sum(info.file_size for info in infos)
    if total > limits.max_xlsx_bytes:
        raise limits.exceeded(
            "max_xlsx_bytes", reading.name, f"the workbook expands to {total:,} bytes"
        )
    strings = sum(i.file_size for i in infos if i.filename.lower().endswith("sharedstrings.xml"))
    if strings > limits.max_xlsx_strings_bytes:
        raise limits.exceeded(
            "max_xlsx_strings_bytes", reading.name,
            f"its shared strings expand to {strings:,} bytes",
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > XLSX_RATIO_FLOOR and ratio > limits.max_xlsx_ratio:
            raise limits.exceeded(
                "max_xlsx_ratio", reading.name,
                f"member {info.filename} expands {ratio:,.0f} times ({info.file_size:,} bytes)",
            )


def _sheet_records(rows: Iterator[tuple], reading: Reading) -> Iterator[tuple[int, list[str]]]:
    """Number the rows of a read-only sheet; trailing empty cells dropped; errors explained."""
    number = 0
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as error:  # openpyxl raises many kinds on a broken sheet
            raise reading.fail(f"not a readable Excel workbook: {error}") from error
        number += 1
        end = len(values)
        while end and values[end - 1] is None:
            end -= 1
        yield number, [cell_text(v) for v in values[:end]]


def read_xlsx(reading: Reading, sheet: str | None = None) -> Table:
    """Read the first sheet (or `sheet`) of a workbook; row numbers are the sheet's."""
    from openpyxl import load_workbook

    check_workbook_zip(reading)
    try:
        workbook = load_workbook(reading.path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a broken file
        raise reading.fail(f"not a readable Excel workbook: {error}") from error
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise reading.fail(f"no sheet {sheet!r}; sheets: {workbook.sheetnames}")
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
        if not hasattr(worksheet, "reset_dimensions"):
            raise reading.fail(f"sheet {worksheet.title!r} is a chart, not a table")
        worksheet.reset_dimensions()  # a stated A1:XFD1048576 would pad every row to it
        return _table(_sheet_records(worksheet.iter_rows(values_only=True), reading), reading)
    finally:
        workbook.close()


def read_table(
    path: Path,
    sheet: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    *,
    limits: Limits | None = None,
    deadline: Deadline | None = None,
    name: str | None = None,
) -> Table:
    """Read a file by its extension, within `limits` (default: the upload limits).

    Raise InvalidInput when it cannot be read, LimitExceeded above a limit; messages name
    the file as `name` (the client's file name), never a temporary path.
    """
    limits = limits or Limits.for_upload()
    name = name or path.name
    reading = Reading(path, name, limits, deadline or Deadline(limits, name))
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise reading.fail("old .xls workbooks are not read; save it as .xlsx or CSV")
    if suffix not in SUPPORTED:
        raise reading.fail(f"the ingest reads {', '.join(SUPPORTED)} files only")
    if not path.is_file():
        raise reading.fail("no such file")
    if suffix in SPREADSHEETS:
        return read_xlsx(reading, sheet)
    if suffix in GEOJSON_FILES or suffix in GEOPACKAGES:
        from ingest import geofile

        if suffix in GEOPACKAGES:
            return geofile.read_geopackage(reading, sheet)
        return geofile.read_geojson(reading)
    return read_csv(reading, delimiter, encoding)
