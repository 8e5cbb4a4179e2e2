"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from api.deps import SessionDep
from observatory.errors import schema_missing
from observatory.status import collect_status

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    """Answer ok while the process runs."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: database reachable and geography loaded")
def readyz(session: SessionDep) -> JSONResponse:
    """Answer ok (200) only when the database answers and the geography is loaded."""
    try:
        current = collect_status(session)
    except SQLAlchemyError as error:
        if (missing := schema_missing(error)) is not None:
            return JSONResponse({"status": "not ready", "detail": str(missing)}, status_code=503)
        return JSONResponse(
            {"status": "unavailable", "detail": "database unreachable"}, status_code=503
        )
    if not current.geography_loaded:
        return JSONResponse(
            {"status": "not ready", "detail": "geography not loaded: run observatory geo load"},
            status_code=503,
        )
    return JSONResponse(
        {
            "status": "ok",
            "geography_year": current.geography_year,
            "municipalities": current.municipalities,
            "areas": len(current.areas),
        }
    )
