"""Conformance of the HSDS output to the HSDS 3.1 JSON schemas, read from $HSDS_SCHEMA_DIR.

The schemas are the standard's text (CC BY-SA, Open Referral), not the project's: they are
never copied into the repository. CI points HSDS_SCHEMA_DIR at them; where it is unset this
module skips with one line. The project's own checks of the same output always run
(tests/api/test_hsds.py, tests/hsds_expect.py).
"""

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from observatory import hsds

SCHEMA_ENV = "HSDS_SCHEMA_DIR"

if not os.environ.get(SCHEMA_ENV):
    pytest.skip(
        f"{SCHEMA_ENV} not set: the HSDS 3.1 schema conformance tests need the standard's "
        "schema folder (.ci/run sets it)",
        allow_module_level=True,
    )

SCHEMA_DIR = Path(os.environ[SCHEMA_ENV])


def hsds_schema(name: str) -> dict[str, Any]:
    """One HSDS schema, e.g. `compiled/service.json` or `phone.json` (a wrong folder fails)."""
    path = SCHEMA_DIR / name
    assert path.is_file(), f"{SCHEMA_ENV}={SCHEMA_DIR}: no {name} there"
    return json.loads(path.read_text(encoding="utf-8"))


def assert_valid_hsds(document: dict[str, Any], schema_name: str) -> None:
    """Fail with every error when `document` does not validate against the HSDS schema."""
    validator = Draft202012Validator(
        hsds_schema(schema_name), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert not errors, errors


@pytest.mark.parametrize("name", ["sportello", "asl", "private", "caserta", "palermo"])
def test_service_detail_validates_against_hsds_compiled_service(client, services, name):
    service_id = hsds.entity_uuid("service", services[name].id)
    response = client.get(f"/hsds/services/{service_id}")
    assert response.status_code == 200
    assert_valid_hsds(response.json(), "compiled/service.json")


def test_services_list_items_validate_against_hsds_service_list(client, services):
    body = client.get("/hsds/services", params={"per_page": 100}).json()
    assert body["total_items"] == 5
    for item in body["contents"]:
        assert_valid_hsds(item, "compiled/service_list.json")
        assert_valid_hsds(item, "compiled/service.json")


def test_service_at_locations_validate_against_hsds_list_schema(client, services):
    body = client.get("/hsds/service_at_locations").json()
    assert body["total_items"] == 5
    for item in body["contents"]:
        assert_valid_hsds(item, "compiled/service_at_location_list.json")
        assert_valid_hsds(item, "compiled/service_at_location.json")


def test_datapackage_tables_are_hsds_objects_with_hsds_paths_and_fields(client, services):
    archive = zipfile.ZipFile(io.BytesIO(client.get("/hsds/datapackage.zip").content))
    package = json.loads(archive.read("datapackage.json"))
    for resource in package["resources"]:
        schema = hsds_schema(f"{resource['name']}.json")
        header = archive.read(resource["path"]).decode("utf-8").splitlines()[0].split(",")
        assert resource["path"] == schema["path"]
        assert set(header) <= schema["properties"].keys()
        assert set(schema.get("required", [])) <= set(header), resource["name"]
