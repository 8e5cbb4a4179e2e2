"""`observatory keys`: create, list and revoke the API keys of the upload endpoint."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

# `observatory.keys` (the ORM models, geoalchemy2, shapely) is imported inside each command.

app = typer.Typer(help="API keys for uploads (stored hashed).", no_args_is_help=True)


@app.command()
def create(
    name: str = typer.Option(..., "--name", help="Who holds the key, e.g. 'GdLL Napoli'."),
    role: str = typer.Option("operator", "--role", help="operator (its areas) or admin (all)."),
    area: list[str] = typer.Option(
        None, "--area", help="Territorial area code the key may write (repeatable)."
    ),
) -> None:
    """Create a key and print it once: only its hash is stored."""
    from observatory import keys
    from observatory.db import new_session

    with new_session() as session, session.begin():
        row, key = keys.create_key(session, name, role, area or [])
    typer.echo(key)
    scope = ", ".join(row.areas) or "every area"
    typer.echo(
        f"key {row.prefix} for {name!r} ({role}: {scope}); shown only now, store it safely",
        err=True,
    )


@app.command("list")
def list_() -> None:
    """List the keys: prefix, holder, role, areas, dates (never the keys)."""
    from observatory import keys
    from observatory.db import new_session

    with new_session() as session:
        rows = keys.list_keys(session)
    table = Table(title=f"API keys: {len(rows)}")
    for column in ("prefix", "name", "role", "areas", "created", "revoked"):
        table.add_column(column)
    for row in rows:
        revoked = f"{row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else ""
        table.add_row(
            row.prefix,
            row.name,
            row.role,
            ", ".join(row.areas) or "all",
            f"{row.created_at:%Y-%m-%d %H:%M}",
            revoked,
        )
    Console(width=200).print(table)


@app.command()
def revoke(
    prefix: str = typer.Argument(..., help="The key's prefix, as `keys list` shows."),
) -> None:
    """Revoke a key: it answers 403 from now on."""
    from observatory import keys
    from observatory.db import new_session

    with new_session() as session, session.begin():
        row = keys.revoke_key(session, prefix)
    typer.echo(f"key {row.prefix} ({row.name}) revoked")
