import pytest
from sqlalchemy import create_engine, text

from tests.api.features.conftest import GAPS_CATEGORY
from tests.helpers import assert_problem, assert_valid_feature_collection, run_sql

NAPOLI = {"lat": 40.8518, "lon": 14.2681}


def _brute_force_nearest(url, k, language=None):
    return run_sql(
        url,
        "SELECT id FROM service WHERE (CAST(:language AS varchar) IS NULL "
        "OR CAST(:language AS varchar) = ANY(languages)) ORDER BY "
        "ST_Distance(geom::geography, ST_MakePoint(:lon, :lat)::geography) LIMIT :k",
        {**NAPOLI, "k": k, "language": language},
    )


def test_nearest_matches_a_geodesic_brute_force(api_client, api_database_url):
    body = api_client.get("/services/nearest", params={**NAPOLI, "k": 10}).json()
    assert_valid_feature_collection(body)
    distances = [f["properties"]["distance_km"] for f in body["features"]]
    assert len(distances) == 10 and distances == sorted(distances)
    assert [f["id"] for f in body["features"]] == _brute_force_nearest(api_database_url, 10)


def test_nearest_filters_by_language_spoken(api_client, api_database_url):
    body = api_client.get("/services/nearest", params={**NAPOLI, "k": 5, "language": "wo"}).json()
    assert all("wo" in f["properties"]["languages"] for f in body["features"])
    assert [f["id"] for f in body["features"]] == _brute_force_nearest(api_database_url, 5, "wo")


def test_nearest_respects_max_distance_and_category(api_client):
    body = api_client.get(
        "/services/nearest", params={**NAPOLI, "k": 50, "max_km": 2, "category": "SAN"}
    ).json()
    assert body["features"]
    assert all(f["properties"]["distance_km"] <= 2 for f in body["features"])
    assert all(f["properties"]["category"].startswith("SAN") for f in body["features"])


def test_nearest_far_from_everything_within_max_distance_is_empty(api_client):
    body = api_client.get("/services/nearest", params={"lat": 0, "lon": 0, "max_km": 5}).json()
    assert body["features"] == [] and body["numberMatched"] == 0


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"lat": 91, "lon": 14}, "lat"),
        ({"lat": 40, "lon": -181}, "lon"),
        ({"lat": "x", "lon": 14}, "lat"),
        ({"lon": 14}, "lat"),
        ({**NAPOLI, "k": 0}, "k"),
        ({**NAPOLI, "max_km": -1}, "max_km"),
        ({**NAPOLI, "category": "ZZZ"}, "unknown category"),
    ],
)
def test_nearest_bad_input_is_400(api_client, params, fragment):
    assert_problem(api_client.get("/services/nearest", params=params), 400, fragment)


@pytest.mark.parametrize(
    "params",
    [
        {"area": "napoli"},
        {"municipality_code": 63049},
        {"bbox": "14.2,40.8,14.3,40.9"},
        {**NAPOLI, "radius_km": 3},
    ],
)
def test_within_each_kind_of_place(api_client, params):
    body = api_client.get("/services/within", params={**params, "limit": 500}).json()
    assert_valid_feature_collection(body)
    assert body["numberReturned"] > 0


def test_within_radius_is_geodesic(api_client, api_database_url):
    params = {**NAPOLI, "radius_km": 3, "limit": 1000}
    body = api_client.get("/services/within", params=params).json()
    [expected] = run_sql(
        api_database_url,
        "SELECT count(*) FROM service WHERE ST_Distance(geom::geography, "
        "ST_MakePoint(:lon, :lat)::geography) <= 3000",
        NAPOLI,
    )
    assert body["numberMatched"] == expected > 0


def test_within_combines_place_and_language(api_client):
    body = api_client.get(
        "/services/within", params={"area": "palermo", "language": "bn", "limit": 1000}
    ).json()
    assert body["features"]
    assert all("bn" in f["properties"]["languages"] for f in body["features"])
    assert all(str(f["properties"]["municipality_code"]).startswith("82") for f in body["features"])


@pytest.mark.parametrize(
    ("params", "status", "fragment"),
    [
        ({}, 400, "exactly one"),
        ({"area": "napoli", "municipality_code": 63049}, 400, "exactly one"),
        ({"lat": 40.8, "radius_km": 2}, 400, "together"),
        ({"area": "atlantide"}, 404, "unknown area"),
        ({"municipality_code": 1001}, 404, "unknown municipality_code"),
    ],
)
def test_within_bad_place_is_a_problem(api_client, params, status, fragment):
    assert_problem(api_client.get("/services/within", params=params), status, fragment)


def test_region_summary_counts_services_per_category(api_client):
    regions = api_client.get("/stats/regions").json()
    assert [r["code"] for r in regions] == [15, 16, 17, 18, 19]
    campania = regions[0]
    assert campania["municipalities"] == 550 and campania["residents"] > 5_000_000
    assert campania["services"] == sum(campania["services_by_category"].values()) > 0
    assert campania["services_per_10k_residents"] > 0


