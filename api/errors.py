"""Errors as RFC 9457 problem details: one table from error to status, one registration."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from psycopg_pool import PoolTimeout
from sqlalchemy.exc import DataError as SQLAlchemyDataError
from sqlalchemy.exc import OperationalError as SQLAlchemyOperationalError
from sqlalchemy.exc import ProgrammingError as SQLAlchemyProgrammingError
from starlette.exceptions import HTTPException

from api.responses import json_response
from observatory.errors import (
    ConfigurationError,
    Conflict,
    GeographyNotLoaded,
    InvalidInput,
    LengthRequired,
    LimitExceeded,
    NotAuthenticated,
    NotFound,
    ObservatoryError,
    PayloadTooLarge,
    PermissionDenied,
    SchemaMissing,
    ToolMissing,
    UnsupportedFileType,
    schema_missing,
)

log = logging.getLogger(__name__)

# DataError: a value the database refuses (NUL bytes, out of range); never a 500 for bad input.
STATUS_CODES: dict[type[Exception], int] = {
    InvalidInput: 400,
    psycopg.DataError: 400,
    SQLAlchemyDataError: 400,
    NotAuthenticated: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    LengthRequired: 411,
    PayloadTooLarge: 413,
    LimitExceeded: 413,
    UnsupportedFileType: 415,
    GeographyNotLoaded: 503,
    ToolMissing: 503,
    SchemaMissing: 503,
    ConfigurationError: 500,
    psycopg.OperationalError: 503,
    SQLAlchemyOperationalError: 503,
    PoolTimeout: 503,
    ObservatoryError: 500,
}
PROBLEM_JSON = "application/problem+json"
INTERNAL_ERROR = "internal error: the operators have been told"


def problem_body(status: int, detail: str) -> dict[str, Any]:
    """The members of an RFC 9457 problem document: `type`, `title`, `status`, `detail`."""
    return {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
            "detail": detail}


def problem(
    status: int, detail: str, errors: list | None = None, headers: dict[str, str] | None = None
) -> Response:
    """An RFC 9457 problem-details response (`type`, `title`, `status`, `detail`)."""
    body = problem_body(status, detail)
    if errors:
        body["errors"] = errors
    response = json_response(body, status, PROBLEM_JSON)
    response.headers.update(headers or {})
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="osservatorio"'
    return response


def status_of(error: Exception) -> int:
    """The HTTP status of an error: its most specific class in the table."""
    return next(STATUS_CODES[kind] for kind in type(error).__mro__ if kind in STATUS_CODES)


async def _domain_error(request: Request, error: Exception) -> Response:
    status = status_of(error)
    if status >= 500:
        log.error("%s %s: %r", request.method, request.url.path, error)
        told = GeographyNotLoaded | SchemaMissing | ToolMissing  # their message says what to do
        if status == 503 and not isinstance(error, told):
            return problem(status, "the database is unavailable; try again shortly")
        if status == 500:
            return problem(status, INTERNAL_ERROR)
    if isinstance(error, psycopg.DataError | SQLAlchemyDataError):
        return problem(status, "a parameter holds a value the database cannot take (e.g. a NUL)")
    return problem(status, str(error))


async def _programming_error(request: Request, error: Exception) -> Response:
    """A query on a missing table is a 503 (run the migrations); any other is a bug."""
    if (missing := schema_missing(error)) is not None:
        return await _domain_error(request, missing)
    return await _unexpected_error(request, error)


async def _unexpected_error(request: Request, error: Exception) -> Response:
    """A bug: logged with its traceback for the operators, never shown to the client."""
    if (missing := schema_missing(error)) is not None:  # wrapped, e.g. by pandas
        return await _domain_error(request, missing)
    log.exception("%s %s: unexpected error", request.method, request.url.path, exc_info=error)
    return problem(500, INTERNAL_ERROR)


async def _validation_error(request: Request, error: RequestValidationError) -> Response:
    errors = [
        {"parameter": ".".join(str(part) for part in item["loc"][1:]), "message": item["msg"]}
        for item in error.errors()
    ]
    detail = "; ".join(f"{item['parameter']}: {item['message']}" for item in errors)
    return problem(400, f"invalid request: {detail}", errors)


async def _http_error(request: Request, error: HTTPException) -> Response:
    return problem(error.status_code, str(error.detail), headers=error.headers)


def register_error_handlers(app: FastAPI) -> None:
    """Answer every error with problem details; unexpected ones without their message."""
    for kind in STATUS_CODES:
        app.add_exception_handler(kind, _domain_error)
    for kind in (psycopg.ProgrammingError, SQLAlchemyProgrammingError):
        app.add_exception_handler(kind, _programming_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
