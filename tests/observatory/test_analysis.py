"""Hand-computed cases: three comuni on a meridian, two services, every metric."""

import math

import numpy as np
import pandas as pd
import pytest

from observatory.analysis.compute import compute
from observatory.analysis.distances import GEOD, Pairs, PointIndex
from observatory.analysis.fca import two_step_fca
from observatory.analysis.gaps import find_gaps
from observatory.analysis.parameters import Parameters as AnyDemand
from observatory.errors import InvalidInput

LON, LAT = 15.0, 40.0
# Positions in km north of comune A along the meridian (meridian arcs add up exactly).
COMUNI_KM = {1001: 0.0, 1002: 30.0, 1003: 45.0}
SERVICES_KM = {1: 12.0, 2: 33.0}
# Within 20 km: A-S1 12, B-S1 18, B-S2 3, C-S2 12 (A-S2 33 and C-S1 33 are outside).
POPULATION = {1001: 1000.0, 1002: 3000.0, 1003: 0.0}


def Parameters(*args, **kwargs) -> AnyDemand:  # noqa: N802
    """The cases below are hand-computed on residents (the default demand is foreign)."""
    kwargs.setdefault("demand", "residents")
    return AnyDemand(*args, **kwargs)


def _north(km: float) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(LON, LAT, 0.0, km * 1000)
    return float(lon), float(lat)


def municipalities(population: dict[int, float] | None = None) -> pd.DataFrame:
    population = POPULATION if population is None else population
    points = {code: _north(km) for code, km in COMUNI_KM.items()}
    frame = pd.DataFrame(
        {
            "name": ["A", "B", "C"],
            "lon": [points[c][0] for c in COMUNI_KM],
            "lat": [points[c][1] for c in COMUNI_KM],
            "area_km2": [50.0, 100.0, 25.0],
            "residents": [population.get(c, np.nan) for c in COMUNI_KM],
            "foreign_residents": [100.0, 0.0, np.nan],
        },
        index=pd.Index(list(COMUNI_KM), name="code"),
    )
    frame.attrs |= {"residents_year": 2023, "foreign_residents_year": 2023}
    return frame


def services(capacity: tuple[float | None, ...] = (None, None)) -> pd.DataFrame:
    points = [_north(km) for km in SERVICES_KM.values()]
    return pd.DataFrame(
        {
            "id": list(SERVICES_KM),
            "lon": [p[0] for p in points],
            "lat": [p[1] for p in points],
            "capacity": [np.nan if c is None else c for c in capacity],
            "municipality_code": [1001, 1002],
        }
    )


def run(kind: str, services_frame: pd.DataFrame | None = None, **params) -> pd.DataFrame:
    frame = services() if services_frame is None else services_frame
    return compute(municipalities(), frame, Parameters(kind, **params)).results


def test_pairs_within_20_km_are_the_four_hand_listed_ones():
    m, s = municipalities(), services()
    pairs = PointIndex(s.lon, s.lat).pairs_within(m.lon, m.lat, 20.0)
    found = sorted(zip(pairs.demand_index, pairs.service_index, pairs.distance_km, strict=True))
    assert [(i, j) for i, j, _ in found] == [(0, 0), (1, 0), (1, 1), (2, 1)]
    np.testing.assert_allclose([d for *_, d in found], [12, 18, 3, 12], rtol=1e-12)


@pytest.mark.parametrize("radius_km", [0.5, 10.0, 40.0, 150.0])
def test_pairs_without_distances_have_the_same_membership(radius_km):
    rng = np.random.default_rng(11)
    index = PointIndex(rng.uniform(12, 19, 3000), rng.uniform(36, 42, 3000))
    lon, lat = rng.uniform(12, 19, 400), rng.uniform(36, 42, 400)
    exact = index.pairs_within(lon, lat, radius_km)
    fast = index.pairs_within(lon, lat, radius_km, with_distances=False)
    assert fast.distance_km is None and len(exact.demand_index) > 0
    assert sorted(zip(exact.demand_index, exact.service_index, strict=True)) == sorted(
        zip(fast.demand_index, fast.service_index, strict=True)
    )


