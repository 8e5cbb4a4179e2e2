"""`observatory export`: the service registry in open formats (GeoJSON, GPKG, CSV, HSDS)."""

from __future__ import annotations

from pathlib import Path

import typer

from observatory.cli.analyze import AREA, AS_OF, CATEGORY, DIALECT, REGION

app = typer.Typer(help="Exports for QGIS, R, pandas, spreadsheets and HSDS tools.",
                  no_args_is_help=True)


@app.command("services")
def services(
    out: Path = typer.Option(..., "--out", help="FILE: .geojson (RFC 7946), .gpkg or .csv."),
    region: str = REGION,
    area: str = AREA,
    category: str = CATEGORY,
    csv_dialect: str = DIALECT,
    include_inactive: bool = typer.Option(False, help="Also services not active."),
    as_of: str = AS_OF,
) -> None:
    """Active services with public fields only, category labels (it/en), comune and area."""
    from observatory.db import new_session
    from observatory.geography import CREDIT
    from observatory.service_export import export_services  # geopandas only when exporting

    with new_session() as session:
        count = export_services(session, out, region, area, category, csv_dialect,
                                include_inactive, as_of)
    typer.echo(f"{out}: {count} services. Credits: {CREDIT}")


@app.command("hsds")
def hsds(
    out: Path = typer.Option(..., "--out", help="Folder, or a file name ending in .zip."),
) -> None:
    """Write the Open Referral HSDS tabular datapackage: one CSV per object + datapackage.json."""
    from observatory import hsds_tabular  # the models (geoalchemy2, shapely) only when exporting
    from observatory.db import new_session

    with new_session() as session:
        counts = hsds_tabular.export(session, out)
    summary = ", ".join(f"{table} {count}" for table, count in counts.items())
    typer.echo(f"HSDS datapackage written to {out}: {summary}")
