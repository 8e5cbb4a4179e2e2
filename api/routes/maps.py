"""Coverage and gap maps as HTML pages, rendered on demand and cached until the data changes.

The map stack (folium, geopandas, mapclassify) is imported on the first map rendered, not when
a worker starts, so a worker answers its health check soon after it starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import HTMLResponse

from api.deps import SessionDep
from maps.cache import MapCache
from maps.data import Scope, list_scopes, resolve_scope
from maps.index import Link, index_html, index_rows
from maps.labels import label

router = APIRouter(prefix="/maps", tags=["maps"])
CACHE = MapCache()

Kind = Literal["coverage", "gaps"]
Lang = Annotated[Literal["it", "en"], Query(description="Label language.")]


@dataclass
class MapOptions:
    """Query and header options every map route takes."""

    lang: Lang = "it"
    category: Annotated[
        str | None, Query(description="Service category code, children included (default: all).")
    ] = None
    tiles: Annotated[bool, Query(description="OpenStreetMap tiles when reachable.")] = True
    if_none_match: Annotated[str | None, Header()] = None


MapOptionsDep = Annotated[MapOptions, Depends()]


@router.get("/", response_class=HTMLResponse, summary="Index of the maps of every region and area")
def maps_index(session: SessionDep, lang: Lang = "it") -> HTMLResponse:
    """List every region and area with links to its coverage and gap maps."""
    query = "?lang=en" if lang == "en" else ""

    def links(scope: Scope, kind: str) -> list[Link]:
        return [Link(f"{scope.path}/{kind}{query}", label(kind, lang))]

    return HTMLResponse(index_html(index_rows(list_scopes(session), links), lang))


def _map_response(
    session: SessionDep, region: str, area: str | None, kind: Kind, options: MapOptions
) -> Response:
    from maps.publish import render_scope_map  # folium, geopandas, mapclassify: first map only

    key = (kind, options.category, options.lang, options.tiles)
    scope = resolve_scope(session, region, area)
    page, etag = CACHE.page(
        session, (scope.path, *key), lambda: render_scope_map(session, scope, *key)
    )
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if options.if_none_match == etag:
        return Response(status_code=304, headers=headers)
    return HTMLResponse(page, headers=headers)


@router.get("/{region}/{kind}", response_class=HTMLResponse, summary="Map of a region")
def region_map(session: SessionDep, region: str, kind: Kind, options: MapOptionsDep) -> Response:
    """The coverage or gap map of a region (name, slug or ISTAT code)."""
    return _map_response(session, region, None, kind, options)


@router.get("/{region}/{area}/{kind}", response_class=HTMLResponse, summary="Map of an area")
def area_map(
    session: SessionDep, region: str, area: str, kind: Kind, options: MapOptionsDep
) -> Response:
    """The coverage or gap map of a territorial area of a region."""
    return _map_response(session, region, area, kind, options)
