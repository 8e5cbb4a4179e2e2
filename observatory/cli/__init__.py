"""The `observatory` command line: one Typer app, one sub-app per job."""

from __future__ import annotations

import logging
import sys
from typing import NoReturn

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from observatory.cli import (
    analyze,
    db,
    export,
    geo,
    ingest,
    keys,
    maps,
    population,
    report,
    serve,
    status,
)
from observatory.errors import ObservatoryError, SchemaMissing, causes, schema_missing

EXIT_ERROR = 2
EXIT_UNREACHABLE = 3
EXIT_SCHEMA_MISSING = 4
EXIT_CODES = (
    "Exit codes / codici di uscita: 0 done; 1 unexpected error (a bug: the traceback is shown); "
    f"{EXIT_ERROR} invalid input, unknown name or data not loaded (also a wrong option); "
    f"{EXIT_UNREACHABLE} database unreachable; "
    f"{EXIT_SCHEMA_MISSING} database schema missing (run `observatory db upgrade`)."
)

app = typer.Typer(
    name="observatory",
    help=(
        "Osservatorio dei servizi per cittadini stranieri regolarmente soggiornanti "
        "nel Sud Italia / observatory of services for regularly-resident foreign citizens.\n\n"
        "Every command uses DATABASE_URL when set, else the project-local PostGIS cluster."
    ),
    epilog=EXIT_CODES,
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
app.add_typer(report.app, name="report")
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
    # psycopg warns while it cleans up after a failed query ("error ignored terminating
    # <Pipeline>"); the failure itself is reported, once, by `main`.
    logging.getLogger("psycopg").setLevel(logging.DEBUG if verbose else logging.ERROR)


def _fail(label: str, message: object, code: int) -> NoReturn:
    """Print `label: message` on stderr as one line (never wrapped) and exit with `code`."""
    text = " ".join(str(message).split())
    err.print(f"[bold red]{label}:[/] {escape(text)}", soft_wrap=True)
    sys.exit(code)


def main() -> None:
    """Entry point: run the app and turn known errors into one line and an exit code."""
    try:
        app()
    except SchemaMissing as error:
        _fail("errore / error", error, EXIT_SCHEMA_MISSING)
    except ObservatoryError as error:
        _fail("errore / error", error, EXIT_ERROR)
    except Exception as error:  # a database error, maybe wrapped by a library (pandas)
        from sqlalchemy.exc import OperationalError  # sqlalchemy only once a command failed

        if isinstance(error, OperationalError):
            _fail("database non raggiungibile / database unreachable", error.orig,
                  EXIT_UNREACHABLE)
        if (missing := schema_missing(error)) is not None:
            _fail("errore / error", missing, EXIT_SCHEMA_MISSING)
        unreachable = next((c for c in causes(error) if isinstance(c, OperationalError)), None)
        if unreachable is None:
            raise
        _fail("database non raggiungibile / database unreachable", unreachable.orig,
              EXIT_UNREACHABLE)
