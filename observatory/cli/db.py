"""`observatory db`: the database lifecycle (local cluster, migrations, URL)."""

from __future__ import annotations

import secrets

import typer

from observatory import localdb
from observatory.settings import get_settings

app = typer.Typer(help="Database: local cluster, migrations, connection URL.", no_args_is_help=True)


@app.command()
def start() -> None:
    """Create and start the project-local cluster (a no-op when DATABASE_URL is set)."""
    settings = get_settings()
    if not settings.uses_local_cluster:
        typer.echo("DATABASE_URL is set: using that server, no local cluster started.")
        return
    cluster = localdb.cluster_for(settings)
    started = localdb.start(cluster)
    state = "started" if started else "already running"
    typer.echo(f"local PostGIS cluster {state}: {cluster.data_dir} on 127.0.0.1:{cluster.port}")


@app.command()
def stop() -> None:
    """Stop the project-local cluster."""
    settings = get_settings()
    if not settings.uses_local_cluster:
        typer.echo("DATABASE_URL is set: there is no local cluster to stop.")
        return
    stopped = localdb.stop(localdb.cluster_for(settings))
    typer.echo("local cluster stopped" if stopped else "local cluster was not running")


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply the database migrations (Alembic) up to REVISION."""
    from observatory import db as database
    database.upgrade(revision=revision)
    typer.echo(f"database at revision {revision}")


@app.command()
def downgrade(revision: str = typer.Argument(..., help="Target revision, e.g. base.")) -> None:
    """Revert the database migrations down to REVISION."""
    from observatory import db as database
    database.downgrade(revision=revision)
    typer.echo(f"database at revision {revision}")


@app.command()
def url(
    show_password: bool = typer.Option(False, help="Print the password too."),
    libpq: bool = typer.Option(False, help="Print a libpq URL (psql, QGIS, R) without +psycopg."),
) -> None:
    """Print the connection URL in use, so psql, QGIS or R can connect to the same database."""
    from sqlalchemy.engine import make_url

    from observatory.db import libpq_url
    url = get_settings().sqlalchemy_url
    parsed = make_url(libpq_url(url) if libpq else url)
    typer.echo(parsed.render_as_string(hide_password=not show_password))


@app.command("create-reader")
def create_reader(
    name: str = typer.Argument(..., help="Role name, e.g. ricerca_unina."),
    password: str = typer.Option(
        None, help="Its password (default: a random one, printed once)."
    ),
) -> None:
    """Create a read-only LOGIN role for researchers: public data only, no personal data.

    It reads the geography, population, areas, categories, analyses and `service_public`
    (services with private fields blanked); run it again to reset the password or after
    an upgrade.
    """
    from sqlalchemy.engine import make_url

    from observatory import db as database
    from observatory import roles  # psycopg's sql module only for this command
    from observatory.db import libpq_url

    secret = password or secrets.token_urlsafe(18)
    connection = database.get_engine().raw_connection()  # unreachable: the CLI's exit 3
    try:
        created = roles.create_reader(connection.driver_connection, name, secret)
        connection.commit()
    finally:
        connection.close()
    url = libpq_url(get_settings().sqlalchemy_url)
    reader_url = make_url(url).set(username=name, password=secret)
    typer.echo(f"role {name} {'created' if created else 'updated'}: read-only, public data")
    typer.echo(reader_url.render_as_string(hide_password=password is not None))
