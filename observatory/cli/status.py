"""`observatory status`: print what is loaded."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from observatory.db import new_session
from observatory.status import collect_status


def status() -> None:
    """Print what is loaded: geography, areas, population, categories, services."""
    with new_session() as session:
        current = collect_status(session)
    console = Console()
    year = current.geography_year or "—"
    console.print(
        f"Geografia / geography: anno {year} ({current.scope or 'non caricata / not loaded'}): "
        f"{current.regions} regioni, {current.provinces} province, "
        f"{current.municipalities} comuni; {current.categories} categorie di servizio"
    )
    areas = Table(title=f"Aree territoriali / territorial areas: {len(current.areas)}")
    for column in ("codice", "area", "comuni"):
        areas.add_column(column)
    for code, name, comuni in current.areas:
        areas.add_row(code, name, str(comuni))
    console.print(areas)
    population = Table(title="Popolazione / population")
    for column in ("regione", "indicatore", "anno", "totale"):
        population.add_column(column)
    for region, indicator, data_year, total in current.population:
        population.add_row(region, indicator, str(data_year), f"{total:,}".replace(",", "."))
    console.print(population)
    services = Table(title=f"Servizi / services: {current.services}")
    for column in ("area", "nome / name", "servizi / services"):
        services.add_column(column)
    for code, name, count in current.services_by_area:
        services.add_row(code, name, str(count))
    console.print(services)
    categories = Table(title="Servizi per categoria / services per category")
    for column in ("codice", "categoria", "servizi / services"):
        categories.add_column(column)
    for code, label, count in current.services_by_category:
        categories.add_row(code, label, str(count))
    console.print(categories)
