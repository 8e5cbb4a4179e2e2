"""Dates as people write them in Italian and English sheets: '14/03/2025', '14 marzo 2025'."""

from __future__ import annotations

import re
from datetime import date

from observatory.text import slugify

MONTHS = {
    "gennaio": 1, "gen": 1, "january": 1, "jan": 1,
    "febbraio": 2, "feb": 2, "february": 2,
    "marzo": 3, "mar": 3, "march": 3,
    "aprile": 4, "apr": 4, "april": 4,
    "maggio": 5, "mag": 5, "may": 5,
    "giugno": 6, "giu": 6, "june": 6, "jun": 6,
    "luglio": 7, "lug": 7, "july": 7, "jul": 7,
    "agosto": 8, "ago": 8, "august": 8, "aug": 8,
    "settembre": 9, "set": 9, "sett": 9, "september": 9, "sep": 9, "sept": 9,
    "ottobre": 10, "ott": 10, "october": 10, "oct": 10,
    "novembre": 11, "nov": 11, "november": 11,
    "dicembre": 12, "dic": 12, "december": 12, "dec": 12,
}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ][\d:.+\-z]*)?$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:\s+[\d:.]+)?$")
_WORDS = re.compile(r"^(?:(\d{1,2})o? )?([a-z]+) (\d{4})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")


def _year(text: str) -> int:
    """A four-digit year, or a two-digit one in this century ('25' -> 2025)."""
    year = int(text)
    return year + 2000 if year < 100 else year


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str) -> date | None:
    """A calendar date, or None when `text` is none.

    Day first, as in Italy: '14/03/2025', '14-3-25', '14.03.2025'; ISO '2025-03-14' (also
    with a time, as a workbook's date cell reads); '14 marzo 2025', '1° mar. 2025',
    'March 2025' and '03/2025' (the first of the month).
    """
    value = " ".join(text.strip().lower().split())
    if not value:
        return None
    if match := _ISO.match(value):
        return _date(int(match[1]), int(match[2]), int(match[3]))
    if match := _NUMERIC.match(value):
        return _date(_year(match[3]), int(match[2]), int(match[1]))
    if match := _MONTH_YEAR.match(value):
        return _date(int(match[2]), int(match[1]), 1)
    if match := _WORDS.match(slugify(value).replace("-", " ")):  # '1° mar.' -> '1 mar'

        month = MONTHS.get(match[2])
        if month is None:
            return None
        return _date(int(match[3]), month, int(match[1] or 1))
    return None
