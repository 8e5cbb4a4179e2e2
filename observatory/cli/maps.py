"""`observatory maps`: render the coverage and gap maps as standalone, offline-ready HTML."""

from __future__ import annotations

import logging
import time
from enum import StrEnum
from pathlib import Path

import typer

log = logging.getLogger(__name__)

app = typer.Typer(help="Coverage and gap maps (folium, work offline).", no_args_is_help=True)


class Language(StrEnum):
    """Languages of the map labels."""

    it = "it"
    en = "en"


@app.command("render")
def render(
    out_dir: Path = typer.Option(..., "--out-dir", help="Folder for the HTML maps and index.html."),
    region: list[str] = typer.Option(
        None, "--region", help="Region name, slug or ISTAT code (repeatable)."
    ),
    all_regions: bool = typer.Option(
        False, "--all", help="Every loaded region (the default without --region and --area)."
    ),
    area: str = typer.Option(None, "--area", help="Only this territorial area (its code)."),
    category: list[str] = typer.Option(
        None, "--category",
        help="Service category code, children included (repeatable; default: all services, "
             "whose gap map shows the missing categories).",
    ),
    every_category: bool = typer.Option(
        False, "--every-category",
        help="Maps of all services and of every category (top and second level).",
    ),
    demand: str = typer.Option(
        None, "--demand",
        help="Population the rates are per: residents or foreign_residents "
             "(default: the analysis default).",
    ),
    catchment_km: float = typer.Option(
        None, "--catchment-km", help="Catchment radius in km (default 20)."
    ),
    method: str = typer.Option(None, "--method", help="2sfca (default) or e2sfca."),
    supply: str = typer.Option(None, "--supply", help="count (default) or capacity."),
    lang: Language = typer.Option(Language.it, "--lang", help="Label language."),
    with_areas: bool = typer.Option(
        True, "--areas/--no-areas", help="Also render the maps of each area of the regions."
    ),
    tiles: bool = typer.Option(
        True, "--tiles/--no-tiles", help="OpenStreetMap tiles when online (else plain background)."
    ),
) -> None:
    """Render a coverage map and a gap map per region (and area), plus index.html.

    Each map is one HTML file with Leaflet inlined: it opens from disk or a web server,
    with or without internet. Each shows the analysis of its parameters (category, demand,
    catchment, method, supply), computed and stored when not stored yet on the current data.
    """
    from maps.data import MapParameters, categories, list_scopes  # light: no folium yet
    from maps.publish import select_scopes, write_index, write_maps
    from observatory.db import new_session

    if all_regions and region:
        raise typer.BadParameter("--all and --region exclude each other")
    if every_category and category:
        raise typer.BadParameter("--every-category and --category exclude each other")
    start = time.perf_counter()
    params = MapParameters(None, demand, catchment_km, method, supply)
    with new_session() as session:
        chosen: list[str | None] = list(category or [None])
        if every_category:
            chosen = [None, *categories(session, lang.value)]
        scopes = select_scopes(session, region or [], area, with_areas)
        written = write_maps(session, scopes, out_dir, params, lang.value, tiles, chosen)
        index = write_index(out_dir, list_scopes(session), written, lang.value)
        session.commit()  # keep the analyses computed for the maps
    total_mb = sum(w.size_bytes for w in written) / 1e6
    log.info(
        "%d mappe scritte in %.1f s (%.1f MB) / %d maps written; indice: %s",
        len(written), time.perf_counter() - start, total_mb, len(written), index,
    )
