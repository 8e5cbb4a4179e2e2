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
    population: list[tuple[str, str, int, int]] = field(default_factory=list)  # latest years
    services: int = 0
    services_by_area: list[tuple[str, str, int]] = field(default_factory=list)
    services_by_category: list[tuple[str, str, int]] = field(default_factory=list)

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
            "JOIN (SELECT indicator, max(year) AS year FROM population GROUP BY indicator) "
            "latest USING (indicator, year) "
            "JOIN municipality m ON m.code = p.municipality_code "
            "JOIN region r ON r.code = m.region_code "
            "GROUP BY r.name, p.indicator, p.year ORDER BY r.name, p.indicator, p.year"
        )
    ).all()
    services_by_area = session.execute(
        text(
            "SELECT a.code, a.name, count(s.id) FROM territorial_area a "
            "LEFT JOIN area_municipality am ON am.area_code = a.code "
            "LEFT JOIN service s ON s.municipality_code = am.municipality_code "
            "GROUP BY a.code, a.name, a.region_code "
            "UNION ALL SELECT '-', 'fuori dalle aree / outside the areas', count(*) FROM service s "
            "WHERE NOT EXISTS (SELECT 1 FROM area_municipality am "
            "WHERE am.municipality_code = s.municipality_code) HAVING count(*) > 0 "
            "ORDER BY 1"
        )
    ).all()
    services_by_category = session.execute(
        text(
            "SELECT c.code, c.label_it, count(*) FROM service s "
            "JOIN service_category c ON c.code = s.category_code "
            "GROUP BY c.code, c.label_it, c.position ORDER BY c.position"
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
        services=count("service"),
        services_by_area=[tuple(row) for row in services_by_area],
        services_by_category=[tuple(row) for row in services_by_category],
    )
