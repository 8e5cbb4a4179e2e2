"""Real clients against a real server: OWSLib, GDAL (pyogrio) and schemathesis."""

import itertools
import json
import os
import subprocess

import pyogrio
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from owslib.ogcapi.features import Features
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.api.features.conftest import SERVICES
from tests.helpers import run_sql


def test_owslib_lists_collections_and_reads_items(server_url):
    api = Features(server_url)
    assert "conformsTo" in api.conformance()
    ids = [c["id"] for c in api.collections()["collections"]]
    assert {"services", "municipalities", "areas", "provinces", "regions"} <= set(ids)
    page = api.collection_items("services", limit=20, language="ar")
    assert len(page["features"]) == 20
    assert all("ar" in f["properties"]["languages"] for f in page["features"])
    assert api.collection_item("services", page["features"][0]["id"])["type"] == "Feature"


def test_gdal_opens_the_services_layer_and_reads_every_feature(server_url):
    layers = pyogrio.list_layers(f"OAPIF:{server_url}/")
    assert "services" in {name for name, _ in layers}
    frame = pyogrio.read_dataframe(f"OAPIF:{server_url}/", layer="services")
    assert len(frame) == SERVICES
    assert {"name", "category", "municipality_code"} <= set(frame.columns)
    assert frame.geometry.geom_type.unique().tolist() == ["Point"]
    assert frame.total_bounds[0] > 11 and frame.total_bounds[2] < 19


@pytest.mark.parametrize(
    ("where", "sql"),
    [
        ("category = 'LEG'", "category_code = 'LEG'"),
        ("category = 'LEG' AND mediation_available = 1",
         "category_code = 'LEG' AND mediation_available"),
        ("municipality_code < 63000 OR name LIKE 'Servizio 1%'",
         "municipality_code < 63000 OR name LIKE 'Servizio 1%'"),
    ],
)
def test_gdal_pushes_a_where_clause_as_a_cql_filter(server_url, api_database_url, tmp_path, where,
                                                      sql):
    out = tmp_path / "out.geojson"
    result = subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{server_url}/", "services", "-where", where],
        capture_output=True, text=True, env={**os.environ, "CPL_DEBUG": "ON"}, check=True,
    )
    fetches = [line for line in result.stderr.splitlines() if "/collections/services/items" in line]
    assert fetches and all("filter=" in line and "filter-lang=cql-text" in line
                           for line in fetches[1:]), fetches
    names = sorted(f["properties"]["name"] for f in json.loads(out.read_text())["features"])
    expected = sorted(run_sql(api_database_url, f"SELECT name FROM service_public WHERE {sql}"))  # noqa: S608
    assert names == expected and 0 < len(names) < SERVICES


def test_owslib_reads_queryables(server_url):
    api = Features(server_url)
    queryables = api.collection_queryables("services")
    assert queryables["properties"]["category"]["type"] == "string"
    assert queryables["properties"]["languages"]["type"] == "array"
    assert queryables["properties"]["geometry"]["x-ogc-role"] == "primary-geometry"
    page = api.collection_items("services", limit=5, filter="A_CONTAINS(languages, ('ar'))")
    assert page["numberReturned"] == 5
    assert all("ar" in f["properties"]["languages"] for f in page["features"])


def test_gdal_reads_a_bbox_of_areas(server_url):
    frame = pyogrio.read_dataframe(
        f"OAPIF:{server_url}/", layer="areas", bbox=(14.25, 40.84, 14.26, 40.85)
    )
    assert frame["name"].tolist() == ["Napoli"]


def test_schemathesis_finds_no_server_error(server_url):
    schema = schemathesis.openapi.from_url(f"{server_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation, mode in itertools.product(operations, GenerationMode):
        if mode is GenerationMode.NEGATIVE and not list(operation.iter_parameters()):
            continue

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def never_5xx(case):
            case.call_and_validate(checks=[not_a_server_error])

        never_5xx()