def test_coverage_gives_nearest_km_and_services_within():
    results = run("coverage", catchment_km=20.0)
    np.testing.assert_allclose(results.nearest_km.astype(float), [12, 3, 12], rtol=1e-12)
    assert list(results.services_within) == [1, 2, 1]
    assert list(results.covered) == [True, True, True]


def test_coverage_at_10_km_leaves_a_uncovered_and_zero_population_c_is_no_gap():
    results = run("coverage", catchment_km=10.0)
    assert list(results.covered) == [False, True, False]
    assert list(results.is_gap) == [True, False, False]
    assert list(results.unmet_demand) == [1000.0, 0.0, 0.0]


def test_2sfca_equals_the_hand_computation():
    results = run("access", catchment_km=20.0)
    r1, r2 = 1 / (1000 + 3000), 1 / (3000 + 0)
    expected = np.array([r1, r1 + r2, r2])
    np.testing.assert_allclose(results.access_index.astype(float), expected, rtol=1e-12)
    np.testing.assert_allclose(results.access_per_10k.astype(float), expected * 1e4, rtol=1e-12)


def test_e2sfca_equals_the_hand_computation_with_sigma_half_the_catchment():
    results = run("access", catchment_km=20.0, method="e2sfca")
    w = lambda d: math.exp(-(d**2) / (2 * 10.0**2))  # noqa: E731
    r1 = 1 / (1000 * w(12) + 3000 * w(18))
    r2 = 1 / (3000 * w(3) + 0 * w(12))
    expected = [r1 * w(12), r1 * w(18) + r2 * w(3), r2 * w(12)]
    np.testing.assert_allclose(results.access_index.astype(float), expected, rtol=1e-12)


def test_e2sfca_with_a_given_sigma_uses_it():
    params = Parameters("access", catchment_km=20.0, method="e2sfca", sigma_km=4.0)
    assert params.as_dict()["sigma_km"] == 4.0
    results = compute(municipalities(), services(), params).results
    w = lambda d: math.exp(-(d**2) / 32.0)  # noqa: E731
    r2 = 1 / (3000 * w(3))
    assert results.access_index.iloc[2] == pytest.approx(r2 * w(12), rel=1e-12)


def test_capacity_supply_zero_capacity_gives_nothing_and_unknown_counts_one():
    results = run("access", services(capacity=(0.0, None)), catchment_km=20.0, supply="capacity")
    np.testing.assert_allclose(
        results.access_index.astype(float), [0, 1 / 3000, 1 / 3000], rtol=1e-12
    )
    assert bool(results.covered.iloc[0])


def test_service_with_empty_catchment_serves_nobody():
    lonely = services()
    lonely.loc[1, ["lon", "lat"]] = _north(200.0)
    outcome = compute(municipalities(), lonely, Parameters("access", catchment_km=20.0))
    assert outcome.summary["services_serving_nobody"] == [2]
    np.testing.assert_allclose(outcome.results.access_index.astype(float), [1 / 4000] * 2 + [0])


def test_gaps_percentile_uses_the_comuni_with_demand():
    outcome = compute(
        municipalities(), services(), Parameters("gaps", catchment_km=20.0, percentile=50)
    )
    # access per 10,000 of A and B: 2.5 and 5.8333; the median 4.1667 leaves A below.
    assert outcome.summary["threshold_per_10k_used"] == pytest.approx((2.5 + 7 / 1.2) / 2)
    assert list(outcome.results.is_gap) == [True, False, False]
    assert list(outcome.results.gap_rank) == [1, None, None]


def test_gaps_absolute_threshold_ranks_by_unmet_demand():
    results = run("gaps", catchment_km=20.0, threshold_per_10k=6.0)
    assert list(results.is_gap) == [True, True, False]
    assert list(results.unmet_demand) == [1000.0, 3000.0, 0.0]
    assert list(results.gap_rank) == [2, 1, None]


def test_density_per_comune():
    results = run("density")
    assert list(results.services_count) == [1, 1, 0]
    np.testing.assert_allclose(results.per_10k_residents, [10, 10 / 3, np.nan])
    # 1 service for 100 foreign residents = 100 per 10,000
    np.testing.assert_allclose(results.per_10k_foreign_residents, [100, np.nan, np.nan])
    np.testing.assert_allclose(results.per_100km2, [2, 1, 0])
    assert results.nearest_km.isna().all()


