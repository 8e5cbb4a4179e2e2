"""Packed addresses: street, number, CAP, comune and province written in one field, split.

Shapes seen in real registries: 'via Lancia di Brolo n.10 bis - 90145 - PALERMO - PA',
'Piazza Garibaldi 1, 80142 Napoli (NA)', 'C.so Umberto I, 12 - Bari', "95047 - PATERNO' - CT".
From the end: a province (in brackets, or after a separator, or in capitals), a CAP and
the comune after it; without a CAP, a last segment that is the name of a comune.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

_SEPARATORS = " ,;-–—/"
_PROVINCE = re.compile(
    r"(?:\((?P<paren>[A-Za-z]{2})\)|[,;\-–—/]\s*(?P<marked>[A-Za-z]{2})|\s(?P<caps>[A-Z]{2}))\s*$"
)
_CAP = re.compile(r"(?<![\d.,/])(\d{5})(?!\d)")
_BETWEEN = (" - ", " – ", " — ", ",", ";", " / ")
MAX_COMUNE_CHARS = 60


@dataclass(frozen=True)
class Packed:
    """The parts of a packed address ('' when absent)."""

    street: str
    postcode: str
    comune: str
    province: str


def _strip(text: str) -> str:
    return text.strip(_SEPARATORS)


def _province(text: str, provinces: Collection[str]) -> tuple[str, str, bool]:
    """Split a trailing province: ('via Roma 1 - 80142 Napoli', 'NA', strong), else (text, '')."""
    found = _PROVINCE.search(text)
    if not found or found.start() == 0:
        return text, "", False
    sigla = (found.group("paren") or found.group("marked") or found.group("caps")).upper()
    if sigla not in provinces:
        return text, "", False
    return text[: found.start()].rstrip(_SEPARATORS), sigla, found.group("caps") is None


def split_address(
    text: str, provinces: Collection[str], is_comune: Callable[[str], bool]
) -> Packed | None:
    """Split a packed address; None when it holds only a street (nothing to split)."""
    rest, province, marked = _province(text.strip(), provinces)
    caps = list(_CAP.finditer(rest))
    street, postcode, comune = rest, "", ""
    if caps:
        cap = caps[-1]
        after = _strip(rest[cap.end():])
        if after and (after.isdigit() or len(after) > MAX_COMUNE_CHARS):
            return None  # digits or prose after the 5 digits: not a CAP
        postcode, comune, street = cap.group(1), after, _strip(rest[: cap.start()])
    if not comune:
        cut = max(street.rfind(between) for between in _BETWEEN)
        if cut > 0 and is_comune(_strip(street[cut:])):
            comune, street = _strip(street[cut:]), _strip(street[:cut])
        elif not postcode and province and is_comune(street):
            comune, street = street, ""  # 'PATERNO - CT'
    if not (postcode or comune or province and marked):
        return None  # 'VIA PO': a bare capital pair is a province only next to a CAP or comune
    return Packed(street, postcode, comune, province)
