"""Agreement with PySAL `access` on the five regions' real geography and seeded services.

The costs handed to `access` are PostGIS `geography` distances (an implementation independent
of ours), for every pair within one degree; `access` applies the catchment itself.
"""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from access import Access, weights
from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory.analysis.compute import compute
from observatory.analysis.demand import load_municipalities
from observatory.analysis.parameters import Parameters
from observatory.analysis.report import export_run
from observatory.analysis.store import run_analysis
from observatory.analysis.supply import load_services
from tests.factories import insert_services, random_points_in_comuni

SERVICES = 1500
COSTS_SQL = """
SELECT m.code AS origin, s.id AS dest,
       ST_Distance(m.point::geography, s.geom::geography) / 1000 AS cost
FROM municipality m JOIN service s ON ST_DWithin(m.point, s.geom, 1.0)
WHERE s.category_code = 'SAN-ASL'
"""


@pytest.fixture(scope="module")
def seeded(engine):
    """Seeded services (capacities include 0 and unknown) and PostGIS costs; rolled back."""
    with engine.connect() as conn:
        outer = conn.begin()
        with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
            comuni = gpd.read_postgis(
                text("SELECT code, geom FROM municipality"), conn, geom_col="geom"
            )
            points = random_points_in_comuni(comuni.code.to_numpy(), comuni.geom.values,
                                             SERVICES, seed=42)
            rng = np.random.default_rng(42)
            capacity = [
                None if k % 5 == 0 else float(rng.integers(0, 30)) for k in range(SERVICES)
            ]
            insert_services(session, points, "SAN-ASL", capacity)
            session.flush()
            municipalities = load_municipalities(session)
            services = load_services(session, "SAN")
            costs = pd.read_sql(text(COSTS_SQL), conn)
            yield municipalities, services, costs, session
        outer.rollback()


def _pysal(municipalities, services, costs, params: Parameters) -> pd.Series:
    demand = pd.DataFrame({"demand": municipalities[params.demand].fillna(0.0)})
    demand.index.name = "geoid"
    capacity = services["capacity"].fillna(1.0).to_numpy()
    supply_values = capacity if params.supply == "capacity" else 1.0
    supply = pd.DataFrame({"supply": supply_values}, index=services["id"].to_numpy())
    supply.index.name = "geoid"
    model = Access(
        demand_df=demand, demand_index=True, demand_value="demand",
        supply_df=supply, supply_index=True, supply_value="supply",
        cost_df=costs, cost_origin="origin", cost_dest="dest", cost_name="cost",
    )
    weight_fn = weights.gaussian(params.effective_sigma_km) if params.method == "e2sfca" else None
    result = model.two_stage_fca(name="a", max_cost=params.catchment_km, weight_fn=weight_fn)
    return result["a_supply"].reindex(municipalities.index)


@pytest.mark.parametrize(
    ("catchment_km", "method", "supply"),
    [(20.0, "2sfca", "count"), (20.0, "e2sfca", "count"), (40.0, "2sfca", "capacity"),
     (10.0, "e2sfca", "capacity")],
)
def test_access_equals_pysal_access_for_every_comune_with_people(
    seeded, catchment_km, method, supply
):
    municipalities, services, costs, _ = seeded
    params = Parameters("access", "SAN", catchment_km=catchment_km, method=method, supply=supply)
    ours = compute(municipalities, services, params).results["access_index"].astype(float)
    theirs = _pysal(municipalities, services, costs, params)
    people = municipalities[params.demand].fillna(0).to_numpy() > 0
    # `access` leaves out comuni with no service in reach: their A_i is 0.
    expected = theirs.fillna(0.0).to_numpy()[people]
    assert (expected > 0).sum() > 100
    np.testing.assert_allclose(ours.to_numpy()[people], expected, rtol=1e-9, atol=0)


def test_distances_equal_postgis_geography(seeded):
    municipalities, services, costs, _ = seeded
    results = compute(municipalities, services, Parameters("coverage", catchment_km=20.0)).results
    within = costs[costs.cost <= 20.0]
    counts = within.groupby("origin").size().reindex(municipalities.index, fill_value=0)
    np.testing.assert_array_equal(results["services_within"].astype(int), counts)
    nearest = costs.groupby("origin").cost.min().reindex(municipalities.index)
    found = nearest.notna() & (nearest < 50)
    # PostGIS returns these distances rounded to 1e-8 m.
    np.testing.assert_allclose(
        results["nearest_km"][found].astype(float), nearest[found], rtol=0, atol=1e-10
    )


def test_campania_gaps_geojson_numbers_equal_pysal_access(seeded, tmp_path):
    municipalities, services, costs, session = seeded
    params = Parameters("gaps", "SAN", catchment_km=20.0)
    path = tmp_path / "gaps.geojson"
    export_run(session, run_analysis(session, params), path, region="campania")
    exported = gpd.read_file(path).set_index("municipality_code")
    exported.index = exported.index.astype(int)
    theirs = _pysal(municipalities, services, costs, params).fillna(0.0)[exported.index]
    people = exported["demand"] > 0
    assert len(exported) == 550 and people.sum() == 550
    np.testing.assert_allclose(exported["access_index"][people], theirs[people], rtol=1e-9)
    assert (exported["is_gap"] == ~exported["covered"]).all()