def test_category_without_services_leaves_every_comune_with_demand_a_gap():
    results = run("gaps", services().iloc[:0], catchment_km=20.0)
    assert results.nearest_km.isna().all()
    assert list(results.services_within) == [0, 0, 0]
    assert list(results.access_index) == [0, 0, 0]
    assert list(results.is_gap) == [True, True, False]


def test_comune_without_population_row_has_demand_zero_and_is_reported():
    frame = municipalities({1001: 1000.0, 1002: 3000.0})
    outcome = compute(frame, services(), Parameters("access", catchment_km=20.0))
    assert outcome.results.demand.iloc[2] == 0
    assert outcome.results.demand_missing.iloc[2]
    assert outcome.summary["municipalities_without_demand_row"] == [1003]


def test_service_exactly_at_the_catchment_distance_is_within():
    a_lon, a_lat = _north(0.0)
    s_lon, s_lat = _north(10.0)
    exact_km = GEOD.inv(a_lon, a_lat, s_lon, s_lat)[2] / 1000
    index = PointIndex(np.array([s_lon]), np.array([s_lat]))
    inside = index.pairs_within(np.array([a_lon]), np.array([a_lat]), exact_km)
    outside = index.pairs_within(
        np.array([a_lon]), np.array([a_lat]), np.nextafter(exact_km, 0)
    )
    assert len(inside.distance_km) == 1 and inside.distance_km[0] == exact_km
    assert len(outside.distance_km) == 0
    for radius_km, expected in ((exact_km, 1), (np.nextafter(exact_km, 0), 0)):
        fast = index.pairs_within(np.array([a_lon]), np.array([a_lat]), radius_km, False)
        assert len(fast.demand_index) == expected


def test_nearest_is_exact_among_many_candidates():
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(12, 18, 500), rng.uniform(37, 42, 500)
    q_lon, q_lat = rng.uniform(12, 18, 50), rng.uniform(37, 42, 50)
    km, found = PointIndex(lon, lat).nearest(q_lon, q_lat)
    brute = GEOD.inv(
        np.repeat(q_lon, 500), np.repeat(q_lat, 500), np.tile(lon, 50), np.tile(lat, 50)
    )[2].reshape(50, 500) / 1000
    np.testing.assert_array_equal(km, brute.min(axis=1))
    np.testing.assert_array_equal(found, brute.argmin(axis=1))


def test_two_step_fca_on_explicit_pairs():
    pairs = Pairs(np.array([0, 1, 1]), np.array([0, 0, 1]), np.array([0.0, 5.0, 5.0]))
    result = two_step_fca(np.array([10.0, 30.0]), np.array([2.0, 3.0]), pairs)
    np.testing.assert_allclose(result.ratio, [2 / 40, 3 / 30])
    np.testing.assert_allclose(result.access, [2 / 40, 2 / 40 + 3 / 30])


def test_find_gaps_without_threshold_is_uncovered_with_demand():
    gaps = find_gaps(np.array([5.0, 0.0, 7.0]), np.array([False, False, True]))
    assert list(gaps.is_gap) == [True, False, False]
    assert list(gaps.rank) == [1, 0, 0]


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "nope"},
        {"kind": "access", "catchment_km": 0},
        {"kind": "access", "method": "3sfca"},
        {"kind": "access", "supply": "beds"},
        {"kind": "access", "demand": "tourists"},
        {"kind": "gaps", "threshold_per_10k": 1.0, "percentile": 10},
        {"kind": "gaps", "percentile": 120},
        {"kind": "access", "threshold_per_10k": 1.0},
    ],
)
def test_impossible_parameters_are_refused(params):
    with pytest.raises(InvalidInput):
        Parameters(**params)


def test_parameters_hash_ignores_what_the_kind_does_not_use():
    assert Parameters("density", catchment_km=5).digest() == Parameters("density").digest()
    assert Parameters("access", catchment_km=5).digest() != Parameters("access").digest()
    assert Parameters("access", method="e2sfca").as_dict()["sigma_km"] == 10.0
