"""Shared helpers of the ingest tests: sheets written by the tests, one call to ingest them."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from ingest.pipeline import IngestOptions, IngestReport, ingest_file

HEADER = ["nome", "categoria", "indirizzo", "comune", "provincia", "lat", "lon"]
NAPOLI = ("40,8518", "14,2681")


def write_sheet(
    path: Path,
    rows: list[list[str]],
    header: list[str] = HEADER,
    encoding: str = "cp1252",
    delimiter: str = ";",
) -> Path:
    """Write a sheet the way a person's spreadsheet would export it."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(session: Session, path: Path, source: str, **options) -> IngestReport:
    """Ingest `path` as `source` on the test session."""
    return ingest_file(session, path, IngestOptions(source=source, **options))


def services(session: Session, source: str) -> list:
    """The stored services of `source`, by source row."""
    return session.execute(
        text(
            "SELECT name, category_code, municipality_code, geocode_precision, geocode_source, "
            "location_flags, ST_X(geom) AS lon, ST_Y(geom) AS lat, languages, schedule, extra, "
            "is_example, updated_at FROM service WHERE source = :source ORDER BY source_row"
        ),
        {"source": source},
    ).all()


def reasons(report: IngestReport) -> dict[int, list[str]]:
    """Row number -> reason codes of a report's rejections."""
    return {r["row"]: [x["code"] for x in r["reasons"]] for r in report.rejections}
