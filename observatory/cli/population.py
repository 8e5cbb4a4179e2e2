"""`observatory population load`: ISTAT population per comune from demo.istat.it files."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Population per comune (ISTAT demo.istat.it files).", no_args_is_help=True)


@app.command("load")
def load(
    path: Path = typer.Argument(..., help="STRASA (foreign residents) or POSAS (residents) CSV."),
    indicator: str = typer.Option(
        None, help="foreign_residents or residents (default: from the file name or title)."
    ),
    year: int = typer.Option(None, help="Data year (default: from the title or file name)."),
) -> None:
    """Load a population file for one year, replacing that indicator and year.

    Codes are matched against the loaded geography's year; outside the loaded regions they
    are skipped, and an unknown code inside them (a merged comune) stops the load.
    """
    from observatory.db import new_session
    from observatory.population import load_population_file  # pandas only when loading

    with new_session() as session, session.begin():
        loaded = load_population_file(session, path, indicator, year)
    people = f"{loaded.total:,}".replace(",", ".")
    typer.echo(
        f"{loaded.indicator} {loaded.year}: {loaded.comuni} comuni, {people} people "
        f"(geography {loaded.geography_year}); {loaded.outside_geography} codes outside the "
        f"loaded regions skipped; {len(loaded.without_row)} loaded comuni without a row "
        "(demand 0)"
    )
