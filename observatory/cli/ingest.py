"""`observatory ingest FILE`: load a survey sheet or registry of services."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ingest.limits import CLI_DEFAULTS, Limits
from observatory.errors import InvalidInput


def ingest(
    path: Path = typer.Argument(..., metavar="FILE", help="CSV, XLSX, GeoJSON or GeoPackage file."),
    source: str = typer.Option(
        None, help="Source name for provenance and the source key (default: the file name)."
    ),
    category: str = typer.Option(
        None, help="Category code for every row (a single-category registry)."
    ),
    column_map: list[str] = typer.Option(
        None, "--map", help="COLUMN=FIELD, repeatable (FIELD 'extra' keeps a column unmapped)."
    ),
    sheet: str = typer.Option(None, help="Workbook sheet or vector layer (default: the first)."),
    delimiter: str = typer.Option(None, help="CSV delimiter, \\t for a tab (default: detected)."),
    encoding: str = typer.Option(None, help="File encoding (default: detected)."),
    decimal: str = typer.Option(None, help="Decimal separator '.' or ',' (default: detected)."),
    geocoder: str = typer.Option(
        None, help="Online geocoder for addresses: nominatim or photon (default: offline)."
    ),
    geocoder_url: str = typer.Option(None, help="Base URL of the online geocoder."),
    example: bool = typer.Option(False, "--example", help="Mark every row as example data."),
    tolerance_km: float = typer.Option(
        2.0, help="How far outside the stated comune given coordinates may fall (flagged); "
        "farther they are discarded.",
    ),
    private: list[str] = typer.Option(
        None, "--private", help="Field kept out of public views for every row, e.g. telefono."
    ),
    report: Path = typer.Option(
        None, help="Rejection report CSV (default: FILE.rejections.csv next to the input)."
    ),
    max_rows: int = typer.Option(
        None, min=1, help=f"Most data rows (default {CLI_DEFAULTS['max_rows']:,})."
    ),
    max_columns: int = typer.Option(
        None, min=1, help=f"Most columns of a row (default {CLI_DEFAULTS['max_columns']:,})."
    ),
    max_header_bytes: int = typer.Option(
        None, min=1, help=f"Longest first line (default {CLI_DEFAULTS['max_header_bytes']:,})."
    ),
    max_xlsx_bytes: int = typer.Option(
        None, min=1,
        help=f"Largest decompressed workbook (default {CLI_DEFAULTS['max_xlsx_bytes']:,} bytes).",
    ),
    max_xlsx_strings_bytes: int = typer.Option(
        None, min=1,
        help="Largest decompressed shared strings of a workbook "
        f"(default {CLI_DEFAULTS['max_xlsx_strings_bytes']:,} bytes).",
    ),
    max_xlsx_ratio: int = typer.Option(
        None, min=1, help="Highest compression ratio of a workbook member (default: settings)."
    ),
    max_cell_chars: int = typer.Option(
        None, min=1, help="Longest cell; longer ones reject their row (default: settings, 5000)."
    ),
    max_seconds: float = typer.Option(
        None, min=1, help="Longest wall time of the ingest in seconds (default: no limit)."
    ),
    snapshot: bool = typer.Option(
        False, "--snapshot",
        help="FILE lists every service of the source: close (never delete) those it no "
        "longer lists; a closed service it lists again is reopened.",
    ),
) -> None:
    """Read, check, geocode and upsert the services of FILE in one transaction.

    Every row is stored or rejected with its reasons; the summary is printed and the
    rejection report written. Exit code 0 even with rejections, 2 when FILE cannot be read.
    """
    # imported here: the ingest pipeline (rapidfuzz, the readers) loads only for this command
    from ingest.columns import PRIVATE_COLUMNS, parse_column_map, private_columns
    from ingest.geocode import GeocoderSpec
    from ingest.pipeline import IngestOptions, ingest_file
    from ingest.report import default_report_path
    from observatory.db import new_session

    if geocoder and not geocoder_url:
        raise InvalidInput("--geocoder needs --geocoder-url (e.g. a local Nominatim)")
    private_fields, unknown = private_columns(",".join(private or []))
    if unknown:
        raise InvalidInput(f"--private {', '.join(unknown)}: use one of {sorted(PRIVATE_COLUMNS)}")
    options = IngestOptions(
        source=source or path.stem,
        category=category,
        column_map=parse_column_map(column_map or []),
        sheet=sheet,
        delimiter=delimiter,
        encoding=encoding,
        decimal=decimal,
        geocoder=GeocoderSpec(geocoder, geocoder_url) if geocoder else None,
        report_path=report or default_report_path(path),
        is_example=example,
        comune_tolerance_km=tolerance_km,
        private_fields=private_fields,
        snapshot=snapshot,
        limits=Limits.for_cli(
            max_rows=max_rows, max_columns=max_columns, max_header_bytes=max_header_bytes,
            max_xlsx_bytes=max_xlsx_bytes, max_xlsx_strings_bytes=max_xlsx_strings_bytes,
            max_xlsx_ratio=max_xlsx_ratio,
            max_cell_chars=max_cell_chars, max_seconds=max_seconds,
        ),
    )
    with new_session() as session, session.begin():
        result = ingest_file(session, path, options)
    console = Console()
    console.print(f"Ingest {path.name}: run {result.run_id}, {result.duration_s:.1f} s")
    summary = Table()
    summary.add_column("conteggio / count")
    summary.add_column("", justify="right")
    for name, value in result.counts.items():
        summary.add_row(name, str(value))
    console.print(summary)
    for warning in result.column_warnings:
        console.print(f"Avviso / warning: {warning['message']}", markup=False)
    if result.closed:
        console.print(f"Servizi chiusi / closed services: {len(result.closed)}")
        for service in result.closed[:20]:
            console.print(
                f"  {service['id']} {service['name']} ({service['source_key']})", markup=False
            )
    if result.rejections:
        console.print(f"Righe scartate / rejected rows: {len(result.rejections)}")
        for rejection in result.rejections[:10]:
            reasons = "; ".join(r["message"] for r in rejection["reasons"])
            console.print(f"  riga / row {rejection['row']}: {reasons}", markup=False)
    console.print(f"Rapporto / report: {result.report_path}")
