"""Errors as RFC 9457 problem details: one table from domain error to status, one registration."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from observatory.errors import (
    GeographyNotLoaded,
    InvalidInput,
    LengthRequired,
    NotAuthenticated,
    NotFound,
    ObservatoryError,
    PayloadTooLarge,
    PermissionDenied,
    UnsupportedFileType,
)

log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[ObservatoryError], int] = {
    InvalidInput: 400,
    NotAuthenticated: 401,
    PermissionDenied: 403,
    NotFound: 404,
    LengthRequired: 411,
    PayloadTooLarge: 413,
    UnsupportedFileType: 415,
    GeographyNotLoaded: 503,
}


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A problem-details response (`type`, `title`, `status`, `detail`)."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="osservatorio"'}
    return JSONResponse(
        body, status_code=status, headers=headers, media_type="application/problem+json"
    )


def status_of(error: ObservatoryError) -> int:
    """The HTTP status of a domain error: its most specific class in the table, else 500."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


async def _domain_error(request: Request, error: ObservatoryError) -> JSONResponse:
    status = status_of(error)
    if status == 500:
        log.error("%s %s: %s", request.method, request.url.path, error)
        return problem(status, "internal error: the operators have been told")
    return problem(status, str(error))


async def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    return problem(error.status_code, str(error.detail), error.headers)


async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    reasons = [f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()]
    return problem(422, "; ".join(reasons))


def register_error_handlers(app: FastAPI) -> None:
    """Answer every domain, HTTP and validation error with a problem-details body."""
    app.add_exception_handler(ObservatoryError, _domain_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
