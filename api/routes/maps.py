"""Coverage and gap maps as HTML pages, rendered on demand and cached until the data changes.

Each map shows the analysis its query parameters address (computed on first request and
stored, see `observatory.analysis.store.run_analysis`); the cache key includes them.

The map stack (folium, geopandas, mapclassify) is imported on the first map rendered, not when
a worker starts, so a worker answers its health check soon after it starts.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from api.deps import SessionDep, app_session, on_event_loop
from api.held_pages import HeldPages
from maps.data import MapParameters, Scope, categories, list_scopes, resolve_scope
from maps.index import Link, index_html, index_rows
from maps.labels import label
from observatory.page_cache import PageCache
from observatory.taxonomy import check_category

router = APIRouter(prefix="/maps", tags=["maps"])
CACHE = PageCache()

Kind = Literal["coverage", "gaps"]
Lang = Annotated[Literal["it", "en"], Query(description="Label language.")]


@dataclass
class MapOptions:
    """Query and header options every map route takes: the analysis parameters and display."""

    lang: Lang = "it"
    category: Annotated[
        str | None,
        Query(description="Service category code, children included (default: all services; "
                          "the gap map of all services shows the missing categories)."),
    ] = None
    demand: Annotated[
        str | None,
        Query(description="Population the rates are per: `residents` or `foreign_residents` "
                          "(default: the analysis default demand)."),
    ] = None
    catchment_km: Annotated[
        float | None, Query(gt=0, description="Catchment radius in km (default 20).")
    ] = None
    method: Annotated[
        str | None, Query(description="Accessibility method: `2sfca` (default) or `e2sfca`.")
    ] = None
    supply: Annotated[
        str | None,
        Query(description="Supply per service: `count` (1 each, default) or `capacity`."),
    ] = None
    tiles: Annotated[bool, Query(description="OpenStreetMap tiles when reachable.")] = True
    standalone: Annotated[
        bool,
        Query(description="One self-contained file (every polygon inline, ~1.5 MB a region) "
                          "instead of the page drawing from the API's vector tiles."),
    ] = False
    if_none_match: Annotated[str | None, Header()] = None

    @property
    def params(self) -> MapParameters:
        """The analysis parameters the map is addressed by."""
        return MapParameters(
            self.category, self.demand, self.catchment_km, self.method, self.supply
        )


MapOptionsDep = Annotated[MapOptions, Depends(on_event_loop(MapOptions))]


@router.get("/", response_class=HTMLResponse, summary="Index of the maps of every region and area")
def maps_index(
    session: SessionDep,
    lang: Lang = "it",
    category: Annotated[
        str | None,
        Query(description="Only the maps of this category (code), of every region and area."),
    ] = None,
) -> HTMLResponse:
    """List every region and area with links to its maps of all services and of each category.

    Each region or area links its coverage map; each category of the key links its own index.
    """
    check_category(session, category)
    names = categories(session, lang)
    suffix = "&lang=en" if lang == "en" else ""
    category_links = {code: f"?category={code}{suffix}" for code in names}

    def href(scope: Scope, kind: str, category: str | None) -> str:
        query = [f"category={category}"] if category else []
        query += ["lang=en"] if lang == "en" else []
        return f"{scope.path}/{kind}" + ("?" + "&".join(query) if query else "")

    def links(scope: Scope, kind: str) -> list[Link]:
        if category is not None:
            return [Link(href(scope, kind, category), names[category])]
        everything = label("missing" if kind == "gaps" else "all_categories", lang)
        return [Link(href(scope, kind, None), everything)] + [
            Link(href(scope, kind, code), code, name) for code, name in names.items()
        ]

    subtitle = f"{label('category', lang)}: {names[category]} ({category})" if category else ""
    rows = index_rows(list_scopes(session), links)
    return HTMLResponse(index_html(rows, lang, names, category_links, subtitle))


def _rendered(
    session: Session, region: str, area: str | None, kind: Kind, options: MapOptions
) -> tuple[Hashable, str, str]:
    """The page of a map (rendered, or read from the shared folder), its ETag and cache key."""
    params = options.params
    scope = resolve_scope(session, region, area)
    key = (scope.path, kind, params.key, options.lang, options.tiles, options.standalone)
    api_root = None if options.standalone else "../" * (3 if area else 2)  # from the page

    def render() -> str:
        from maps.publish import render_scope_map  # folium, geopandas: first render only

        return render_scope_map(session, scope, kind, params, options.lang, options.tiles, api_root)

    page, etag = CACHE.page(session, key, render)
    session.commit()  # keep the run the map computed: the next request (any worker) reads it
    return CACHE.full_key(session, key), page, etag


async def _map_response(
    request: Request, region: str, area: str | None, kind: Kind, options: MapOptions
) -> Response:
    """A map page: from this worker's memory on the event loop when it holds the page for the
    current data version (one read of the version), else rendered or read on a thread."""
    asked = (
        request.app.state.database_url, region, area, kind, options.params.key, options.lang,
        options.tiles, options.standalone,
    )
    if (found := await HELD.find(request, asked)) is not None:
        page, etag, _ = found
    else:

        def read() -> tuple[str, str]:
            with app_session(request) as session:
                full_key, page, etag = _rendered(session, region, area, kind, options)
            HELD.remember(asked, full_key)
            return page, etag

        page, etag = await run_in_threadpool(read)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if options.if_none_match == etag:
        return Response(status_code=304, headers=headers)
    return HTMLResponse(page, headers=headers)


HELD = HeldPages(CACHE)
"""Each map request as asked (region as written, options) -> its page: the next ask is answered
without a session or a thread."""


@router.get("/{region}/{kind}", response_class=HTMLResponse, summary="Map of a region")
async def region_map(request: Request, region: str, kind: Kind, options: MapOptionsDep) -> Response:
    """The coverage or gap map of a region (name, slug or ISTAT code)."""
    return await _map_response(request, region, None, kind, options)


@router.get("/{region}/{area}/{kind}", response_class=HTMLResponse, summary="Map of an area")
async def area_map(
    request: Request, region: str, area: str, kind: Kind, options: MapOptionsDep
) -> Response:
    """The coverage or gap map of a territorial area of a region."""
    return await _map_response(request, region, area, kind, options)
