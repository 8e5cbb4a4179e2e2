"""The `observatory` command line: one Typer app, one sub-app per job."""

from __future__ import annotations

import logging
import sys

import typer
from rich.console import Console
from rich.logging import RichHandler
from sqlalchemy.exc import OperationalError

from observatory.cli import analyze, db, export, geo, ingest, keys, maps, population, serve, status
from observatory.errors import ObservatoryError

app = typer.Typer(
    name="observatory",
    help=(
        "Osservatorio dei servizi per cittadini stranieri regolarmente soggiornanti "
        "nel Sud Italia / observatory of services for regularly-resident foreign citizens.\n\n"
        "Every command uses DATABASE_URL when set, else the project-local PostGIS cluster."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(geo.app, name="geo")
app.add_typer(geo.areas_app, name="areas")
app.add_typer(geo.taxonomy_app, name="taxonomy")
app.add_typer(analyze.app, name="analyze")
app.add_typer(population.app, name="population")
app.add_typer(keys.app, name="keys")
app.add_typer(export.app, name="export")
app.add_typer(maps.app, name="maps")
app.command("status")(status.status)
app.command("serve")(serve.serve)
app.command("ingest")(ingest.ingest)

err = Console(stderr=True)


@app.callback()
def _configure(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages."),
) -> None:
    """Set up logging on stderr."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False, show_time=sys.stderr.isatty())],
        force=True,
    )


def main() -> None:
    """Entry point: run the app and turn domain errors into a message and exit code 2."""
    try:
        app()
    except ObservatoryError as error:
        err.print(f"[bold red]errore / error:[/] {error}")
        sys.exit(2)
    except OperationalError as error:
        err.print(f"[bold red]database non raggiungibile / database unreachable:[/] {error.orig}")
        sys.exit(3)
