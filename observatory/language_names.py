"""Language names from CLDR (Babel), in the reader's language."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError


@lru_cache(maxsize=64)
def _names(locale: str) -> dict[str, str]:
    """CLDR's language names in `locale` (Italian when the locale is unknown)."""
    try:
        return dict(Locale.parse(locale.replace("-", "_")).languages)
    except (UnknownLocaleError, ValueError):
        return dict(Locale("it").languages)


def language_name(code: str, locale: str = "it") -> str:
    """The name of language `code` (ISO 639) in `locale`: ('sq', 'it') -> 'albanese'.

    The code itself when CLDR has no name for it.
    """
    return _names(locale).get(code.lower(), code)
