"""The finder's languages: gettext catalogs (.po files) read at run time, CLDR names and dates.

Italian is the reference: message ids are the Italian text, and `it/messages.po` repeats them
so a translator sees every string in one place. The catalogs live in observatory/locale and are
compiled in memory (no binary .mo file is kept in the repository).
"""

from __future__ import annotations

import functools
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date, get_day_names
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

import observatory
from observatory.errors import InvalidInput
from observatory.language_names import language_name

LANGUAGES = ("it", "en", "fr", "ar", "ro", "sq", "uk", "zh")
"""The interface languages, Italian (the reference) first."""
RIGHT_TO_LEFT = frozenset({"ar"})
LOCALE_DIR = Path(observatory.__file__).resolve().parent / "locale"
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@functools.cache
def _locale(lang: str) -> Locale:
    """The CLDR locale of an interface language (parsed once)."""
    return Locale.parse(lang)


def catalog_path(lang: str) -> Path:
    """The .po file a translator edits for `lang`."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"


@functools.cache
def translations(lang: str) -> Translations:
    """The catalog of `lang`, compiled in memory from its .po file (fuzzy entries left out)."""
    with catalog_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled)


def parse_accept_language(header: str) -> list[str]:
    """Language tags of an Accept-Language header, most wanted first (q=0 left out)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip().lower()))
    return [tag for _, _, tag in sorted(weighted)]


def choose_language(asked: str | None, accept_language: str | None) -> str:
    """`?lang=` when given (400 when it is not one of LANGUAGES), else Accept-Language, else it."""
    if asked is not None:
        code = asked.strip().lower()
        if code not in LANGUAGES:
            raise InvalidInput(
                f"unknown lang {asked!r}: choose one of {', '.join(LANGUAGES)}"
            )
        return code
    for tag in parse_accept_language(accept_language or ""):
        primary = tag.replace("_", "-").split("-")[0]
        if primary in LANGUAGES:
            return primary
    return "it"


def direction(lang: str) -> str:
    """'rtl' for Arabic, else 'ltr'."""
    return "rtl" if lang in RIGHT_TO_LEFT else "ltr"


def autonym(lang: str) -> str:
    """The language's name in itself, from CLDR ('العربية', 'shqip', '中文')."""
    return language_name(lang, lang)


def languages_by_name(codes: list[str] | None, lang: str) -> list[str]:
    """Service language codes as names in the page's language (CLDR)."""
    return [language_name(code, lang) for code in codes or []]


def _day_ranges(days: list[str]) -> list[tuple[str, str]]:
    """Consecutive runs of days: ['MO','TU','WE','FR'] -> [('MO','WE'), ('FR','FR')]."""
    indices = sorted({DAYS.index(day) for day in days if day in DAYS})
    runs: list[tuple[str, str]] = []
    for index in indices:
        if runs and DAYS.index(runs[-1][1]) == index - 1:
            runs[-1] = (runs[-1][0], DAYS[index])
        else:
            runs.append((DAYS[index], DAYS[index]))
    return runs


def schedule_in_words(
    schedule: list[dict[str, str]] | None, lang: str
) -> list[tuple[str, str]]:
    """An HSDS schedule in words, (days, hours) per entry: ('lunedì–mercoledì', '09:00–13:00').

    Hours stay left to right (the page shows them isolated), days in the reader's language.
    """
    if not schedule:
        return []
    names = get_day_names("wide", locale=_locale(lang))
    weekday = {day: names[index] for index, day in enumerate(DAYS)}
    lines = []
    for entry in schedule:
        days = [day.strip() for day in str(entry.get("byday") or "").split(",") if day.strip()]
        spans = []
        for first, last in _day_ranges(days):
            if first == last:
                spans.append(weekday[first])
            elif DAYS.index(last) == DAYS.index(first) + 1:
                spans.extend((weekday[first], weekday[last]))
            else:
                spans.append(f"{weekday[first]}–{weekday[last]}")
        hours = f"{entry.get('opens_at', '')}–{entry.get('closes_at', '')}"
        lines.append((format_list(spans, locale=_locale(lang)) if spans else "", hours))
    return lines


def listing(items: list[str], lang: str) -> str:
    """Items joined as the reader's language does (CLDR): 'arabo, albanese e ucraino'."""
    return format_list(list(items), locale=_locale(lang)) if items else ""


def date_in_words(moment: object, lang: str) -> str:
    """A date as people of `lang` write it (CLDR long format)."""
    return format_date(moment, format="long", locale=_locale(lang))  # type: ignore[arg-type]


def number(value: float | int | None, lang: str) -> str:
    """A number with the locale's grouping ('12.345' in Italian); '–' when unknown."""
    if value is None:
        return "–"
    return format_decimal(round(float(value)), locale=_locale(lang))


def kilometres(value: float, lang: str) -> str:
    """A distance in km with one decimal, in the locale's digits and separators."""
    return format_decimal(value, format="#,##0.0", locale=_locale(lang))
