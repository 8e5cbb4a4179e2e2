"""Domain errors: they know nothing of HTTP; the API and the CLI map them."""

from __future__ import annotations

from collections.abc import Iterator


class ObservatoryError(Exception):
    """Base of every error the observatory reports to its users."""


class NotFound(ObservatoryError):
    """A named object (region, area, comune, category, collection) does not exist."""


class InvalidInput(ObservatoryError):
    """A parameter or a file is not acceptable; the message says why."""


class ConfigurationError(ObservatoryError):
    """A data file such as areas.yaml or taxonomy.yaml is inconsistent."""


class GeographyNotLoaded(ObservatoryError):
    """The reference geography has not been loaded yet."""


class ToolMissing(ObservatoryError):
    """A program the observatory runs (Chromium, to print a PDF) is not installed."""


class NotAuthenticated(ObservatoryError):
    """No API key was presented, or the key presented matches none."""


class PermissionDenied(ObservatoryError):
    """A known API key that may not do this: revoked, or not valid for the area."""


class Conflict(ObservatoryError):
    """A request that would create what already exists (a service with the same source key)."""


class UnsupportedFileType(InvalidInput):
    """An uploaded file's name, declared type or first bytes are not a format the ingest reads."""


class PayloadTooLarge(InvalidInput):
    """An upload is larger than the configured limit."""


class LimitExceeded(InvalidInput):
    """A file to ingest goes beyond a configured limit (rows, columns, size, time)."""


class LengthRequired(InvalidInput):
    """An upload did not declare its size (Content-Length)."""


class SchemaMissing(ObservatoryError):
    """The database has no schema, or an older one: the migrations have not been applied."""


UNDEFINED_TABLE = "42P01"
"""SQLSTATE of a query on a table that does not exist."""


def causes(error: BaseException) -> Iterator[BaseException]:
    """`error`, then what caused it (SQLAlchemy's `orig`, `raise ... from`, or the context)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__


def schema_missing(error: BaseException) -> SchemaMissing | None:
    """`SchemaMissing` when `error` comes from a query on a missing table, else None.

    The table error may be wrapped: by SQLAlchemy, or by pandas when it runs the query.
    """
    for cause in causes(error):
        if getattr(cause, "sqlstate", None) == UNDEFINED_TABLE:
            reason = str(cause).splitlines()[0]
            return SchemaMissing(
                "schema del database assente o non aggiornato / database schema missing or out "
                f"of date ({reason}): run `observatory db upgrade` (or `make migrate`)"
            )
    return None
