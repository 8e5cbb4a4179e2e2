"""`observatory analyze`: density, coverage, accessibility (2SFCA / E2SFCA) and gaps."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from observatory.analysis.parameters import (
    DEFAULT_CATCHMENT_KM,
    DEFAULT_DEMAND,
    KINDS,
    Parameters,
)

if TYPE_CHECKING:
    import geopandas as gpd

# The analysis stack (numpy, pandas, geopandas, scipy) is imported inside the commands, so
# `observatory --help` and every other command start without it.

app = typer.Typer(
    help=(
        "Density, coverage, 2SFCA / E2SFCA accessibility and gaps per comune, stored as "
        "analysis runs that the API and the maps read too (see docs/analysis.md)."
    ),
    no_args_is_help=True,
)

REGION = typer.Option(None, help="Only this region (name, slug or ISTAT code).")
AREA = typer.Option(None, help="Only this territorial area (code, see `status`).")
CATEGORY = typer.Option(None, help="Service category code (a top-level code includes its "
                        "children); default every category.")
CATCHMENT = typer.Option(DEFAULT_CATCHMENT_KM, "--catchment-km",
                         help="Catchment D in km; a service at geodesic distance d <= D counts.")
METHOD = typer.Option("2sfca", help="2sfca (weight 1) or e2sfca (Gaussian weight).")
SIGMA = typer.Option(None, "--sigma-km", help="E2SFCA Gaussian sigma in km (default D / 2).")
SUPPLY = typer.Option("count", help="count (S_j = 1) or capacity (1 where unknown).")
DEMAND = typer.Option(DEFAULT_DEMAND, help="foreign_residents (ISTAT, default) or residents; "
                      "every rate is per 10,000 of it.")
YEAR = typer.Option(None, "--year", help="Population year of the demand (default the latest "
                    "loaded).")
AS_OF = typer.Option(None, "--as-of", metavar="DATE",
                     help="The services as they were then: a date (its end, in Italy) or an "
                     "RFC 3339 date-time (default now).")
OUT = typer.Option(None, "--out", help="Write FILE: .geojson (RFC 7946), .gpkg or .csv.")
DIALECT = typer.Option("standard", "--csv-dialect", help="CSV: standard (, .) or it (; and "
                       "decimal comma, UTF-8 with BOM, for Excel in Italian).")


def _analyze(params: Parameters, out: Path | None, region: str | None, area: str | None,
             csv_dialect: str) -> None:
    """Get (or compute) the run of `params`, print its summary and per-area table, export."""
    from observatory.analysis.report import write_run
    from observatory.analysis.results import missing_categories
    from observatory.analysis.runs import resolve_scope
    from observatory.analysis.store import run_analysis, run_results
    from observatory.db import new_session
    from observatory.geography import CREDIT

    with new_session() as session:  # each stored run is committed once computed
        resolve_scope(session, region, area)
        run = run_analysis(session, params)
        session.commit()
        summary, stated = run.summary, run.parameters
        typer.echo(f"analysis run {run.id}: {run.kind}, category {run.category_code or 'all'}, "
                   f"demand {stated['demand']} {stated['year']}, {summary['municipalities']} "
                   f"comuni, {summary['services']} services"
                   + (f", as of {params.as_of}" if params.as_of else ""))
        if "covered_demand" in summary and summary["total_demand"]:
            share = summary["covered_demand"] / summary["total_demand"]
            typer.echo(f"covered demand within {params.catchment_km:g} km: {share:.1%}")
        if "gaps" in summary:
            typer.echo(f"gaps: {summary['gaps']} comuni, {summary['unmet_demand']:,.0f} people")
        if summary.get("services_serving_nobody"):
            typer.echo(f"services serving nobody: {len(summary['services_serving_nobody'])}")
        results = run_results(session, run.id, region, area)
        missing = missing_categories(
            session, params.catchment_km, params.demand, params.year, region, area, params.as_of
        )["areas"]
        _print_per_area(results, run.kind, missing)
        if out is not None:
            write_run(run, results, out, region, area, csv_dialect)
            typer.echo(f"{out}: {len(results)} comuni. Credits: {CREDIT}")


def _print_per_area(
    results: gpd.GeoDataFrame, kind: str, missing: dict[str, list[dict]]
) -> None:
    """Per territorial area: density, coverage, gaps and the categories missing somewhere."""
    import pandas as pd

    from observatory.analysis.summary import summarise

    table = Table(title="Per area / per area territoriale (tassi per 10.000 della domanda)")
    columns = ["area", "comuni", "demand", "services", "per 10k", "per 100 km²"]
    if kind != "density":
        columns += ["coverage", "unserved comuni", "people affected"]
    columns.append("missing categories (foreign residents)")
    for column in columns:
        table.add_column(column, justify="left" if column.startswith(("area", "missing"))
                         else "right")
    for code, row in summarise(results, "area").iterrows():
        per_10k = row["services_count"] * 10_000 / row["demand"] if row["demand"] else None
        cells = [str(code), f"{row['comuni']:.0f}", f"{row['demand']:,.0f}",
                 f"{row['services_count']:.0f}", "—" if per_10k is None else f"{per_10k:.2f}",
                 f"{row['per_100km2']:.2f}"]
        if kind != "density":
            share = row["coverage_share"]
            cells += ["—" if pd.isna(share) else f"{share:.1%}",
                      f"{row['unserved_comuni']:.0f}", f"{row['people_affected']:,.0f}"]
        cells.append(" ".join(f"{m['category']} ({m['foreign_residents']:,.0f})"
                              for m in missing.get(str(code), [])) or "—")
        table.add_row(*cells)
    Console(width=200).print(table)


@app.command("density")
def density(region: str = REGION, area: str = AREA, category: str = CATEGORY,
            demand: str = DEMAND, year: int = YEAR, as_of: str = AS_OF, out: Path = OUT,
            csv_dialect: str = DIALECT) -> None:
    """Active services per comune, per 10,000 of the demand, per 100 km²."""
    params = Parameters("density", category, demand, year=year, as_of=as_of)
    _analyze(params, out, region, area, csv_dialect)


@app.command("coverage")
def coverage(region: str = REGION, area: str = AREA, category: str = CATEGORY,
             catchment_km: float = CATCHMENT, demand: str = DEMAND, year: int = YEAR,
             as_of: str = AS_OF, out: Path = OUT, csv_dialect: str = DIALECT) -> None:
    """Covered comuni (a service within D km), distance to the nearest, services within D."""
    params = Parameters("coverage", category, demand, catchment_km, year=year, as_of=as_of)
    _analyze(params, out, region, area, csv_dialect)


@app.command("access")
def access(region: str = REGION, area: str = AREA, category: str = CATEGORY,
           catchment_km: float = CATCHMENT, method: str = METHOD, sigma_km: float = SIGMA,
           supply: str = SUPPLY, demand: str = DEMAND, year: int = YEAR, as_of: str = AS_OF,
           out: Path = OUT, csv_dialect: str = DIALECT) -> None:
    """2SFCA / E2SFCA accessibility A_i (also per 10,000 people), with coverage."""
    params = Parameters("access", category, demand, catchment_km, method, sigma_km, supply,
                        year=year, as_of=as_of)
    _analyze(params, out, region, area, csv_dialect)


@app.command("gaps")
def gaps(region: str = REGION, area: str = AREA, category: str = CATEGORY,
         catchment_km: float = CATCHMENT, method: str = METHOD, sigma_km: float = SIGMA,
         supply: str = SUPPLY, demand: str = DEMAND, year: int = YEAR,
         threshold: float = typer.Option(None, help="Also a gap: access per 10,000 people < X."),
         percentile: float = typer.Option(None, help="Also a gap: access below the P-th "
                                          "percentile of the comuni with demand."),
         as_of: str = AS_OF, out: Path = OUT, csv_dialect: str = DIALECT) -> None:
    """Comuni with demand that are uncovered (or below a threshold), ranked by unmet demand."""
    params = Parameters("gaps", category, demand, catchment_km, method, sigma_km, supply,
                        threshold, percentile, year, as_of)
    _analyze(params, out, region, area, csv_dialect)


@app.command("defaults")
def defaults(catchment_km: float = CATCHMENT, demand: str = DEMAND) -> None:
    """Compute every kind for all services and for each category (what `make run` does)."""
    from observatory.analysis.store import run_defaults
    from observatory.db import new_session

    with new_session() as session, session.begin():
        runs = run_defaults(session, catchment_km, demand)
    typer.echo(f"{len(runs)} analyses up to date ({len(runs) // len(KINDS) - 1} categories "
               f"and all services, {catchment_km:g} km, demand {demand})")
