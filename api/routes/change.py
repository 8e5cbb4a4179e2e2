"""Change between two dates or two snapshots of a source: JSON, GeoJSON, CSV and an SVG map."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from api.analysis import Area, Category, Region
from api.responses import GEOJSON, JSON
from api.routes.spatial import FORMATS, _in_threadpool
from api.routes.trends import SVG, Catchment
from observatory import change as change_mod
from observatory.analysis.parameters import DEFAULT_CATCHMENT_KM

router = APIRouter(tags=["trends and reports"])

Moment = Annotated[str | None, Query(
    max_length=40, description="a date (its last instant in Italy) or an RFC 3339 date-time")]
Run = Annotated[int | None, Query(
    ge=1, le=2**31 - 1, description="an ingest run (a snapshot of a source): its end")]
CHANGE_CONTENT = {
    "content": {GEOJSON: {}, "text/csv": {}},
    "description": "JSON: parameters, units, summary, per area (with opened/closed per "
    "category), services opened and closed, comuni with coverage gained/lost/unchanged; "
    "format=geojson: the comuni with their polygons; format=csv: one table (`table`).",
}


class ChangeQuery:
    """The moments, scope and catchment of a change, as query parameters."""

    def __init__(
        self,
        from_: Annotated[str | None, Query(alias="from", max_length=40, description=(
            "start: a date (its last instant in Italy) or an RFC 3339 date-time"))] = None,
        to: Moment = None,
        from_run: Run = None,
        to_run: Run = None,
        catchment_km: Catchment = DEFAULT_CATCHMENT_KM,
        category: Category = None,
        region: Region = None,
        area: Area = None,
    ) -> None:
        self.values = (from_, to, from_run, to_run, catchment_km, category, region, area)

    def document(self, session: Session) -> dict[str, Any]:
        """The change document of these parameters."""
        return change_mod.change(session, *self.values)


@router.get("/change", summary="Cambiamenti / change between two dates or two snapshots",
            responses={200: CHANGE_CONTENT})
async def change(
    request: Request,
    query: Annotated[ChangeQuery, Depends()],
    format: Annotated[Literal["json", "geojson", "csv"], Query(  # noqa: A002
        description="json (default), geojson (comuni) or csv")] = "json",
    table: Annotated[Literal["municipalities", "services", "areas"], Query(
        description="CSV: which table")] = "municipalities",
    csv_dialect: Annotated[Literal["standard", "it"], Query(
        description="CSV: standard (, and .) or it (; and decimal comma, BOM)")] = "standard",
) -> Response:
    """Services opened and closed per area and category, and per comune the coverage gained or
    lost within `catchment_km` (comuni that entered or left a gap) with the foreign residents
    affected, between `from` and `to` — or between the ends of two ingest runs of one source
    (`from_run`, `to_run`: only that source's services are listed)."""

    def work(session: Session) -> bytes:
        document = query.document(session)
        if format == "csv":
            return change_mod.change_csv(document, table, csv_dialect)
        if format == "geojson":
            return orjson.dumps(change_mod.change_features(session, document))
        return orjson.dumps(document)

    body = await _in_threadpool(request, work)
    return Response(body, media_type=FORMATS[format] if format != "json" else JSON)


@router.get("/change/map.svg", summary="Mappa dei cambiamenti / change map (SVG)",
            responses={200: {"content": {SVG: {}}, "description": "an SVG map"}},
            response_class=Response)
async def change_map(request: Request, query: Annotated[ChangeQuery, Depends()]) -> Response:
    """The comuni of an area (or region) coloured by coverage gained, lost or unchanged
    (Okabe-Ito blue / vermillion / grey, with a legend)."""
    body = await _in_threadpool(
        request, lambda session: change_mod.change_map(session, query.document(session)))
    return Response(body, media_type=SVG)