def test_region_summary_of_one_region_and_unknown_region(api_client):
    assert [r["name"] for r in api_client.get("/stats/regions?region=puglia").json()] == ["Puglia"]
    assert_problem(api_client.get("/stats/regions?region=molise"), 404, "unknown region")


@pytest.mark.parametrize("by", ["region", "province", "area"])
def test_coverage_summary_is_computed_with_the_asked_parameters(api_client, api_database_url, by):
    params = {"category": GAPS_CATEGORY, "by": by, "catchment_km": 10}
    body = api_client.get("/stats/coverage", params=params).json()
    assert body["parameters"]["kind"] == "coverage" and body["parameters"]["catchment_km"] == 10
    assert body["parameters"]["demand"] == "foreign_residents" and body["parameters"]["by"] == by
    assert body["groups"]
    for group in body["groups"]:
        assert 0 <= group["coverage_share"] <= 1
        assert group["covered_demand"] <= group["demand"]
    # the seeded run of other parameters (demand residents, 10 km) is never served
    seeded = run_sql(
        api_database_url,
        "SELECT id FROM analysis_run WHERE parameters ->> 'demand' IS DISTINCT FROM "
        "'foreign_residents'",
    )
    assert seeded and body["run"]["id"] not in seeded


@pytest.mark.parametrize("region", [None, "campania", "15"])
def test_a_stored_summary_is_read_in_one_statement_and_equals_the_computed_one(
    api_client, monkeypatch, region
):
    from observatory.analysis import results

    params = {"category": "SAN", "catchment_km": 15, "region": region, "method": "e2sfca"}
    params = {k: v for k, v in params.items() if v is not None}
    computed = api_client.get("/stats/access", params=params)
    assert computed.status_code == 200, computed.text

    def not_called(*args, **kwargs):
        raise AssertionError("the stored run must be read without the threadpool")

    monkeypatch.setattr(results, "group_stats", not_called)
    stored = api_client.get("/stats/access", params=params)
    assert stored.status_code == 200, stored.text
    assert stored.json() == computed.json()
    assert stored.json()["parameters"]["sigma_km"] == 7.5


def test_unknown_kind_and_category_are_problems(api_client):
    assert_problem(api_client.get("/stats/volume"), 400, "kind")
    assert_problem(api_client.get("/stats/density", params={"category": "XYZ"}), 404, "XYZ")


def test_gaps_export_is_an_attachment_with_parameters(api_client):
    response = api_client.get(f"/exports/gaps/{GAPS_CATEGORY}")
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and f"gaps-{GAPS_CATEGORY}-run" in disposition
    body = response.json()
    assert body["parameters"]["demand"] == "foreign_residents"
    assert body["parameters"]["catchment_km"] == 20.0 and body["parameters"]["year"] == 2025
    assert body["features"] and all(f["properties"]["is_gap"] for f in body["features"])
    every = api_client.get(f"/exports/gaps/{GAPS_CATEGORY}", params={"only_gaps": False}).json()
    assert len(every["features"]) > len(body["features"])


def test_gaps_export_without_threshold_marks_the_uncovered_comuni_with_people(api_client):
    body = api_client.get("/exports/gaps/DIS", params={"only_gaps": False}).json()
    assert body["parameters"]["threshold_per_10k"] is None
    for feature in body["features"]:
        found = feature["properties"]
        assert found["is_gap"] == (found["demand"] > 0 and not found["covered"])
    assert_problem(api_client.get("/exports/gaps/not-a-code"), 400, "not a code")


def test_a_served_map_stores_the_run_it_computed(api_client, api_database_url):
    from api.routes.maps import CACHE

    query = {"category": "LEG", "demand": "residents", "catchment_km": "17"}
    count = text(  # a coverage map shows the access (2SFCA) analysis of its parameters
        "SELECT count(*) FROM analysis_run WHERE kind = 'access' AND category_code = 'LEG' "
        "AND (parameters ->> 'catchment_km')::float = 17 AND parameters ->> 'demand' = 'residents'"
    )
    engine = create_engine(api_database_url)
    try:
        with engine.connect() as conn:  # another connection sees only committed runs
            assert conn.execute(count).scalar_one() == 0
        assert api_client.get("/maps/campania/coverage", params=query).status_code == 200
        with engine.connect() as conn:
            assert conn.execute(count).scalar_one() == 1
        CACHE.clear()  # as another worker: no page cached, the stored run is read
        assert api_client.get("/maps/basilicata/coverage", params=query).status_code == 200
        with engine.connect() as conn:
            assert conn.execute(count).scalar_one() == 1
    finally:
        engine.dispose()
