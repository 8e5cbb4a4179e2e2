"""`observatory export`: publish the services in open formats."""

from __future__ import annotations

from pathlib import Path

import typer

from observatory import hsds_tabular
from observatory.db import new_session

app = typer.Typer(help="Exports in open formats.", no_args_is_help=True)


@app.command("hsds")
def hsds(
    out: Path = typer.Option(..., "--out", help="Folder, or a file name ending in .zip."),
) -> None:
    """Write the Open Referral HSDS tabular datapackage: one CSV per object + datapackage.json."""
    with new_session() as session:
        counts = hsds_tabular.export(session, out)
    summary = ", ".join(f"{table} {count}" for table, count in counts.items())
    typer.echo(f"HSDS datapackage written to {out}: {summary}")
