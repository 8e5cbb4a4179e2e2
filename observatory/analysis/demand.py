"""Demand side: every loaded comune with its representative point, area and population."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory.analysis.parameters import INDICATORS
from observatory.errors import InvalidInput
from observatory.geography import loaded_year

log = logging.getLogger(__name__)

MUNICIPALITIES_SQL = """
SELECT m.code, m.name, m.province_code, p.name AS province, m.region_code, r.name AS region,
       am.area_code AS area, ta.name AS area_name, m.area_km2,
       ST_X(m.point) AS lon, ST_Y(m.point) AS lat
FROM municipality m
JOIN province p ON p.code = m.province_code
JOIN region r ON r.code = m.region_code
LEFT JOIN area_municipality am ON am.municipality_code = m.code
LEFT JOIN territorial_area ta ON ta.code = am.area_code
ORDER BY m.code
"""

POPULATION_SQL = """
SELECT municipality_code, value FROM population WHERE indicator = :indicator AND year = :year
"""


def population_year(session: Session, indicator: str) -> int | None:
    """The latest year loaded for `indicator`, or None when it has never been loaded."""
    return session.execute(
        text("SELECT max(year) FROM population WHERE indicator = :indicator"),
        {"indicator": indicator},
    ).scalar()


def resolve_year(session: Session, indicator: str, year: int | None) -> int | None:
    """`year` when `indicator` has figures for it; the latest year when None; else raise."""
    if year is None:
        return population_year(session, indicator)
    loaded = session.execute(
        text("SELECT DISTINCT year FROM population WHERE indicator = :indicator ORDER BY 1"),
        {"indicator": indicator},
    ).scalars().all()
    if year not in loaded:
        raise InvalidInput(
            f"no {indicator} figures for {year}: loaded years {list(loaded) or 'none'}"
        )
    return year


def load_population(
    session: Session, indicator: str, year: int | None = None
) -> tuple[pd.Series, int | None]:
    """Figures of `indicator` per comune code for `year` (default the latest), and the year."""
    year = resolve_year(session, indicator, year)
    if year is None:
        return pd.Series(dtype=float), None
    rows = session.execute(text(POPULATION_SQL), {"indicator": indicator, "year": year}).all()
    values = pd.Series({int(code): float(value) for code, value in rows}, dtype=float)
    return values, int(year)


def load_municipalities(
    session: Session, years: Mapping[str, int | None] | None = None
) -> pd.DataFrame:
    """Comuni indexed by code: names, province, region, area, km², point, both populations.

    `years` picks the year of an indicator (default its latest). `residents` and
    `foreign_residents` are NaN where the source has no row for the comune (or the
    indicator is not loaded); `attrs` holds the year of each indicator.
    """
    years = years or {}
    geography_year = loaded_year(session)
    frame = pd.DataFrame(
        session.execute(text(MUNICIPALITIES_SQL)).mappings().all()
    ).set_index("code")
    frame.attrs["geography_year"] = geography_year
    for indicator in INDICATORS:
        values, year = load_population(session, indicator, years.get(indicator))
        frame[indicator] = values.reindex(frame.index)
        frame.attrs[f"{indicator}_year"] = year
        missing = frame.loc[frame[indicator].isna(), "name"]
        if year is not None and len(missing):
            listed = ", ".join(f"{code:06d} {name}" for code, name in missing.head(5).items())
            log.warning("%d comuni have no %s row for %d, so their demand is 0: %s",
                        len(missing), indicator, year, listed)
    return frame


def demand_of(municipalities: pd.DataFrame, indicator: str) -> tuple[np.ndarray, np.ndarray]:
    """Demand per comune for `indicator` (0 where missing) and the mask of missing rows."""
    if indicator not in INDICATORS:
        raise InvalidInput(f"unknown demand {indicator!r}: choose one of {INDICATORS}")
    if municipalities.attrs.get(f"{indicator}_year") is None:
        raise InvalidInput(
            f"no {indicator} population loaded: run `observatory population load FILE`"
        )
    values = municipalities[indicator].to_numpy(dtype=float)
    missing = np.isnan(values)
    return np.where(missing, 0.0, values), missing
