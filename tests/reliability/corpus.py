"""Bad input generated on the fly: broken, huge and hostile files (nothing is committed)."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from openpyxl import Workbook

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
    '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>'
)
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
    '<sheets><sheet name="Servizi" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
HEADER = ["nome", "comune", "indirizzo"]


def header_and_empty_rows_xlsx(path: Path, empty_rows: int = 1_000_000) -> Path:
    """A workbook whose sheet has a header then `empty_rows` empty rows, up to its dimension.

    The sheet XML is streamed straight into the zip: a million rows in well under a second.
    """
    cells = "".join(
        f'<c r="{column}1" t="inlineStr"><is><t>{value}</t></is></c>'
        for column, value in zip("ABC", HEADER, strict=True)
    )
    last = empty_rows + 1
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'
                f'<dimension ref="A1:C{last}"/><sheetData><row r="1">{cells}</row>'.encode()
            )
            for start in range(2, last + 1, 10_000):
                stop = min(start + 10_000, last + 1)
                sheet.write("".join(f'<row r="{n}"/>' for n in range(start, stop)).encode())
            sheet.write(b"</sheetData></worksheet>")
    return path


def truncated_xlsx(path: Path) -> Path:
    """The first half of a real workbook, as a broken download leaves it."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for number in range(200):
        sheet.append([f"Sportello {number}", "Napoli", f"Via Roma {number}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    path.write_bytes(data[: len(data) // 2])
    return path


def binary_csv(path: Path) -> Path:
    """Random bytes (a photo, an archive) saved with a .csv name."""
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + os.urandom(64 * 1024))
    return path


def one_huge_line_csv(path: Path, size_mb: int = 50) -> Path:
    """A header, then `size_mb` MB on one line without a single delimiter or line end."""
    with path.open("wb") as handle:
        handle.write(b"nome;comune\n")
        block = b"x" * (1 << 20)
        for _ in range(size_mb):
            handle.write(block)
    return path
