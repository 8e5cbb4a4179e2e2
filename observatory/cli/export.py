"""`observatory export`: the service registry in open formats (GeoJSON, GPKG, CSV, HSDS)."""

from __future__ import annotations

from pathlib import Path

import typer

from observatory.cli.analyze import AREA, AS_OF, CATCHMENT, CATEGORY, DIALECT, REGION

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


@app.command("change")
def change(
    out: Path = typer.Option(..., "--out", help="FILE: .geojson (comuni, RFC 7946), .csv (one "
                             "table, see --table) or .json (the whole document)."),
    start: str = typer.Option(None, "--from", help="Start: a date (its last instant in "
                              "Italy) or an RFC 3339 date-time."),
    end: str = typer.Option(None, "--to", help="End: a date or a date-time."),
    from_run: int = typer.Option(None, "--from-run", help="Or two ingest runs (snapshots) of "
                                 "one source: the first."),
    to_run: int = typer.Option(None, "--to-run", help="The second ingest run."),
    region: str = REGION,
    area: str = AREA,
    category: str = CATEGORY,
    catchment_km: float = CATCHMENT,
    table: str = typer.Option("municipalities", help="CSV: municipalities, services or areas."),
    csv_dialect: str = DIALECT,
) -> None:
    """Services opened and closed per area and category; coverage gained and lost per comune
    (comuni that entered or left a gap) with the foreign residents affected."""
    import orjson

    from observatory import change as change_mod
    from observatory.db import new_session
    from observatory.errors import InvalidInput
    from observatory.exports import export_metadata

    suffix = out.suffix.lower()
    if suffix not in (".geojson", ".csv", ".json"):
        raise InvalidInput(f"{out}: write the change as .geojson, .csv or .json")
    with new_session() as session:
        document = change_mod.change(session, start, end, from_run, to_run, catchment_km,
                                     category, region, area)
        if suffix == ".geojson":
            body = orjson.dumps(change_mod.change_features(session, document))
        elif suffix == ".csv":
            body = change_mod.change_csv(document, table, csv_dialect)
        else:
            body = orjson.dumps(export_metadata(document), option=orjson.OPT_INDENT_2)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(body)
    summary = document["summary"]
    typer.echo(f"{out}: {summary['opened']} opened, {summary['closed']} closed, "
               f"{summary['comuni_gained']} comuni gained and {summary['comuni_lost']} lost "
               f"coverage ({summary['entered_gap']} entered a gap, {summary['left_gap']} left)")
