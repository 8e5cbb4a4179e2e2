"""Comune names as people write them, matched to ISTAT comuni of the loaded geography.

Matching is accent, case and apostrophe insensitive; "S.", "San", "Santo", "Santa" and
"Sant'" are one token and particles ("di", "de'", "dei"...) are ignored, so that
"S. Giuseppe Vesuviano", "Reggio Calabria" and "Sant'Agata dei Goti" match exactly; other
spellings match fuzzily above a threshold. Homonyms are told apart by province or CAP.
Names and codes a comune had in the past (ANPR archive, `ingest/history.py`) resolve to
the comune valid today; a comune of Italy outside the loaded regions is said to be so.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

from rapidfuzz import fuzz, process
from sqlalchemy import text
from sqlalchemy.orm import Session

from ingest.history import Archive, Period, Resolution, archive, cap_fits, code_label, postcodes
from observatory.text import fold

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
_ACCENTS = str.maketrans({"à": "a'", "è": "e'", "é": "e'", "ì": "i'", "ò": "o'", "ù": "u'"})


def name_key(name: str) -> str:
    """'Sant'Agata de' Goti' -> 's agata goti': the form comuni are compared in."""
    ascii_name = fold(name.lower())
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


def spelling(name: str) -> str:
    """'Paternò' and "PATERNO'" -> "paterno'": accents as registries type them in capitals."""
    return unicodedata.normalize("NFC", name.strip().lower()).translate(_ACCENTS)


def compact_key(name: str) -> str:
    """'SAN REMO', 'Sanremo' -> 'sanremo': letters and digits only, for names run together."""
    ascii_name = fold(name.lower())
    return _NON_ALNUM.sub("", ascii_name)


@cache
def history_keys(compact: bool = False) -> dict[str, list[Period]]:
    """Keyed names of every comune of Italy through history, or run together (read once)."""
    keyer = compact_key if compact else name_key
    keys: dict[str, list[Period]] = {}
    for name, period in archive().names():
        keys.setdefault(keyer(name), []).append(period)
    return keys


@dataclass(frozen=True)
class ComuneMatch:
    """The outcome of matching a stated comune: the comune, or why not and the closest names.

    `how`: exact, fuzzy, history (a former name or code) or code; `change` names the
    rename or merger when the comune was found through history; `problem`: ambiguous,
    not_found, outside_geography, ceased or unknown_code, said in `message`.
    """

    comune: Comune | None
    how: str = "exact"
    problem: str | None = None
    suggestions: tuple[str, ...] = ()
    change: str | None = None
    message: str | None = None


@dataclass
class Gazetteer:
    """Every comune of the loaded geography, indexed for matching."""

    comuni: dict[int, Comune]
    provinces: dict[str, str]
    archive: Archive = field(default_factory=archive)
    postcodes: dict[int, frozenset[str]] = field(default_factory=postcodes)
    by_key: dict[str, list[Comune]] = field(init=False)
    keys_by_province: dict[str, list[str]] = field(init=False)
    _memo: dict[tuple[str, str, str], ComuneMatch] = field(init=False, default_factory=dict)
    _regions: list[str] = field(init=False, default_factory=list)

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

    def is_comune(self, name: str) -> bool:
        """True when `name` is, or was, the name of a comune of Italy (exactly, as keyed)."""
        key = name_key(name)
        return key in self.by_key or key in history_keys()

    def postcode_fits(self, comune: Comune, postcode: str) -> bool:
        """False only when the comune's CAPs are known and `postcode` is not one of them."""
        caps = self.postcodes.get(comune.code)
        return not caps or cap_fits(postcode, caps)

    def caps_of(self, comune: Comune) -> str:
        """'80121–80147 (25 CAP)', '85050': the comune's CAPs, for messages."""
        caps = sorted(self.postcodes.get(comune.code, ()))
        return f"{caps[0]}–{caps[-1]} ({len(caps)} CAP)" if len(caps) > 1 else "".join(caps)

    def match(self, name: str, province: str = "", postcode: str = "") -> ComuneMatch:
        """Match a stated comune, using province or CAP to choose between homonyms."""
        memo_key = (name, province, postcode)
        if memo_key not in self._memo:
            short = self.province(province, postcode)
            fuzzy = short is not None or not province
            sigla = province.strip().upper()
            elsewhere = sigla if short is None and sigla in self.archive.provinces else None
            self._memo[memo_key] = self._match(name, short or elsewhere, fuzzy, postcode)
        return self._memo[memo_key]

    def _match(
        self, name: str, province: str | None, fuzzy: bool, postcode: str = ""
    ) -> ComuneMatch:
        """Exact key, else a past name or one outside the loaded regions, else the closest."""
        key = name_key(name)
        candidates = self.by_key.get(key, [])
        how = "exact"
        if not candidates:
            found = self._history(name, key, province, postcode)
            if found is not None:
                return found
        if not candidates and fuzzy:
            pool, cutoff = list(self.by_key), FUZZY_THRESHOLD
            if province:
                pool, cutoff = self.keys_by_province.get(province, []), PROVINCE_FUZZY_THRESHOLD
            found_key = process.extractOne(key, pool, scorer=fuzz.ratio, score_cutoff=cutoff)
            if found_key:
                candidates, how = self.by_key[found_key[0]], "fuzzy"
        if province and len(candidates) > 1:
            candidates = [c for c in candidates if c.province == province] or candidates
        if postcode and len(candidates) > 1:
            candidates = [c for c in candidates if self._has_cap(c, postcode)] or candidates
        if len(candidates) > 1:  # 'Paternò' (CT) and 'Paterno' (PZ) differ by the accent only
            written = spelling(name)
            candidates = [c for c in candidates if spelling(c.name) == written] or candidates
        if len(candidates) == 1:
            return ComuneMatch(candidates[0], how)
        if candidates:
            labels = tuple(sorted(c.label for c in candidates))
            return ComuneMatch(None, problem="ambiguous", suggestions=labels)
        return ComuneMatch(None, problem="not_found", suggestions=self.closest(key))

    def _has_cap(self, comune: Comune, postcode: str) -> bool:
        caps = self.postcodes.get(comune.code)
        return bool(caps) and cap_fits(postcode, caps)

    def _history(
        self, name: str, key: str, province: str | None, postcode: str
    ) -> ComuneMatch | None:
        """A name no loaded comune has today: a past or second-language name, or elsewhere."""
        found: dict[str, Resolution] = {}
        provinces: dict[str, set[str]] = {}  # the provinces each comune of today had
        ceased: list[str] = []
        ceased_outside: list[str] = []
        periods = history_keys().get(key) or history_keys(compact=True).get(compact_key(name), [])
        for period in periods:
            resolution = self.archive.resolve(period)
            current = resolution.current
            if current is None:
                said = resolution.change or f"{period.name} ceased on {period.end}"
                if period.region_name in self.loaded_regions():
                    ceased.append(said)
                else:
                    ceased_outside.append(f"{said}, in {period.region_name}")
                continue
            if current.cadastral not in found or resolution.change is None:
                found[current.cadastral] = resolution
            provinces.setdefault(current.cadastral, {current.province}).add(period.province)
        choices = list(found.items())
        if province:
            choices = [(cad, r) for cad, r in choices if province in provinces[cad]]
            if not choices and province in self.keys_by_province:
                return None  # a loaded province: its closest name is tried next
        if postcode and len(choices) > 1:
            choices = [
                (cadastral, r) for cadastral, r in choices
                if r.current and cap_fits(postcode, self.postcodes.get(r.current.code, frozenset()))
            ] or choices
        if len(choices) > 1:
            labels = tuple(sorted(self._label(r.current) for _, r in choices if r.current))
            return ComuneMatch(None, problem="ambiguous", suggestions=labels)
        if choices:
            return self._resolved(repr(name), choices[0][1])
        if ceased and not province:
            return ComuneMatch(None, problem="ceased", message="; ".join(sorted(set(ceased))))
        if ceased_outside and not province:
            return ComuneMatch(
                None, problem="outside_geography",
                message=f"{'; '.join(sorted(set(ceased_outside)))}: outside the regions "
                f"loaded ({', '.join(self.loaded_regions())})",
            )
        return None

    def _label(self, period: Period) -> str:
        comune = self.comuni.get(period.code)
        return comune.label if comune else f"{period.name} ({period.province})"

    def _resolved(self, written: str, resolution: Resolution, how: str = "history") -> ComuneMatch:
        """The loaded comune of a resolution, or why it has none (ceased, outside)."""
        current = resolution.current
        if current is None:
            return ComuneMatch(None, problem="ceased", message=resolution.change)
        comune = self.comuni.get(current.code)
        if comune is not None:
            kind = how if resolution.change or how == "code" else "exact"
            return ComuneMatch(comune, kind, change=resolution.change)
        change = f" ({resolution.change})" if resolution.change else ""
        return ComuneMatch(
            None, problem="outside_geography",
            message=f"{written} is {current.name} ({current.province}), a comune of "
            f"{current.region_name}{change}, outside the regions loaded: "
            f"{', '.join(self.loaded_regions())}",
        )

    def loaded_regions(self) -> list[str]:
        """Names of the regions the loaded comuni belong to."""
        if not self._regions:
            self._regions = sorted({
                p.region_name for code in self.comuni
                for p in self.archive.by_code.get(code, []) if p.active
            }) or ["none"]
        return self._regions

    def match_code(self, code: int | str) -> ComuneMatch:
        """The comune of an ISTAT code (int) or cadastral code (str), today's or a former one."""
        found = (
            self.archive.by_istat(code) if isinstance(code, int)
            else self.archive.by_cadastral_code(code)
        )
        kind = "ISTAT" if isinstance(code, int) else "cadastral"
        if found is None:
            if isinstance(code, int) and code in self.comuni:
                return ComuneMatch(self.comuni[code], "code")
            return ComuneMatch(
                None, problem="unknown_code",
                message=f"no comune of Italy has or had the {kind} code {code_label(code)}",
            )
        return self._resolved(f"{kind} code {code_label(code)}", found, how="code")

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
