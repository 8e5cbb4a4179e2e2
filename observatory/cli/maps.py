"""`observatory maps`: render the coverage and gap maps as standalone, offline-ready HTML."""

from __future__ import annotations

import logging
import time
from enum import StrEnum
from pathlib import Path

import typer

from observatory.db import new_session

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
    category: str = typer.Option(
        None, "--category", help="Service category code, children included (default: all)."
    ),
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
    with or without internet. Maps read the latest stored analysis runs.
    """
    from maps.data import list_scopes  # folium and geopandas load only when rendering
    from maps.publish import select_scopes, write_index, write_maps

    if all_regions and region:
        raise typer.BadParameter("--all and --region exclude each other")
    start = time.perf_counter()
    with new_session() as session:
        scopes = select_scopes(session, region or [], area, with_areas)
        written = write_maps(session, scopes, out_dir, category, lang.value, tiles)
        index = write_index(out_dir, list_scopes(session), written, lang.value)
    total_mb = sum(w.size_bytes for w in written) / 1e6
    log.info(
        "%d mappe scritte in %.1f s (%.1f MB) / %d maps written; indice: %s",
        len(written), time.perf_counter() - start, total_mb, len(written), index,
    )
