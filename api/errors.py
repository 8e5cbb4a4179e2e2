"""Domain errors mapped to HTTP status codes in one table, answered as RFC 7807 problem details."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from psycopg import DataError, OperationalError
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException

from api.responses import json_response
from observatory.errors import (
    ConfigurationError,
    GeographyNotLoaded,
    InvalidInput,
    NotFound,
    ObservatoryError,
)

log = logging.getLogger(__name__)

# DataError: a value the database refuses (NUL bytes, out of range); never a 500 for bad input.
STATUS_CODES: dict[type[Exception], int] = {
    NotFound: 404,
    InvalidInput: 400,
    DataError: 400,
    GeographyNotLoaded: 503,
    ConfigurationError: 500,
    OperationalError: 503,
    PoolTimeout: 503,
    ObservatoryError: 500,
}
PROBLEM_JSON = "application/problem+json"


def problem(status: int, detail: str, errors: list | None = None) -> Response:
    """An RFC 7807 problem-details response."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return json_response(body, status, PROBLEM_JSON)


async def _domain_error(request: Request, error: Exception) -> Response:
    status = next(code for kind, code in STATUS_CODES.items() if isinstance(error, kind))
    if status >= 500:
        log.error("%s %s: %r", request.method, request.url.path, error)
        detail = "the database is unavailable" if status == 503 else "internal error"
        return problem(status, detail)
    if isinstance(error, DataError):
        return problem(status, "a parameter holds a value the database cannot take (e.g. a NUL)")
    return problem(status, str(error))


async def _validation_error(request: Request, error: RequestValidationError) -> Response:
    errors = [
        {"parameter": ".".join(str(part) for part in item["loc"][1:]), "message": item["msg"]}
        for item in error.errors()
    ]
    detail = "; ".join(f"{item['parameter']}: {item['message']}" for item in errors)
    return problem(400, f"invalid request: {detail}", errors)


async def _http_error(request: Request, error: HTTPException) -> Response:
    response = problem(error.status_code, str(error.detail))
    if error.headers:
        response.headers.update(error.headers)
    return response


def register_error_handlers(app: FastAPI) -> None:
    """Answer every domain, validation and HTTP error with problem details."""
    for kind in STATUS_CODES:
        app.add_exception_handler(kind, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
