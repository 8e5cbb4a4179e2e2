"""Limits of one ingest: rows, columns, header and cell size, workbook size, wall time."""

from __future__ import annotations

import time
from dataclasses import dataclass, fields, replace
from typing import Any

from observatory.errors import LimitExceeded
from observatory.settings import get_settings

# limit -> (setting of the uploads, flag of `observatory ingest`, unit)
KNOBS: dict[str, tuple[str, str, str]] = {
    "max_rows": ("UPLOAD_MAX_ROWS", "--max-rows", "rows"),
    "max_columns": ("UPLOAD_MAX_COLUMNS", "--max-columns", "columns"),
    "max_header_bytes": ("UPLOAD_MAX_HEADER_BYTES", "--max-header-bytes", "bytes"),
    "max_xlsx_bytes": ("UPLOAD_MAX_XLSX_BYTES", "--max-xlsx-bytes", "bytes decompressed"),
    "max_xlsx_strings_bytes": (
        "UPLOAD_MAX_XLSX_STRINGS_BYTES", "--max-xlsx-strings-bytes", "bytes decompressed"
    ),
    "max_xlsx_ratio": ("UPLOAD_MAX_XLSX_RATIO", "--max-xlsx-ratio", "times compressed"),
    "max_seconds": ("UPLOAD_MAX_SECONDS", "--max-seconds", "seconds"),
    "max_cell_chars": ("INGEST_MAX_CELL_CHARS", "--max-cell-chars", "characters"),
}
CLI_DEFAULTS: dict[str, Any] = {
    "max_rows": 200_000,  # about 1 GB of memory at the limit
    "max_columns": 2_000,
    "max_header_bytes": 1 << 20,
    "max_xlsx_bytes": 1 << 30,
    "max_xlsx_strings_bytes": 256 << 20,
    "max_seconds": None,
}
"""Limits of `observatory ingest` that differ from the uploads' (flags override them)."""
CHECK_EVERY = 1_000
"""Rows between two looks at the clock."""


@dataclass(frozen=True)
class Limits:
    """How much one ingest may read; above a limit the whole file is refused (LimitExceeded)."""

    max_rows: int
    max_columns: int
    max_header_bytes: int
    max_xlsx_bytes: int
    max_xlsx_strings_bytes: int
    max_xlsx_ratio: int
    max_seconds: float | None
    max_cell_chars: int

    @classmethod
    def for_upload(cls) -> Limits:
        """The upload limits, from the settings (safe for an API worker)."""
        s = get_settings()
        return cls(
            max_rows=s.upload_max_rows,
            max_columns=s.upload_max_columns,
            max_header_bytes=s.upload_max_header_bytes,
            max_xlsx_bytes=s.upload_max_xlsx_bytes,
            max_xlsx_strings_bytes=s.upload_max_xlsx_strings_bytes,
            max_xlsx_ratio=s.upload_max_xlsx_ratio,
            max_seconds=s.upload_max_seconds,
            max_cell_chars=s.ingest_max_cell_chars,
        )

    @classmethod
    def for_cli(cls, **overrides: Any) -> Limits:
        """The command line's limits: higher than the uploads', no wall time; flags override."""
        base = replace(cls.for_upload(), **CLI_DEFAULTS)
        known = {f.name for f in fields(cls)}
        return replace(base, **{k: v for k, v in overrides.items() if k in known and v is not None})

    def exceeded(self, name: str, file_name: str, found: str) -> LimitExceeded:
        """The error for limit `name`, naming its value and how to raise it."""
        setting, flag, unit = KNOBS[name]
        value = getattr(self, name)
        return LimitExceeded(
            f"{file_name}: {found}; the limit is {value:,} {unit} (setting {setting} for "
            f"uploads, `observatory ingest {flag} N` on the command line)"
        )


class Deadline:
    """The end of an ingest's wall time; `check` raises LimitExceeded once it has passed."""

    def __init__(self, limits: Limits, file_name: str) -> None:
        self.limits = limits
        self.file_name = file_name
        self.started = time.monotonic()
        seconds = limits.max_seconds
        self.ends = None if seconds is None else self.started + seconds

    def check(self) -> None:
        """Raise when the wall time is spent."""
        if self.ends is not None and time.monotonic() > self.ends:
            elapsed = time.monotonic() - self.started
            raise self.limits.exceeded(
                "max_seconds", self.file_name, f"still working after {elapsed:,.0f} s"
            )
