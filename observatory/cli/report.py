"""`observatory report`: the printable report of a territorial area (PDF or HTML)."""

from __future__ import annotations

from pathlib import Path

import typer

from observatory.cli.analyze import CATCHMENT

app = typer.Typer(help="Rapporti stampabili / printable reports.", no_args_is_help=True)


@app.command("area")
def area(
    code: str = typer.Argument(..., help="Territorial area code (see `observatory status`)."),
    out: Path = typer.Option(..., "--out", help="FILE.pdf (printed by headless Chromium; "
                             "$CHROMIUM picks the binary) or FILE.html."),
    catchment_km: float = CATCHMENT,
) -> None:
    """One page per area: key figures with parameters and data dates, coverage and gap maps,
    categories missing where, trend charts, services with their verification date, sources."""
    from observatory.area_report import write_area_report
    from observatory.db import new_session

    with new_session() as session:
        written = write_area_report(session, code, out, catchment_km)
    typer.echo(f"{written}: rapporto / report of area {code} ({written.stat().st_size} bytes)")
