"""Trends per territorial area and per region, round by round.

A round is a date. For each round and each top-level category (and all services together):
the services located in the group's comuni as of that date, per 10,000 foreign residents,
and the share of the group's foreign residents whose comune has a service of the category
within the catchment (geodesic distance from the comune's point to the service's public
point, as the coverage analysis measures it). The foreign residents of a round are the ISTAT
figure at 1 January of the round's following day's year (a round of 31 December 2024 uses
1 January 2025), else the latest figure before the round, else the earliest loaded.
Services are those active at the end of the round's day (Europe/Rome) in the registry's
history (`service_public_as_of`, migration 0009): a service closed since counts in the
rounds before its closing, one opened since does not.

The default rounds are the 31 December of each year from the first recorded service's to the
last completed year, the days of the snapshot ingests of any source, and today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory.analysis.parameters import DEFAULT_CATCHMENT_KM
from observatory.errors import InvalidInput, NotFound

LEVELS = ("area", "region")
ALL = "*"  # the category of a row over all services
MAX_ROUNDS = 24
UNITS = {
    "foreign_residents": "persons: foreign residents at 1 January of population_year (ISTAT)",
    "services": "services of the category located in the group's comuni, as of the date",
    "services_per_10k": "services per 10,000 foreign residents",
    "covered_foreign_residents": "foreign residents whose comune has a service of the category "
                                 "within catchment_km (anywhere, also outside the group)",
    "coverage_share": "covered_foreign_residents / foreign_residents, 0-1",
}
COLUMNS = ("date", "population_year", "category", "services", "foreign_residents",
           "services_per_10k", "covered_foreign_residents", "coverage_share")

GROUP_SQL = {
    "area": "SELECT a.code, a.name, r.name FROM territorial_area a "
            "JOIN region r ON r.code = a.region_code WHERE a.code = :code",
    "region": "SELECT code::text, name, name FROM region WHERE code::text = :code "
              "OR lower(name) = lower(:code)",
}
MEMBERS_SQL = {
    "area": "SELECT municipality_code FROM area_municipality WHERE area_code = :code",
    "region": "SELECT code FROM municipality WHERE region_code::text = :code",
}
COMUNI_SQL = "SELECT code, ST_X(point) AS lon, ST_Y(point) AS lat FROM municipality ORDER BY code"
ROOTS_SQL = """
WITH RECURSIVE tree(code, root) AS (
    SELECT code, code FROM service_category WHERE parent_code IS NULL
    UNION ALL
    SELECT c.code, t.root FROM service_category c JOIN tree t ON c.parent_code = t.code
)
SELECT code, root FROM tree
"""
TOP_SQL = "SELECT code FROM service_category WHERE parent_code IS NULL ORDER BY position, code"
END_OF_DAY = ("(CAST(CAST(:day AS date) + 1 AS timestamp) AT TIME ZONE 'Europe/Rome') "
              "- interval '1 microsecond'")
SERVICES_AS_OF_SQL = f"""
SELECT s.id, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat, s.municipality_code, s.category_code
FROM service_public_as_of({END_OF_DAY}) s
WHERE s.status = 'active' AND s.geom IS NOT NULL
"""  # noqa: S608 (built from the constant above)
FOREIGN_SQL = """
SELECT municipality_code, year, value FROM population
WHERE indicator = 'foreign_residents' AND municipality_code = ANY(:codes)
"""


@dataclass(frozen=True)
class Group:
    """A territorial area or a region, with its comuni."""

    level: str
    code: str
    name: str
    region: str
    comuni: tuple[int, ...]


def resolve_group(session: Session, level: str, code: str) -> Group:
    """The area or region `code` (a region also by name); NotFound when unknown."""
    if level not in LEVELS:
        raise InvalidInput(f"unknown level {level!r}: choose one of {LEVELS}")
    row = session.execute(text(GROUP_SQL[level]), {"code": code.strip()}).first()
    if row is None:
        raise NotFound(f"unknown {'territorial area' if level == 'area' else 'region'} {code!r}")
    comuni = session.execute(text(MEMBERS_SQL[level]), {"code": row[0]}).scalars().all()
    return Group(level, str(row[0]), str(row[1]), str(row[2]), tuple(sorted(comuni)))


def parse_rounds(value: str | None) -> list[date] | None:
    """'2023-12-31,2024-12-31' -> dates (sorted, unique); None when not given."""
    if value is None or not value.strip():
        return None
    rounds = set()
    for token in value.split(","):
        try:
            day = date.fromisoformat(token.strip())
        except ValueError as error:
            raise InvalidInput(
                f"rounds: {token.strip()!r} is not a date (YYYY-MM-DD, comma-separated)"
            ) from error
        if not 1900 <= day.year <= 2200:
            raise InvalidInput(f"rounds: {token.strip()!r} is not between 1900 and 2200")
        rounds.add(day)
    if len(rounds) > MAX_ROUNDS:
        raise InvalidInput(f"rounds: at most {MAX_ROUNDS} dates, got {len(rounds)}")
    return sorted(rounds)


SNAPSHOT_DAYS_SQL = """
SELECT DISTINCT CAST(finished_at AT TIME ZONE 'Europe/Rome' AS date) FROM ingest_run
WHERE finished_at IS NOT NULL AND options ->> 'snapshot' = 'true'
"""


def default_rounds(session: Session, today: date | None = None) -> list[date]:
    """31 December of each completed year since the first recorded service, the days of the
    snapshot ingests (`--snapshot`), and today; the latest MAX_ROUNDS of them."""
    today = today or date.today()
    first = session.execute(text("SELECT min(lower(valid)) FROM service_version")).scalar()
    start = first.year if first is not None else today.year
    rounds = {date(year, 12, 31) for year in range(start, today.year)}
    rounds |= {day for day in session.execute(text(SNAPSHOT_DAYS_SQL)).scalars() if day < today}
    return [*sorted(rounds)[-(MAX_ROUNDS - 1):], today]


def services_as_of(session: Session, moment: date) -> dict[str, np.ndarray]:
    """Services active at the end of `moment` (Europe/Rome), from the registry's history:
    arrays of id, lon, lat, municipality_code (-1 when unknown) and category_code."""
    rows = session.execute(text(SERVICES_AS_OF_SQL), {"day": moment}).all()
    ids, lon, lat, comuni, categories = zip(*rows, strict=True) if rows else ([],) * 5
    return {
        "id": np.array(ids, dtype=np.int64), "lon": np.array(lon, dtype=float),
        "lat": np.array(lat, dtype=float),
        "municipality_code": np.array([-1 if c is None else c for c in comuni], dtype=np.int64),
        "category_code": np.array(categories, dtype=object),
    }


def population_year(years: list[int], moment: date) -> int:
    """The figure (at 1 January) in force on `moment`: 31 Dec 2024 -> 2025 (see module doc)."""
    following = moment + timedelta(days=1)
    earlier = [year for year in years if date(year, 1, 1) <= following]
    return max(earlier) if earlier else min(years)


def foreign_residents(session: Session, group: Group) -> dict[int, dict[int, float]]:
    """Foreign residents per year, per comune of the group."""
    figures: dict[int, dict[int, float]] = {}
    for code, year, value in session.execute(text(FOREIGN_SQL), {"codes": list(group.comuni)}):
        figures.setdefault(int(year), {})[int(code)] = float(value)
    return figures


def covered_within(
    service_lon: np.ndarray, service_lat: np.ndarray, lon: np.ndarray, lat: np.ndarray,
    catchment_km: float,
) -> np.ndarray:
    """Per point (lon, lat): whether its nearest service is within `catchment_km` (geodesic,
    inclusive, as the coverage analysis counts a service)."""
    from observatory.analysis.distances import PointIndex

    nearest_km, _ = PointIndex(service_lon, service_lat).nearest(lon, lat)
    return nearest_km <= catchment_km


def trends(
    session: Session, level: str, code: str, rounds: list[date] | None = None,
    catchment_km: float = DEFAULT_CATCHMENT_KM, category: str | None = None,
) -> dict[str, Any]:
    """The trends document of one area or region: parameters, units, years and rounds.

    `category` restricts the rows to one top-level category (and all services); by default
    every top-level category is listed.
    """
    if not 0 < catchment_km <= 500:
        raise InvalidInput("catchment_km must be a number of km in (0, 500]")
    group = resolve_group(session, level, code)
    top = list(session.execute(text(TOP_SQL)).scalars())
    if category is not None and category not in top:
        raise InvalidInput(f"category {category!r} is not a top-level category: one of {top}")
    categories = [ALL, *(top if category is None else [category])]
    roots = dict(session.execute(text(ROOTS_SQL)).all())
    figures = foreign_residents(session, group)
    if not figures:
        raise InvalidInput("no foreign residents loaded for these comuni: run "
                           "`observatory geo load` (ISTAT foreign residents 2020-2025)")
    rounds = rounds or default_rounds(session)
    comuni = session.execute(text(COMUNI_SQL)).mappings().all()
    members = set(group.comuni)
    points = [(row["code"], row["lon"], row["lat"]) for row in comuni if row["code"] in members]
    codes = np.array([p[0] for p in points], dtype=np.int64)
    lon, lat = np.array([p[1] for p in points]), np.array([p[2] for p in points])
    rows = []
    for moment in rounds:
        year = population_year(sorted(figures), moment)
        foreign = np.array([figures[year].get(int(c), 0.0) for c in codes])
        services = services_as_of(session, moment)
        s_root = np.array([roots.get(c) for c in services["category_code"]], dtype=object)
        s_inside = np.isin(services["municipality_code"], codes)
        for wanted in categories:
            chosen = np.ones(len(s_root), dtype=bool) if wanted == ALL else s_root == wanted
            located = int((chosen & s_inside).sum())
            covered = covered_within(services["lon"][chosen], services["lat"][chosen],
                                     lon, lat, catchment_km)
            total, reached = float(foreign.sum()), float(foreign[covered].sum())
            rows.append({
                "date": moment.isoformat(), "population_year": year, "category": wanted,
                "services": located, "foreign_residents": total,
                "services_per_10k": round(located * 10000 / total, 3) if total else None,
                "covered_foreign_residents": reached,
                "coverage_share": round(reached / total, 4) if total else None,
            })
    return {
        "parameters": {"level": group.level, "code": group.code, "catchment_km": catchment_km,
                       "category": category, "demand": "foreign_residents",
                       "rounds": [moment.isoformat() for moment in rounds]},
        "group": {"level": group.level, "code": group.code, "name": group.name,
                  "region": group.region, "municipalities": len(group.comuni)},
        "units": UNITS,
        "foreign_residents": [
            {"year": year, "foreign_residents": float(sum(figures[year].values())),
             "municipalities_with_figure": len(figures[year])}
            for year in sorted(figures)
        ],
        "rounds": rows,
    }


def trends_csv(document: dict[str, Any], dialect: str = "standard") -> bytes:
    """The rounds of a trends document as CSV (a `#` line with the parameters first)."""
    import pandas as pd

    from observatory.exports import csv_bytes

    table = pd.DataFrame(document["rounds"], columns=list(COLUMNS))
    metadata = {"parameters": document["parameters"], "group": document["group"],
                "foreign_residents": document["foreign_residents"]}
    return csv_bytes(table, dialect, metadata)


CHARTS = {
    "foreign_residents": ("Stranieri residenti / foreign residents", "persone / persons"),
    "services_per_10k": ("Servizi per 10.000 stranieri residenti / services per 10,000 "
                         "foreign residents", "servizi / services"),
    "coverage_share": ("Quota di stranieri coperti / share of foreign residents covered",
                       "% entro il bacino / within catchment"),
}


def trend_chart(document: dict[str, Any], metric: str) -> str:
    """An SVG line chart of one metric of a trends document: all services, and the category
    of the document when it names one."""
    from observatory.svg import line_chart

    if metric not in CHARTS:
        raise InvalidInput(f"unknown chart {metric!r}: choose one of {tuple(CHARTS)}")
    title, unit = CHARTS[metric]
    title = f"{title} — {document['group']['name']}"
    if metric == "foreign_residents":
        years = document["foreign_residents"]
        return line_chart(title, [f"1.1.{y['year']}" for y in years],
                          [(document["group"]["name"], [y["foreign_residents"] for y in years])],
                          unit)
    dates = document["parameters"]["rounds"]
    series = []
    for category in (ALL, *filter(None, [document["parameters"]["category"]])):
        by_date = {row["date"]: row[metric] for row in document["rounds"]
                   if row["category"] == category}
        values = [by_date.get(moment) for moment in dates]
        if metric == "coverage_share":
            values = [None if v is None else v * 100 for v in values]
        series.append(("tutti / all" if category == ALL else category, values))
    return line_chart(title, dates, series, unit)
