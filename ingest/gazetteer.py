"""Comune names as people write them, matched to ISTAT comuni of the loaded geography.

Matching is accent, case and apostrophe insensitive; "S.", "San", "Santo", "Santa" and
"Sant'" are one token and particles ("di", "de'", "dei"...) are ignored, so that
"S. Giuseppe Vesuviano", "Reggio Calabria" and "Sant'Agata dei Goti" match exactly; other
spellings match fuzzily above a threshold. Homonyms are told apart by province or CAP.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import text
from sqlalchemy.orm import Session

FUZZY_THRESHOLD = 88  # fuzz.ratio over every comune; within the stated province:
PROVINCE_FUZZY_THRESHOLD = 82
_SAINTS = {"san", "santo", "santa", "sant", "s", "st", "ss", "santi", "sto", "sta"}
_PARTICLES = {"di", "de", "del", "dei", "degli", "della", "delle", "dello", "d", "in", "e"}
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# First digits of the CAP -> province abbreviation (the five regions; 3 digits win over 2).
CAP_PROVINCE = {
    "80": "NA", "81": "CE", "82": "BN", "83": "AV", "84": "SA", "70": "BA", "76": "BT",
    "71": "FG", "72": "BR", "73": "LE", "74": "TA", "75": "MT", "85": "PZ", "87": "CS",
    "88": "CZ", "889": "KR", "898": "VV", "899": "VV", "89": "RC", "90": "PA", "91": "TP",
    "92": "AG", "93": "CL", "94": "EN", "95": "CT", "96": "SR", "97": "RG", "98": "ME",
}
PROVINCE_ALIASES = {"BAT": "BT"}


def name_key(name: str) -> str:
    """'Sant'Agata de' Goti' -> 's agata goti': the form comuni are compared in."""
    ascii_name = unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode()
    words = _NON_ALNUM.sub(" ", ascii_name).split()
    return " ".join("s" if w in _SAINTS else w for w in words if w not in _PARTICLES)


@dataclass(frozen=True)
class Comune:
    """A comune of the loaded geography with its representative point and area."""

    code: int
    name: str
    province: str
    lon: float
    lat: float
    area: str | None

    @property
    def label(self) -> str:
        """'Barletta (BT)'."""
        return f"{self.name} ({self.province})"


@dataclass(frozen=True)
class ComuneMatch:
    """The outcome of matching a stated comune: the comune, or why not and the closest names."""

    comune: Comune | None
    how: str = "exact"
    problem: str | None = None
    suggestions: tuple[str, ...] = ()


@dataclass
class Gazetteer:
    """Every comune of the loaded geography, indexed for matching."""

    comuni: dict[int, Comune]
    provinces: dict[str, str]
    by_key: dict[str, list[Comune]] = field(init=False)
    keys_by_province: dict[str, list[str]] = field(init=False)
    _memo: dict[tuple[str, str, str], ComuneMatch] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.by_key = {}
        self.keys_by_province = {}
        for comune in self.comuni.values():
            key = name_key(comune.name)
            self.by_key.setdefault(key, []).append(comune)
            self.keys_by_province.setdefault(comune.province, []).append(key)

    def province(self, stated: str, postcode: str = "") -> str | None:
        """Province abbreviation from what is written ('NA', 'Napoli', 'BAT') or the CAP."""
        if stated:
            key = name_key(stated).upper().replace(" ", "")
            short = PROVINCE_ALIASES.get(key, key)
            found = self.provinces.get(short) or self.provinces.get(name_key(stated))
            if found:
                return found
        digits = postcode.strip()
        if len(digits) == 5 and digits.isdigit():
            return CAP_PROVINCE.get(digits[:3]) or CAP_PROVINCE.get(digits[:2])
        return None

    def match(self, name: str, province: str = "", postcode: str = "") -> ComuneMatch:
        """Match a stated comune, using province or CAP to choose between homonyms."""
        memo_key = (name, province, postcode)
        if memo_key not in self._memo:
            short = self.province(province, postcode)
            fuzzy = short is not None or not province
            self._memo[memo_key] = self._match(name, short, fuzzy)
        return self._memo[memo_key]

    def _match(self, name: str, province: str | None, fuzzy: bool) -> ComuneMatch:
        """Exact key, else (unless the stated province is not loaded) the closest key."""
        key = name_key(name)
        candidates = self.by_key.get(key, [])
        how = "exact"
        if not candidates and fuzzy:
            pool, cutoff = list(self.by_key), FUZZY_THRESHOLD
            if province:
                pool, cutoff = self.keys_by_province.get(province, []), PROVINCE_FUZZY_THRESHOLD
            found = process.extractOne(key, pool, scorer=fuzz.ratio, score_cutoff=cutoff)
            if found:
                candidates, how = self.by_key[found[0]], "fuzzy"
        if province and len(candidates) > 1:
            candidates = [c for c in candidates if c.province == province] or candidates
        if len(candidates) > 1:  # 'Paternò' (CT) and 'Paterno' (PZ) differ by the accent only
            written = name.strip().lower()
            candidates = [c for c in candidates if c.name.lower() == written] or candidates
        if len(candidates) == 1:
            return ComuneMatch(candidates[0], how)
        if candidates:
            labels = tuple(sorted(c.label for c in candidates))
            return ComuneMatch(None, problem="ambiguous", suggestions=labels)
        return ComuneMatch(None, problem="not_found", suggestions=self.closest(key))

    def closest(self, key: str, limit: int = 3) -> tuple[str, ...]:
        """The names closest to `key`, with their province."""
        found = process.extract(key, list(self.by_key), scorer=fuzz.WRatio, limit=limit)
        return tuple(c.label for k, _, _ in found for c in self.by_key[k])[:limit]


def load_gazetteer(session: Session) -> Gazetteer:
    """Read the comuni, provinces and areas of the loaded geography."""
    rows = session.execute(
        text(
            "SELECT m.code, m.name, p.short, ST_X(m.point), ST_Y(m.point), a.area_code "
            "FROM municipality m JOIN province p ON p.code = m.province_code "
            "LEFT JOIN area_municipality a ON a.municipality_code = m.code"
        )
    ).all()
    provinces = {}
    for short, name in session.execute(text("SELECT short, name FROM province")):
        provinces[short.upper()] = short.upper()
        provinces[name_key(name)] = short.upper()
    return Gazetteer({r[0]: Comune(*r) for r in rows}, provinces)
