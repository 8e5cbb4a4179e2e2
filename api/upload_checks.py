"""HTTP checks on an uploaded survey file, before the ingest pipeline reads it.

What the rows may write (areas, sources) is the ingest's authority: `ingest/authority.py`.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from observatory.errors import (
    LengthRequired,
    PayloadTooLarge,
    UnsupportedFileType,
)

_TEXT_TYPES = {
    "text/csv",
    "text/plain",
    "text/tab-separated-values",
    "application/csv",
    "application/vnd.ms-excel",
    "application/json",
    "application/geo+json",
}
_XLSX_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/zip",
}
_ANY_BINARY = {"application/octet-stream", ""}
KINDS = {
    ".csv": "text",
    ".tsv": "text",
    ".txt": "text",
    ".json": "text",
    ".geojson": "text",
    ".xlsx": "xlsx",
}
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def check_declared_size(content_length: str | None, limit_bytes: int) -> None:
    """Refuse a body that does not declare its size, or declares more than `limit_bytes`."""
    if content_length is None or not content_length.isdigit():
        raise LengthRequired("uploads must declare their size (Content-Length)")
    if int(content_length) > limit_bytes:
        raise PayloadTooLarge(
            f"upload of {int(content_length):,} bytes is above the limit of {limit_bytes:,} bytes"
        )


def check_upload(filename: str | None, content_type: str | None, head: bytes) -> str:
    """Accept a file by extension, declared type and first bytes; return a safe file name."""
    name = PurePath((filename or "").replace("\\", "/")).name
    suffix = PurePath(name).suffix.lower()
    kind = KINDS.get(suffix)
    if kind is None:
        raise UnsupportedFileType(
            f"file {name!r}: the ingest reads {', '.join(sorted(KINDS))} files only"
        )
    declared = (content_type or "").split(";")[0].strip().lower()
    allowed = (_TEXT_TYPES if kind == "text" else _XLSX_TYPES) | _ANY_BINARY
    if declared not in allowed:
        raise UnsupportedFileType(f"file {name!r} is declared as {declared!r}, not a {suffix} file")
    if kind == "xlsx" and not head.startswith(b"PK\x03\x04"):
        raise UnsupportedFileType(f"file {name!r} is not an Excel .xlsx workbook")
    if kind == "text" and b"\x00" in head and not head.startswith(_UTF16_BOMS):
        raise UnsupportedFileType(f"file {name!r} holds binary data, not {suffix} text")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", PurePath(name).stem)[:100].strip("._") or "upload"
    return stem + suffix
