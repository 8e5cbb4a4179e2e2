"""Bad requests and uploads: 4xx problem details on every endpoint, never a 500, nothing written."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from api.main import create_app
from observatory import keys
from tests.clusters import cluster_url
from tests.helpers import assert_problem
from tests.reliability import corpus
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
    holes = max(1, path.count("{"))
    for value in (SQL_LIKE, LONG[: 3 * len(LONG) // max(3, holes)]):  # the URL under 64 KB
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


@pytest.fixture(scope="module")
def potenza_key(live_cluster) -> str:
    """An operator key for the Potenza area, committed on the cluster."""
    engine = create_engine(cluster_url(live_cluster))
    with Session(engine) as session, session.begin():
        _, key = keys.create_key(session, "GdLL Potenza", "operator", ["potenza"])
    engine.dispose()
    return key


def _bad_uploads(folder: Path) -> list[tuple[str, bytes, str, dict[str, str], int, str]]:
    """(file name, content, content type, extra form fields, status, detail fragment)."""
    huge = folder / "huge.csv"
    corpus.one_huge_line_csv(huge)
    return [
        ("huge.csv", huge.read_bytes(), "text/csv", {}, 413, "above the limit"),
        ("photo.csv", corpus.binary_csv(folder / "p.csv").read_bytes(), "text/csv", {}, 415,
         "binary"),
        ("broken.xlsx", corpus.truncated_xlsx(folder / "b.xlsx").read_bytes(),
         "application/octet-stream", {}, 400, "not a readable Excel workbook"),
        ("empty.csv", b"", "text/csv", {}, 400, "holds no rows"),
        ("header.csv", b"nome;comune\n", "text/csv", {}, 400, "no rows below the header"),
        ("servizi.csv", b"nome;comune\nA;Potenza\n", "image/png", {}, 415, "declared"),
        ("servizi.exe", b"MZ\x90\x00", "application/octet-stream", {}, 415, "reads"),
        ("servizi.csv", b"nome;comune\nA;Potenza\n", "text/csv", {"source": LONG}, 400,
         "source"),
        ("servizi.csv", b"nome;comune\nA;Potenza\n", "text/csv", {"area": SQL_LIKE}, 403,
         "may write"),
    ]


def test_bad_uploads_are_refused_with_their_reason_and_store_nothing(
    cluster_client, live_cluster, potenza_key, tmp_path
):
    before = fingerprint(cluster_url(live_cluster))
    for name, content, ctype, form, status, fragment in _bad_uploads(tmp_path):
        response = cluster_client.post(
            "/ingest/upload",
            headers={"X-API-Key": potenza_key},
            files={"file": (name, content, ctype)},
            data={"source": "bad-upload", **form},
        )
        assert_problem(response, status, fragment)
    assert fingerprint(cluster_url(live_cluster)) == before


LEAKS = ("/tmp", "Traceback", "GDAL", "pyogrio", "Error(", "site-packages")


def test_no_upload_refusal_shows_a_path_a_traceback_or_a_library_hint(
    cluster_client, potenza_key, tmp_path
):
    from tests.reliability.test_bad_input import REFUSED

    cases = [(name, content, ctype, form) for name, content, ctype, form, _, _ in
             _bad_uploads(tmp_path)]
    for number, (name, make, options, _) in enumerate(REFUSED):
        made = make(tmp_path / f"{number}-{name}")
        content = made.read_bytes() if made.exists() else b""
        pairs = zip(options[::2], options[1::2], strict=True)
        form = {flag.lstrip("-"): value for flag, value in pairs}
        cases.append((name, content, "application/octet-stream", form))
    for name, content, ctype, form in cases:
        response = cluster_client.post(
            "/ingest/upload",
            headers={"X-API-Key": potenza_key},
            files={"file": (name, content, ctype)},
            data={"source": "bad-upload", **form},
        )
        assert 400 <= response.status_code < 500, (name, response.text)
        detail = assert_problem(response, response.status_code)["detail"]
        assert not [leak for leak in LEAKS if leak in detail], (name, detail)
