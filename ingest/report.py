"""The rejection report: one CSV line per reason (or warning) of every refused or warned row."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson

from ingest.record import Record
from observatory.csvcell import safe_cell

HEADER = ["row", "outcome", "field", "value", "reason", "code", "raw"]


def default_report_path(path: Path) -> Path:
    """'survey.csv' -> 'survey.rejections.csv', next to the input."""
    return path.with_name(f"{path.stem}.rejections.csv")


def write_report(path: Path, rejected: list[Record], warned: list[Record]) -> int:
    """Write the report (UTF-8 with BOM, `;`, formulas neutralised); return its line count."""
    lines = [
        (record.row_number, outcome, reason)
        for outcome, records, attribute in (
            ("rejected", rejected, "reasons"),
            ("warning", warned, "warnings"),
        )
        for record in records
        for reason in getattr(record, attribute)
    ]
    lines.sort(key=lambda line: (line[0], line[1]))
    raws = {r.row_number: r.raw for r in [*rejected, *warned]}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        for number, outcome, reason in lines:
            cells = (
                number, outcome, reason.field, reason.value, reason.message, reason.code,
                orjson.dumps(raws[number]).decode(),
            )
            writer.writerow([safe_cell(cell) for cell in cells])
    return len(lines)
