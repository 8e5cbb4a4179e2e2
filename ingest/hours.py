"""Opening hours as people write them ("lun-ven 9-13", "mar e gio 15:00-17:30") -> a schedule.

The schedule follows Open Referral HSDS: one entry per group of days and time range,
`{"byday": "MO,TU", "opens_at": "09:00", "closes_at": "13:00"}`.
"""

from __future__ import annotations

import functools
import re

from observatory.text import fold

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_WORDS = {
    "MO": "lun lunedi mon monday",
    "TU": "mar martedi tue tues tuesday",
    "WE": "mer merc mercoledi wed wednesday",
    "TH": "gio giov giovedi thu thur thurs thursday",
    "FR": "ven venerdi fri friday",
    "SA": "sab sabato sat saturday",
    "SU": "dom domenica sun sunday",
}
_DAY = {word: day for day, words in _DAY_WORDS.items() for word in words.split()}
_TIME = r"(\d{1,2})(?:[:.](\d{2}))?"
_TOKEN = re.compile(
    rf"(?P<range>(?:dalle\s+)?{_TIME}\s*(?:-|alle|to)\s*{_TIME})"
    r"|(?P<word>[a-z]+)|(?P<dash>-)|(?P<sep>[,;/&+]|\s+)"
)
_FILLERS = {"e", "and", "ore", "h", "dalle", "il", "la", "dal", "al", "from"}


def _clock(hours: str, minutes: str | None) -> str | None:
    hour, minute = int(hours), int(minutes or 0)
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        return None
    return f"{hour:02d}:{minute:02d}"


def _tokens(text: str) -> list[tuple[str, object]] | None:
    """Days, day-range dashes and time ranges; None when something else is written."""
    text = _fold(text)
    tokens: list[tuple[str, object]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            return None
        position = match.end()
        if match["range"]:
            opens = _clock(match.group(2), match.group(3))
            closes = _clock(match.group(4), match.group(5))
            if opens is None or closes is None or opens >= closes:
                return None
            tokens.append(("range", (opens, closes)))
        elif match["word"]:
            word = match["word"]
            if word in _DAY:
                tokens.append(("day", _DAY[word]))
            elif word not in _FILLERS:
                return None
        elif match["dash"]:
            tokens.append(("dash", None))
    return tokens


def _fold(text: str) -> str:
    """Lower case, accents removed, keeping digits and punctuation."""
    return fold(text.lower().replace("–", "-").replace("—", "-")).strip()


def parse_hours(text: str) -> list[dict[str, str]] | None:
    """The schedule written in `text`, or None when it does not parse."""
    groups = _parse(text)
    if groups is None:
        return None
    return [{"byday": d, "opens_at": o, "closes_at": c} for d, o, c in groups]


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[tuple[str, str, str], ...] | None:
    """(days, opens, closes) groups of `text`; cached, since sheets repeat the same hours."""
    tokens = _tokens(text)
    if not tokens:
        return None
    schedule: list[tuple[str, str, str]] = []
    days: list[str] = []
    ranges_seen = False
    pending_dash = False
    for kind, value in tokens:
        if kind == "day":
            if ranges_seen:
                days, ranges_seen = [], False
            if pending_dash and days:
                start, end = DAYS.index(days[-1]), DAYS.index(value)
                if end < start:
                    return None
                days.extend(DAYS[start + 1 : end + 1])
            elif value not in days:
                days.append(value)
            pending_dash = False
        elif kind == "dash":
            if not days or ranges_seen:
                return None
            pending_dash = True
        else:
            if not days or pending_dash:
                return None
            opens, closes = value
            schedule.append((",".join(days), opens, closes))
            ranges_seen = True
    if not schedule or not ranges_seen:
        return None
    return tuple(schedule)
