"""What is loaded in the database: one query per table, for `observatory status` and /readyz."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session


@dataclass
class Status:
    """Counts of the loaded reference data."""

    geography_year: int | None
    scope: str | None
    regions: int
    provinces: int
    municipalities: int
    categories: int
    areas: list[tuple[str, str, int]] = field(default_factory=list)
    population: list[tuple[str, str, int, int]] = field(default_factory=list)

    @property
    def geography_loaded(self) -> bool:
        """True when comuni are present."""
        return self.municipalities > 0


def collect_status(session: Session) -> Status:
    """Read the counts of everything loaded."""
    load = session.execute(
        text("SELECT year, scope FROM geography_load ORDER BY id DESC LIMIT 1")
    ).first()

    def count(table: str) -> int:
        return session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608

    areas = session.execute(
        text(
            "SELECT a.code, a.name, count(m.municipality_code) FROM territorial_area a "
            "LEFT JOIN area_municipality m ON m.area_code = a.code "
            "GROUP BY a.code, a.name ORDER BY a.region_code, a.name"
        )
    ).all()
    population = session.execute(
        text(
            "SELECT r.name, p.indicator, p.year, sum(p.value)::bigint FROM population p "
            "JOIN municipality m ON m.code = p.municipality_code "
            "JOIN region r ON r.code = m.region_code "
            "GROUP BY r.name, p.indicator, p.year ORDER BY r.name, p.indicator, p.year"
        )
    ).all()
    return Status(
        geography_year=load.year if load else None,
        scope=load.scope if load else None,
        regions=count("region"),
        provinces=count("province"),
        municipalities=count("municipality"),
        categories=count("service_category"),
        areas=[tuple(row) for row in areas],
        population=[tuple(row) for row in population],
    )
