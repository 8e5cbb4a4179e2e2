"""2SFCA wall time against PySAL `access` on the same inputs.

Five regions (about 1,700 comuni) with 3,000 and 30,000 seeded services at 10 / 20 / 40 km,
and the whole of Italy (about 7,900 comuni) with 50,000 services at 20 km (E2SFCA rows for
reference). Ours starts from the points: KD-tree, curvature bounds, exact geodesics where
they decide, then the two steps. `access` needs a cost table: its time is building the
exact geodesic table of the pairs within the catchment (our fastest way, which favours it)
plus its own `two_stage_fca`. The last columns compare the two steps alone on that same
table. Target: five regions x 3,000 under 1 s, never slower than `access`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from access import Access, weights
from common import scratch_database, timed
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from observatory import db, geography, taxonomy
from observatory.analysis.demand import load_municipalities
from observatory.analysis.distances import Pairs, PointIndex
from observatory.analysis.fca import two_step_fca
from observatory.analysis.parameters import Parameters, default_sigma_km
from observatory.analysis.store import run_analysis
from observatory.settings import get_settings
from tests.factories import insert_services, random_points_in_comuni


def _ours(municipalities: pd.DataFrame, services: pd.DataFrame, catchment_km: float,
          method: str, with_distances: bool) -> tuple[Pairs, np.ndarray]:
    index = PointIndex(services.lon.to_numpy(), services.lat.to_numpy())
    pairs = index.pairs_within(municipalities.lon.to_numpy(), municipalities.lat.to_numpy(),
                               catchment_km, with_distances=with_distances)
    return pairs, _stage(municipalities, services, pairs, catchment_km, method)


def _stage(municipalities: pd.DataFrame, services: pd.DataFrame, pairs: Pairs,
           catchment_km: float, method: str) -> np.ndarray:
    demand = municipalities.residents.fillna(0.0).to_numpy()
    sigma_km = default_sigma_km(catchment_km)
    return two_step_fca(demand, np.ones(len(services)), pairs, method, sigma_km).access


def _pysal(municipalities: pd.DataFrame, services: pd.DataFrame, costs: pd.DataFrame,
           catchment_km: float, method: str) -> pd.Series:
    demand = pd.DataFrame({"demand": municipalities.residents.fillna(0.0)})
    supply = pd.DataFrame({"supply": 1.0}, index=pd.Index(services.index, name="geoid"))
    model = Access(demand_df=demand, demand_index=True, demand_value="demand",
                   supply_df=supply, supply_index=True, supply_value="supply",
                   cost_df=costs, cost_origin="origin", cost_dest="dest", cost_name="cost")
    weight = weights.gaussian(default_sigma_km(catchment_km)) if method == "e2sfca" else None
    return model.two_stage_fca(name="a", max_cost=catchment_km, weight_fn=weight)["a_supply"]


def _case(label: str, municipalities: pd.DataFrame, polygons: gpd.GeoDataFrame,
          count: int, catchment_km: float, method: str = "2sfca") -> None:
    """Ours from the points; access = building its geodesic cost table + its 2SFCA."""
    services = random_points_in_comuni(polygons.code.to_numpy(), polygons.geom.values, count, 1)
    (_, ours), ours_s = timed(
        lambda: _ours(municipalities, services, catchment_km, method, method == "e2sfca")
    )
    (pairs, _), table_s = timed(
        lambda: _ours(municipalities, services, catchment_km, method, True)
    )
    costs = pd.DataFrame({"origin": municipalities.index.to_numpy()[pairs.demand_index],
                          "dest": pairs.service_index, "cost": pairs.distance_km})
    theirs, pysal_s = timed(
        lambda: _pysal(municipalities, services, costs, catchment_km, method)
    )
    _, stage_s = timed(lambda: _stage(municipalities, services, pairs, catchment_km, method))
    people = municipalities.residents.fillna(0).to_numpy() > 0
    expected = theirs.reindex(municipalities.index).fillna(0).to_numpy()
    agree = np.allclose(ours[people], expected[people], rtol=1e-9, atol=0)
    access_s = table_s + pysal_s
    print(f"{label:<12} {method:<6} {count:>6} services {catchment_km:>3g} km "
          f"{len(costs):>9,} pairs | ours {ours_s:6.3f} s | access {access_s:6.3f} s "
          f"(cost table {table_s:.3f} + 2SFCA {pysal_s:.3f}) ratio {access_s / ours_s:5.1f}x "
          f"| same cost table: ours {stage_s:.4f} s vs {pysal_s:.3f} s, "
          f"{pysal_s / stage_s:5.0f}x | agree {agree}", flush=True)


def _inputs(url: str) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    engine = create_engine(url)
    with Session(engine) as session:
        municipalities = load_municipalities(session)
        polygons = gpd.read_postgis(text("SELECT code, geom FROM municipality"),
                                    session.connection(), geom_col="geom")
    engine.dispose()
    return municipalities, polygons


def _end_to_end(url: str, polygons: gpd.GeoDataFrame, count: int) -> None:
    """`run_analysis` as the CLI and the API call it: fetch, compute, store per-comune rows."""
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        taxonomy.store_categories(session, get_settings().taxonomy_file)
        services = random_points_in_comuni(polygons.code.to_numpy(), polygons.geom.values,
                                           count, 2)
        insert_services(session, services, "SAN-ASL", source="bench")
    with Session(engine) as session, session.begin():
        params = Parameters("access", "SAN", catchment_km=20.0)
        run, elapsed = timed(lambda: run_analysis(session, params))
        print(f"end to end, five regions, {count} services, 20 km: run {run.id} fetched, "
              f"computed and stored in {elapsed:.3f} s", flush=True)
    engine.dispose()


def _load(url: str, codes: list[int] | None, scope: str) -> None:
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        geography.store_geopop(session, geography.read_geopop(None, codes), scope)
    engine.dispose()


def main() -> None:
    """Five regions at three catchments and two service counts, then Italy."""
    with scratch_database() as url:
        db.upgrade(url)
        _load(url, list(geography.SOUTHERN_REGIONS), "south")
        municipalities, polygons = _inputs(url)
        for count in (3_000, 30_000):
            for catchment_km in (10.0, 20.0, 40.0):
                _case("five regions", municipalities, polygons, count, catchment_km)
            _case("five regions", municipalities, polygons, count, 20.0, "e2sfca")
        _end_to_end(url, polygons, 3_000)
        _load(url, None, "italy")
        municipalities, polygons = _inputs(url)
        _case("Italy", municipalities, polygons, 50_000, 20.0)


if __name__ == "__main__":
    main()
