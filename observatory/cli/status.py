"""`observatory status`: print what is loaded."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table


def _table(title: str, columns: tuple[str, ...], rows: list[tuple]) -> Table:
    """A table of `rows` under `columns`, every cell as text."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    return table


def status() -> None:
    """Print what is loaded: geography, areas, population, categories, services."""
    from observatory.db import new_session
    from observatory.status import collect_status
    with new_session() as session:
        current = collect_status(session)
    console = Console()
    year = current.geography_year or "—"
    console.print(
        f"Geografia / geography: anno {year} ({current.scope or 'non caricata / not loaded'}): "
        f"{current.regions} regioni, {current.provinces} province, "
        f"{current.municipalities} comuni; {current.categories} categorie di servizio"
    )
    console.print(
        _table(
            f"Aree territoriali / territorial areas: {len(current.areas)}",
            ("codice", "area", "comuni"),
            current.areas,
        )
    )
    population = Table(title="Popolazione per regione (ultimo anno) / population per region")
    for column in ("regione", "residenti / residents", "stranieri residenti / foreign residents"):
        population.add_column(column)
    per_region: dict[str, dict[str, str]] = {}
    for region, indicator, data_year, total in current.population:
        figure = f"{total:,}".replace(",", ".") + f" ({data_year})"
        per_region.setdefault(region, {})[indicator] = figure
    for region, figures in per_region.items():
        population.add_row(region, figures.get("residents", "—"),
                           figures.get("foreign_residents", "—"))
    console.print(population)
    console.print(
        _table(
            f"Servizi per area / services per area: {current.services}",
            ("area", "nome / name", "servizi / services"),
            current.services_by_area,
        )
    )
    console.print(
        _table(
            "Servizi per categoria / services per category",
            ("codice", "categoria", "servizi / services"),
            current.services_by_category,
        )
    )
