"""Open Referral HSDS 3.1 endpoints: API info, services, service_at_locations, datapackage."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from api.deps import ReadAccess, SessionDep
from api.params import HsdsFiltersDep, HsdsPageDep
from observatory import hsds, hsds_tabular

router = APIRouter(prefix="/hsds", tags=["Open Referral HSDS"], dependencies=[ReadAccess])


@router.get("/", summary="HSDS API information: version and profile")
def info(request: Request) -> dict[str, str]:
    """The HSDS version, profile URI and OpenAPI document of this API."""
    return hsds.api_info(str(request.url_for("openapi")))


@router.get(
    "/services", summary="Services, paged, filtered by text, taxonomy term, language, place"
)
def services(session: SessionDep, filters: HsdsFiltersDep, page: HsdsPageDep) -> dict[str, Any]:
    """A page of fully nested HSDS services."""
    return hsds.list_services(session, filters, *page)


@router.get("/services/{service_id}", summary="One service, fully nested")
def service(session: SessionDep, service_id: str) -> dict[str, Any]:
    """One HSDS service by its id."""
    return hsds.get_service(session, service_id)


@router.get(
    "/service_at_locations",
    summary="Services at locations, nearest first when lat, lon and proximity are given",
)
def service_at_locations(
    session: SessionDep, filters: HsdsFiltersDep, page: HsdsPageDep
) -> dict[str, Any]:
    """A page of HSDS service_at_location entries with their location and service."""
    return hsds.list_service_at_locations(session, filters, *page)


@router.get(
    "/datapackage.zip",
    summary="HSDS tabular datapackage: one CSV per object + datapackage.json",
    response_class=FileResponse,
)
def datapackage(session: SessionDep) -> FileResponse:
    """The whole public directory as an HSDS tabular datapackage (zip)."""
    folder = Path(tempfile.mkdtemp(prefix="hsds-"))
    target = folder / "osservatorio-hsds.zip"
    try:
        hsds_tabular.write_zip(session, target)
    except BaseException:
        shutil.rmtree(folder)
        raise
    return FileResponse(
        target,
        media_type="application/zip",
        filename=target.name,
        background=BackgroundTask(shutil.rmtree, folder),
    )
