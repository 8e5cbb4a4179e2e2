"""Bad request parameters: 4xx problem details on every endpoint, never a 500, nothing written."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from api.main import create_app
from tests.clusters import cluster_url
from tests.helpers import assert_problem
from tests.reliability.conftest import fingerprint

SQL_LIKE = "1' OR '1'='1'; DROP TABLE service; --"
LONG = "x" * 20_000  # three in one URL stay under the 64 KB a request line may have
GET_PATHS = sorted(
    (path, operation)
    for path, operations in create_app().openapi()["paths"].items()
    for method, operation in operations.items()
    if method == "get"
)


@pytest.mark.parametrize(("path", "operation"), GET_PATHS, ids=[p for p, _ in GET_PATHS])
def test_sql_looking_and_long_strings_in_every_parameter_are_harmless(
    cluster_client, live_cluster, path, operation
):
    before = fingerprint(cluster_url(live_cluster))
    names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    for value in (SQL_LIKE, LONG):
        url = re.sub(r"\{[^}]+\}", quote(value, safe=""), path)
        for params in [{}, *({name: value} for name in names)]:
            response = cluster_client.get(url, params=params)
            assert response.status_code < 500, (path, list(params), response.text[:300])
            if response.status_code >= 400:
                assert_problem(response, response.status_code)
    assert fingerprint(cluster_url(live_cluster)) == before


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("/collections/services/items?bbox=16,40,15,41", "bbox"),
        ("/collections/services/items?bbox=15,41,16,40", "bbox"),
        ("/collections/services/items?bbox=-200,40,15,41", "bbox"),
        ("/collections/services/items?bbox=15,40,16,95", "bbox"),
        ("/collections/services/items?bbox=nan,40,16,41", "bbox"),
        ("/collections/services/items?limit=-1", "limit"),
        ("/collections/services/items?offset=-1", "offset"),
        ("/services/within?bbox=16,40,15,41", "bbox"),
        ("/services/nearest?lat=nan&lon=15.8", "lat"),
        ("/services/nearest?lat=inf&lon=15.8", "lat"),
        ("/services/nearest?lat=40.6&lon=-999", "lon"),
        ("/services/nearest?lat=999&lon=15.8", "lat"),
        ("/services/nearest?lat=40.6&lon=15.8&k=-1", "k"),
        ("/services/within?lat=40.6&lon=15.8&radius_km=-1", "radius"),
        ("/hsds/services?lat=nan&lon=15.8&proximity=1000", "lat"),
        ("/hsds/services?lat=40.6&lon=999&proximity=1000", "lon"),
        ("/hsds/services?per_page=-1", "per_page"),
    ],
)
def test_out_of_range_bbox_limits_and_coordinates_are_400(cluster_client, url, fragment):
    assert_problem(cluster_client.get(url), 400, fragment)
