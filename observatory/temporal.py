"""Time filters: the OGC API - Features `datetime` parameter and the `--as-of` of the CLI.

OGC API - Features Core (7.15.4): an instant (RFC 3339 date-time) or an interval `a/b`,
half-open `../b` or `a/..` (an empty end means open too). A date alone is that whole day in
Italy (Europe/Rome): as a start, the day's first instant; as an end, its last. A date-time
needs its offset (`Z`, `+01:00`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from observatory.errors import InvalidInput

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

ZONE = ZoneInfo("Europe/Rome")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}(:?\d{2})?)$"
)
OPEN = ("", "..")
EXAMPLES = "2025-03-14, 2025-03-14T10:00:00Z, 2025-01-01/2025-06-30, 2025-01-01/.., ../2025-06-30"


@dataclass(frozen=True)
class Interval:
    """A closed time interval [lo, hi]; None = unbounded. lo == hi: an instant."""

    lo: datetime | None
    hi: datetime | None

    @property
    def instant(self) -> datetime | None:
        """The instant when the interval is one, else None."""
        return self.lo if self.lo is not None and self.lo == self.hi else None

    def params(self) -> dict[str, datetime | None]:
        """Bind parameters of `service_public_as_of` / `service_public_during`."""
        return {"datetime_lo": self.lo, "datetime_hi": self.hi}


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    """The first and last instant (microsecond) of `day` in Italy."""
    start = datetime.combine(day, time(), ZONE)
    end = datetime.combine(day + timedelta(days=1), time(), ZONE) - timedelta(microseconds=1)
    return start, end


def _bounds(token: str, name: str) -> tuple[datetime, datetime]:
    """The first and last instant a date or date-time token stands for."""
    value = token.strip()
    # a '+' of an offset left unencoded in a URL arrives as a space
    value = re.sub(r"(T\d{2}:\d{2}:\d{2}(?:\.\d+)?) (\d{2}(?::?\d{2})?)$", r"\1+\2", value)
    try:
        if _DATE.match(value):
            return _day_bounds(date.fromisoformat(value))
        if _DATE_TIME.match(value):
            moment = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
            return moment, moment
    except ValueError:
        raise InvalidInput(f"{name} {token!r}: not a calendar date or time") from None
    if re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", value):
        raise InvalidInput(
            f"{name} {token!r}: a date-time needs its time zone (Z or +01:00), or give a date"
        )
    raise InvalidInput(
        f"{name} {token!r}: not an RFC 3339 date or date-time (e.g. {EXAMPLES})"
    )


def parse_datetime(text: str, name: str = "datetime") -> Interval:
    """The interval of an OGC `datetime` value; InvalidInput naming the bad part."""
    if text.count("/") > 1:
        raise InvalidInput(f"{name} {text!r}: an interval has one '/' (e.g. {EXAMPLES})")
    if "/" not in text:
        if text.strip() in OPEN:
            raise InvalidInput(f"{name} {text!r}: give a date, a date-time or an interval")
        lo, hi = _bounds(text, name)
        return Interval(lo, hi)
    start, end = text.split("/")
    if start.strip() in OPEN and end.strip() in OPEN:
        raise InvalidInput(f"{name} {text!r}: at least one end of the interval must be given")
    lo = None if start.strip() in OPEN else _bounds(start, name)[0]
    hi = None if end.strip() in OPEN else _bounds(end, name)[1]
    if lo is not None and hi is not None and lo > hi:
        raise InvalidInput(f"{name} {text!r}: the start is after the end")
    return Interval(lo, hi)


def parse_as_of(text: str, name: str = "as_of") -> datetime:
    """The instant of `--as-of` / `as_of`: a date-time, or the last instant of a date."""
    if "/" in text:
        raise InvalidInput(f"{name} {text!r}: give one date or date-time, not an interval")
    return _bounds(text, name)[1]


def canonical(moment: datetime) -> str:
    """The instant in UTC, ISO 8601 with Z: one spelling per instant (hashed parameters)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@contextmanager
def reading_history(session: Session) -> Iterator[None]:
    """Statements reading a whole instant of `service_version` use its GiST index on `valid`.

    One instant's versions lie together, but with few rounds (5: a fifth of the table) the
    planner costs the bitmap scan like a full scan and reads every version (3x slower); the
    hint holds until the block ends (inside the session's transaction).
    """
    from sqlalchemy import text

    session.execute(text("SET LOCAL enable_seqscan = off"))
    try:
        yield
    finally:
        session.execute(text("SET LOCAL enable_seqscan = on"))
