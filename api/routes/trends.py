"""Trends per area and region (JSON, CSV, SVG charts) and the printable report of an area."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from api.responses import JSON
from api.routes.spatial import FORMATS, _in_threadpool
from observatory import trends
from observatory.analysis.parameters import DEFAULT_CATCHMENT_KM

router = APIRouter(tags=["trends and reports"])

Level = Literal["area", "region"]
Catchment = Annotated[float, Query(
    gt=0, le=500, description="a comune is covered with a service within this geodesic "
    "distance (km) of its point")]
Rounds = Annotated[str | None, Query(
    max_length=400, description="comma-separated dates YYYY-MM-DD (at most 24); default the "
    "31 December of each completed year since the first service, the days of the snapshot "
    "ingests, and today")]
TopCategory = Annotated[str | None, Query(
    max_length=20, description="one top-level category (default: every one) besides all "
    "services (`*`)")]
SVG = "image/svg+xml"
TRENDS_CONTENT = {
    "content": {"text/csv": {}},
    "description": "JSON: parameters, group, units, foreign residents per year, one row per "
    "round and category; format=csv: a `#` line with the parameters as JSON, then the rounds.",
}


def _document(
    request: Request, level: str, code: str, rounds: str | None, catchment_km: float,
    category: str | None, then: Any = None,
) -> Any:
    """The trends document (or `then(document)`) computed in the threadpool."""
    dates = trends.parse_rounds(rounds)

    def work(session: Session) -> Any:
        document = trends.trends(session, level, code, dates, catchment_km, category)
        return then(document) if then else document

    return _in_threadpool(request, work)


@router.get(
    "/trends/{level}/{code}",
    summary="Andamenti / trends of an area or region: foreign residents, services, coverage",
    responses={200: TRENDS_CONTENT},
)
async def trend_table(
    request: Request,
    level: Level,
    code: str,
    rounds: Rounds = None,
    catchment_km: Catchment = DEFAULT_CATCHMENT_KM,
    category: TopCategory = None,
    format: Annotated[Literal["json", "csv"], Query(  # noqa: A002
        description="json (default) or csv")] = "json",
    csv_dialect: Annotated[Literal["standard", "it"], Query(
        description="CSV: standard (, and .) or it (; and decimal comma, BOM)")] = "standard",
) -> Response:
    """Foreign residents per year (ISTAT, 1 January 2020-2025) and, per round and category,
    services located in the group per 10,000 foreign residents and the share of foreign
    residents whose comune has a service within `catchment_km`. `category` `*` = all
    services. A region is given by ISTAT code or name.
    """
    if format == "csv":
        body = await _document(request, level, code, rounds, catchment_km, category,
                               lambda d: trends.trends_csv(d, csv_dialect))
        return Response(body, media_type=FORMATS["csv"])
    document = await _document(request, level, code, rounds, catchment_km, category)
    return Response(orjson.dumps(document), media_type=JSON)


@router.get(
    "/trends/{level}/{code}/{metric}.svg",
    summary="Grafico / chart of a trend (SVG)",
    responses={200: {"content": {SVG: {}}, "description": "an SVG line chart"}},
    response_class=Response,
)
async def trend_chart(
    request: Request,
    level: Level,
    code: str,
    metric: Literal["foreign_residents", "services_per_10k", "coverage_share"],
    rounds: Rounds = None,
    catchment_km: Catchment = DEFAULT_CATCHMENT_KM,
    category: Annotated[str | None, Query(
        max_length=20, description="draw this top-level category besides all services")
    ] = None,
) -> Response:
    """A line chart of one trend: foreign residents per year, or per round services per 10,000
    foreign residents or the share covered (all services, and `category` when given)."""
    body = await _document(request, level, code, rounds, catchment_km, category,
                           lambda d: trends.trend_chart(d, metric))
    return Response(body, media_type=SVG)


PDF = "application/pdf"


@router.get(
    "/reports/areas/{code}",
    summary="Rapporto d'area / printable report of a territorial area (HTML or PDF)",
    responses={200: {"content": {"text/html": {}, PDF: {}},
                     "description": "the report page (HTML), or f=pdf: printed to PDF"}},
    response_class=Response,
)
async def area_report(
    request: Request,
    code: str,
    f: Annotated[Literal["html", "pdf"], Query(description="html (default) or pdf")] = "html",
    catchment_km: Catchment = DEFAULT_CATCHMENT_KM,
) -> Response:
    """Key figures with parameters and data dates, coverage and gap maps, categories missing
    where, trend charts, services with their verification date, sources and licences — the
    same page as `observatory report area CODE --out FILE`."""
    from observatory.area_report import area_report as build

    body = await _in_threadpool(request, lambda session: build(session, code, f, catchment_km))
    if f == "pdf":
        return Response(body, media_type=PDF, headers={
            "Content-Disposition": f'inline; filename="rapporto-{code}.pdf"'})
    return Response(body, media_type="text/html; charset=utf-8")
