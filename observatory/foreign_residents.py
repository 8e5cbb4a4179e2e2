"""Foreign residents per comune, every year of the vendored ISTAT file (dataset 29_316, FJAN).

The file (data/istat_foreign_residents, "Fonte: ISTAT") has one row per comune and year
(1 January 2020-2025), and rows for Italy, NUTS regions and provinces. Each year is matched on
the comune codes of that year: a code that no longer exists in the loaded geography is
carried to its successor found in the ANPR archive of comuni (data/anpr_comuni_history); a
loaded comune with no row that year gets no population row (its demand is 0), and the load
says which.
"""

from __future__ import annotations

import csv
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory.db import copy_rows
from observatory.errors import InvalidInput
from observatory.settings import DATA_DIR

log = logging.getLogger(__name__)
FOREIGN_FILE = DATA_DIR / "istat_foreign_residents" / "istat_29_316_FJAN.csv"
ANPR_FILE = DATA_DIR / "anpr_comuni_history" / "ANPR_archivio_comuni.csv"
SOURCE = "ISTAT 29_316 FJAN, stranieri residenti al 1° gennaio (Fonte: ISTAT)"
CREDIT = "Stranieri residenti: ISTAT (dataset 29_316); codici storici: ANPR, CC-BY 4.0"
# NUTS 2 codes of the region rows, by ISTAT region code
NUTS_REGIONS = {
    1: "ITC1", 2: "ITC2", 3: "ITC4", 4: "ITH1", 5: "ITH3", 6: "ITH4", 7: "ITC3", 8: "ITH5",
    9: "ITI1", 10: "ITI2", 11: "ITI3", 12: "ITI4", 13: "ITF1", 14: "ITF2", 15: "ITF3",
    16: "ITF4", 17: "ITF5", 18: "ITF6", 19: "ITG1", 20: "ITG2",
}


@dataclass
class ForeignYear:
    """What one year's load stored and what it could not place."""

    year: int
    comuni: int
    total: int
    carried: dict[int, int] = field(default_factory=dict)  # old code -> successor
    without_row: list[int] = field(default_factory=list)
    unplaced: list[int] = field(default_factory=list)


def read_foreign_file(path: Path = FOREIGN_FILE) -> dict[int, dict[str, int]]:
    """Per year: persons per REF_AREA (6-digit comune codes, NUTS codes, 'IT') of the total sex."""
    values: dict[int, dict[str, int]] = defaultdict(dict)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                if row.get("SEX") != "9" or row.get("DATA_TYPE") != "FJAN":
                    continue
                year = int(row["TIME_PERIOD"][:4])
                values[year][row["REF_AREA"].strip()] = round(float(row["OBS_VALUE"]))
    except (OSError, KeyError, ValueError) as error:
        raise InvalidInput(f"{path}: not the ISTAT 29_316 FJAN layout ({error})") from error
    return dict(values)


def successors(known: set[int], path: Path = ANPR_FILE) -> dict[int, int]:
    """Ceased comune code -> the loaded comune that took it over (ANPR archive).

    The successor is the active comune with the same cadastral code (a new code), else the one
    of the same province instituted the day after the cessation, when exactly one is loaded.
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    active = [r for r in rows if r["DATACESSAZIONE"].startswith("9999")]
    by_cadastral = {r["CODCATASTALE"]: int(r["CODISTAT"]) for r in active}
    by_start: dict[tuple[str, str], set[int]] = defaultdict(set)
    for r in active:
        by_start[(r["SIGLAPROVINCIA"], r["DATAISTITUZIONE"])].add(int(r["CODISTAT"]))
    mapping: dict[int, int] = {}
    for r in rows:
        code = int(r["CODISTAT"])
        if r["STATO"] != "C" or code in known or r["DATACESSAZIONE"].startswith("9999"):
            continue
        same = by_cadastral.get(r["CODCATASTALE"])
        if same is not None and same != code and same in known:
            mapping[code] = same
            continue
        next_day = (date.fromisoformat(r["DATACESSAZIONE"]) + timedelta(days=1)).isoformat()
        found = by_start.get((r["SIGLAPROVINCIA"], next_day), set()) & known
        if len(found) == 1:
            mapping[code] = found.pop()
    return mapping


def place_year(
    figures: dict[str, int], known: set[int], provinces: set[int], carry: dict[int, int]
) -> tuple[dict[int, int], ForeignYear]:
    """One year's comune rows summed onto the loaded comuni (old codes carried over)."""
    placed: dict[int, int] = defaultdict(int)
    report = ForeignYear(year=0, comuni=0, total=0)
    for ref_area, value in figures.items():
        if len(ref_area) != 6 or not ref_area.isdigit():
            continue
        code = int(ref_area)
        if code // 1000 not in provinces and carry.get(code, -1) not in known:
            continue
        if code in known:
            placed[code] += value
        elif code in carry:
            placed[carry[code]] += value
            report.carried[code] = carry[code]
        else:
            report.unplaced.append(code)
    report.comuni, report.total = len(placed), sum(placed.values())
    report.without_row = sorted(known - set(placed))
    return dict(placed), report


def store_foreign_residents(session: Session, path: Path = FOREIGN_FILE) -> list[ForeignYear]:
    """Replace the foreign residents of every year in `path` for the loaded comuni."""
    known = set(session.execute(text("SELECT code FROM municipality")).scalars())
    provinces = set(session.execute(text("SELECT code FROM province")).scalars())
    if not known:
        return []
    by_year = read_foreign_file(path)
    carry = successors(known)
    reports, rows = [], []
    for year in sorted(by_year):
        placed, report = place_year(by_year[year], known, provinces, carry)
        report.year = year
        reports.append(report)
        rows += [(code, year, "foreign_residents", value, SOURCE) for code, value in placed.items()]
        _log_year(report)
    session.execute(
        text("DELETE FROM population WHERE indicator = 'foreign_residents' "
             "AND year = ANY(:years)"), {"years": sorted(by_year)},
    )
    copy_rows(
        session,
        "COPY population (municipality_code, year, indicator, value, source) FROM STDIN",
        iter(rows),
    )
    return reports


def _log_year(report: ForeignYear) -> None:
    """Say what a year left aside: comuni without a row (demand 0), codes carried or unplaced."""
    log.info("stranieri residenti %d: %d comuni, %d persone / foreign residents",
             report.year, report.comuni, report.total)
    if report.without_row:
        log.warning(
            "%d comuni have no foreign residents row for %d, so their demand is 0: %s",
            len(report.without_row), report.year,
            ", ".join(f"{c:06d}" for c in report.without_row[:10]),
        )
    if report.carried:
        log.info("%d: %d old comune codes carried to their successor (ANPR): %s", report.year,
                 len(report.carried),
                 ", ".join(f"{a:06d}->{b:06d}" for a, b in list(report.carried.items())[:10]))
    if report.unplaced:
        log.warning("%d: %d comune codes of the loaded provinces match no loaded comune: %s",
                    report.year, len(report.unplaced),
                    ", ".join(f"{c:06d}" for c in report.unplaced[:10]))


def foreign_loaded(session: Session) -> bool:
    """Whether any foreign residents figure is stored."""
    return session.execute(
        text("SELECT EXISTS (SELECT 1 FROM population WHERE indicator = 'foreign_residents')")
    ).scalar_one()
