"""Every comune of Italy through history (the vendored ANPR archive) and the CAP of each.

A name, ISTAT code or cadastral (Belfiore) code that a comune had at any time resolves to
the comune valid today: a rename keeps the cadastral code; a merger or suppression ends a
comune the day before its successor in the same province starts. Both tables are read once
per process (about 0.1 s) and shared by every gazetteer.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
ARCHIVE_CSV = DATA / "anpr_comuni_history" / "ANPR_archivio_comuni.csv"
POSTCODES_CSV = DATA / "postcodes" / "comuni_cap.csv"
REGIONS = {
    1: "Piemonte", 2: "Valle d'Aosta", 3: "Lombardia", 4: "Trentino-Alto Adige", 5: "Veneto",
    6: "Friuli-Venezia Giulia", 7: "Liguria", 8: "Emilia-Romagna", 9: "Toscana", 10: "Umbria",
    11: "Marche", 12: "Lazio", 13: "Abruzzo", 14: "Molise", 15: "Campania", 16: "Puglia",
    17: "Basilicata", 18: "Calabria", 19: "Sicilia", 20: "Sardegna",
    0: "ex territori italiani / former Italian territories",
}
"""ISTAT region codes (the archive's IDREGIONE; 'EX' -> 0) -> region names."""
_CADASTRAL = re.compile(r"[A-Za-z]\d{3}")
_WORDS = re.compile(r"[^A-Z0-9]+")


def comune_code(text: str) -> int | str | None:
    """'061002', '61002', '61002.0' -> 61002 (ISTAT); 'h047' -> 'H047' (cadastral); else None."""
    value = text.strip()
    if value.endswith(".0"):
        value = value[:-2]
    if value.isdigit() and 4 <= len(value) <= 6:
        return int(value)
    if _CADASTRAL.fullmatch(value):
        return value.upper()
    return None


def code_label(code: int | str) -> str:
    """An ISTAT code with its leading zeros (61002 -> '061002'); a cadastral code as is."""
    return f"{code:06d}" if isinstance(code, int) else code


@dataclass(frozen=True)
class Period:
    """One row of the archive: a comune under one name, code and province, from start to end."""

    code: int
    cadastral: str
    name: str
    spelled: str
    other_name: str
    region: int
    province: str
    start: str
    end: str
    active: bool

    @property
    def region_name(self) -> str:
        """'Lazio'."""
        return REGIONS.get(self.region, f"region {self.region:02d}")


@dataclass(frozen=True)
class Resolution:
    """Where a past or present comune is today; `change` says how it got there (None: same)."""

    current: Period | None
    change: str | None = None


def _next_day(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def _tokens(name: str) -> set[str]:
    return {w for w in _WORDS.split(name.upper()) if len(w) >= 4}


@dataclass
class Archive:
    """The ANPR archive indexed by cadastral code, ISTAT code and (keyed) name."""

    periods: list[Period]
    by_cadastral: dict[str, list[Period]] = field(init=False)
    by_code: dict[int, list[Period]] = field(init=False)
    provinces: set[str] = field(init=False)
    _starting: dict[tuple[str, str], list[Period]] = field(init=False)
    _resolved: dict[str, Resolution] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.by_cadastral, self.by_code = defaultdict(list), defaultdict(list)
        self._starting = defaultdict(list)
        for period in self.periods:
            self.by_cadastral[period.cadastral].append(period)
            self.by_code[period.code].append(period)
            self._starting[(period.province, period.start)].append(period)
        for periods in self.by_cadastral.values():
            periods.sort(key=lambda p: p.start)
        self.provinces = {p.province for p in self.periods}

    def names(self) -> list[tuple[str, Period]]:
        """Every name a comune had or has, in Italian, transliterated or second language."""
        return [
            (name, period)
            for period in self.periods
            for name in {period.name, period.spelled, period.other_name}
            if name
        ]

    def lineage_end(self, cadastral: str) -> Resolution:
        """The comune valid today for a cadastral code, following mergers (memoised)."""
        if cadastral not in self._resolved:
            self._resolved[cadastral] = Resolution(None)  # guards against a loop
            self._resolved[cadastral] = self._follow(cadastral)
        return self._resolved[cadastral]

    def _follow(self, cadastral: str) -> Resolution:
        periods = self.by_cadastral.get(cadastral, [])
        if not periods:
            return Resolution(None)
        last = periods[-1]
        if last.active:
            return Resolution(last)
        day = _next_day(last.end)
        starting = [p for p in self._starting[(last.province, day)] if p.cadastral != cadastral]
        if len(starting) > 1:  # several comuni started that day: the one sharing a word
            starting = [p for p in starting if _tokens(p.name) & _tokens(last.name)] or starting
        heirs = {r.current.cadastral: r for p in starting if (r := self.lineage_end(p.cadastral))
                 .current is not None}
        if len(heirs) != 1:
            return Resolution(
                None, f"{last.name} ({last.province}) ceased on {last.end} and the archive "
                "does not say which comune took it over",
            )
        heir = next(iter(heirs.values()))
        assert heir.current is not None
        return Resolution(
            heir.current, f"{last.name} ({last.province}) was merged into "
            f"{heir.current.name} on {day}",
        )

    def resolve(self, period: Period) -> Resolution:
        """Where `period`'s comune is today, and the change when its name is not today's."""
        end = self.lineage_end(period.cadastral)
        if end.current is None or end.current.cadastral != period.cadastral:
            return end
        current = end.current
        if period.active or period.name == current.name:
            return Resolution(current)
        renamed = next(
            p for p in self.by_cadastral[period.cadastral]
            if p.start > period.end and p.name != period.name
        )
        return Resolution(
            current, f"{period.name} ({period.province}) was renamed {renamed.name} on "
            f"{renamed.start}",
        )

    def by_istat(self, code: int) -> Resolution | None:
        """The comune today of an ISTAT code (today's, else the latest comune that had it)."""
        periods = self.by_code.get(code)
        if not periods:
            return None
        period = max(periods, key=lambda p: (p.active, p.end))
        resolution = self.resolve(period)
        current = resolution.current
        if resolution.change is None and current is not None and current.code != code:
            change = (
                f"{code:06d} is the former ISTAT code of {period.name} ({period.province}), "
                f"today {current.code:06d}"
            )
            return Resolution(current, change)
        return resolution

    def by_cadastral_code(self, cadastral: str) -> Resolution | None:
        """The comune today of a cadastral code, with the change when it ceased."""
        periods = self.by_cadastral.get(cadastral)
        return self.resolve(periods[-1]) if periods else None


def _period(row: dict[str, str]) -> Period:
    return Period(
        code=int(row["CODISTAT"]),
        cadastral=row["CODCATASTALE"],
        name=row["DENOMINAZIONE_IT"],
        spelled=row["DENOMTRASLITTERATA"],
        other_name=row["ALTRADENOMINAZIONE"],
        region=int(row["IDREGIONE"]) if row["IDREGIONE"].isdigit() else 0,
        province=row["SIGLAPROVINCIA"],
        start=row["DATAISTITUZIONE"],
        end=row["DATACESSAZIONE"],
        active=row["STATO"] == "A",
    )


@cache
def archive() -> Archive:
    """The ANPR archive of comuni, read once per process."""
    with ARCHIVE_CSV.open(encoding="utf-8-sig", newline="") as handle:
        return Archive([_period(row) for row in csv.DictReader(handle)])


@cache
def postcodes() -> dict[int, frozenset[str]]:
    """ISTAT code of today's comune -> its CAPs (Napoli 25, Palermo 24, Bari 11), read once."""
    found: dict[int, set[str]] = defaultdict(set)
    with POSTCODES_CSV.open(encoding="ascii", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            code, cap = row["codice_istat"].strip(), row["cap"].strip()
            if code.isdigit() and len(cap) == 5 and cap.isdigit():
                found[int(code)].add(cap)
    return {code: frozenset(caps) for code, caps in found.items()}


def cap_fits(cap: str, caps: frozenset[str]) -> bool:
    """True when `cap` is one of `caps`, or the city-wide CAP (80100) of a multi-CAP city."""
    if cap in caps:
        return True
    return len(caps) > 1 and cap.endswith("100") and any(c[:3] == cap[:3] for c in caps)
