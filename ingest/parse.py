"""Small parsers for the values people type: numbers, yes/no, contacts, taxonomy attributes."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from observatory.taxonomy import read_attributes
from observatory.text import slugify

_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")
_YES = {"si", "s", "yes", "y", "true", "vero", "1", "x"}
_NO = {"no", "n", "false", "falso", "0"}

# Phrases people use that are not the taxonomy's own labels (keys are slugs).
_ATTRIBUTE_PHRASES = {
    "target_groups": {
        "regolari": "regular", "regolarmente-soggiornanti": "regular",
        "permesso-di-soggiorno": "regular", "stranieri-regolari": "regular",
        "richiedenti": "asylum_seekers", "richiedenti-protezione": "asylum_seekers",
        "asylum": "asylum_seekers", "rifugiati": "protection_holders",
        "refugees": "protection_holders", "protezione-internazionale": "protection_holders",
        "beneficiari-di-protezione": "protection_holders",
        "titolari-protezione": "protection_holders",
        "msna": "unaccompanied_minors", "minori-non-accompagnati": "unaccompanied_minors",
        "minori": "unaccompanied_minors",
    },
    "access_modes": {
        "libero": "walk_in", "accesso-diretto": "walk_in", "senza-appuntamento": "walk_in",
        "walk-in": "walk_in", "appuntamento": "appointment", "prenotazione": "appointment",
        "su-prenotazione": "appointment", "by-appointment": "appointment",
        "invio": "referral", "su-invio-dei-servizi": "referral", "on-line": "online",
        "telematico": "online",
    },
}
_SPLIT = re.compile(r"\s*(?:[,;/+|]|\be\b|\band\b|\bo\b|\bor\b)\s*")


def detect_decimal(values: list[str]) -> str:
    """',' when any coordinate-like value is written with a decimal comma, else '.'."""
    return "," if any(_DECIMAL_COMMA.match(v) for v in values if v) else "."


def parse_number(text: str, decimal: str = ".") -> float | None:
    """'40,85' (decimal ',') or '40.85' -> float; None when it is not a number."""
    text = text.strip().replace(" ", "").replace("\u00a0", "")
    if decimal == ",":
        text = text.replace(".", "").replace(",", ".") if "," in text else text
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


@functools.lru_cache(maxsize=1024)
def parse_bool(text: str) -> bool | None:
    """'sì', 'yes', 'x', '1' -> True; 'no', '0' -> False; anything else -> None."""
    key = slugify(text).split("-", 1)[0]
    if key in _YES:
        return True
    if key in _NO:
        return False
    return None





Lookup = tuple[tuple[str, str], ...]


def attribute_lookup(taxonomy_file: Path, attribute: str) -> Lookup:
    """(slug, code) pairs, longest slug first, from the taxonomy's codes, labels and phrases."""
    definition: dict[str, Any] = read_attributes(taxonomy_file).get(attribute) or {}
    lookup = dict(_ATTRIBUTE_PHRASES.get(attribute, {}))
    for value in definition.get("values") or []:
        for label in (value["code"], value.get("it", ""), value.get("en", "")):
            if label:
                lookup[slugify(label)] = value["code"]
    return tuple(sorted(lookup.items(), key=lambda pair: -len(pair[0])))


@functools.lru_cache(maxsize=8192)
def parse_codes(text: str, lookup: Lookup) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split a free-text list and map each part to a code: (codes, parts not understood).

    A part matches a slug exactly, else contains one of at least 5 letters (longest first).
    """
    exact = dict(lookup)
    codes: list[str] = []
    unknown: list[str] = []
    for part in _SPLIT.split(text):
        key = slugify(part)
        if not key:
            continue
        code = exact.get(key) or next((c for k, c in lookup if len(k) >= 5 and k in key), None)
        if code is None:
            unknown.append(part.strip())
        elif code not in codes:
            codes.append(code)
    return tuple(codes), tuple(unknown)
