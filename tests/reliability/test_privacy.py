"""Privacy of location: a service whose address is private is shown at its comune's point only.

Every public GET route of the OpenAPI document is called with its path parameters filled
with real ids and codes and with query parameters drawing a box, a point or a circle near
the service's exact point; the exact coordinates, in any form a body can carry them, appear
in none of the answers.
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import morecantile
import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from ingest.pipeline import IngestOptions, ingest_file
from observatory.db import libpq_url
from observatory.hsds import entity_uuid
from observatory.hsds_tabular import write_folder
from observatory.models import ServicePublic
from observatory.service_export import export_services
from tests.clusters import cluster_url
from tests.helpers import add_service
from tests.ingest.helpers import write_sheet

COMUNE = 76063  # Potenza: large enough for a point kilometres away from its centre
REGION = "basilicata"
CATEGORY = "SAN"
NAME = "Sportello dal domicilio riservato"
HEADER = ["nome", "categoria", "indirizzo", "comune", "provincia", "lat", "lon", "riservato"]
SPOT_SQL = """
SELECT ST_X(p.geom), ST_Y(p.geom), ST_X(m.point), ST_Y(m.point)
FROM municipality m, ST_Dump(ST_GeneratePoints(m.geom, 400, 11)) p
WHERE m.code = %(code)s
  AND ST_Distance(p.geom::geography, m.point::geography) > 4000
  AND ST_Distance(p.geom::geography, ST_Boundary(m.geom)::geography) > 1500
ORDER BY ST_X(p.geom) LIMIT 1
"""


@dataclass(frozen=True)
class Private:
    """The stored private service: its id, exact point and its comune's point."""

    id: int
    lon: float
    lat: float
    comune_lon: float
    comune_lat: float
    area: str


def _forms(value: float) -> set[str]:
    """The ways a body may write `value`: JSON numbers in full and rounded to 5-7 decimals."""
    forms = {repr(value), str(value)}
    for decimals in (5, 6, 7):
        text = f"{value:.{decimals}f}"
        forms |= {text, text.rstrip("0").rstrip(".")}
    return forms


def _number(text: str) -> str:
    """A pattern matching `text` as a whole number (not inside a longer one)."""
    return rf"(?<![\d.]){re.escape(text)}(?!\d)"


def _leaks(body: str, spot: Private) -> list[str]:
    """The forms of the exact point (longitude and latitude within 200 characters) in `body`."""
    found = []
    for lon, lat in itertools.product(_forms(spot.lon), _forms(spot.lat)):
        for first, second in ((lon, lat), (lat, lon)):
            pattern = rf"{_number(first)}.{{0,200}}?{_number(second)}"
            if re.search(pattern, body, re.DOTALL):
                found.append(f"{first} .. {second}")
    return found


@pytest.fixture(scope="module")
def private(live_cluster, tmp_path_factory) -> Private:
    """A service ingested with a private address at a point 4 km from its comune's point."""
    url = libpq_url(cluster_url(live_cluster))
    with psycopg.connect(url) as conn:
        lon, lat, comune_lon, comune_lat = conn.execute(SPOT_SQL, {"code": COMUNE}).fetchone()
        area = conn.execute(
            "SELECT area_code FROM area_municipality WHERE municipality_code = %s", (COMUNE,)
        ).fetchone()
    row = [NAME, CATEGORY, "Via del Domicilio 7", "Potenza", "PZ", f"{lat:.7f}", f"{lon:.7f}",
           "indirizzo"]
    sheet = write_sheet(tmp_path_factory.mktemp("privato") / "privato.csv", [row],
                        header=HEADER, encoding="utf-8")
    engine = create_engine(cluster_url(live_cluster))
    with Session(engine) as session, session.begin():
        ingest_file(session, sheet, IngestOptions(source="privato"))
    engine.dispose()
    with psycopg.connect(url) as conn:
        service_id, lon, lat, fields = conn.execute(
            "SELECT id, ST_X(geom), ST_Y(geom), private_fields FROM service "
            "WHERE source = 'privato'"
        ).fetchone()
    assert fields == ["address_1"]
    return Private(service_id, lon, lat, comune_lon, comune_lat, area[0] if area else "")


def _box(lon: float, lat: float, half: float) -> str:
    return f"{lon - half:.6f},{lat - half:.6f},{lon + half:.6f},{lat + half:.6f}"


def _path_values(client: TestClient, spot: Private) -> dict[str, list[str]]:
    """Real values of every path parameter the public routes take."""
    collections = [c["id"] for c in client.get("/collections").json()["collections"]]
    tile = morecantile.tms.get("WebMercatorQuad").tile(spot.lon, spot.lat, 15)  # the exact point
    return {
        "collection_id": collections,
        "region": [REGION],
        "area": [spot.area],
        "code": [spot.area],  # /trends/area/{code}, /reports/areas/{code}
        "category": [CATEGORY],
        "service_id": [entity_uuid("service", spot.id)],
        "tileMatrixSetId": ["WebMercatorQuad"],
        "tileMatrix": [str(tile.z)],
        "tileRow": [str(tile.y)],
        "tileCol": [str(tile.x)],
    }


def _feature_ids(client: TestClient, collection: str, spot: Private) -> list[str]:
    """The private service itself in `services`, else a feature of the collection near it."""
    if collection == "services":
        return [str(spot.id)]
    near = _box(spot.lon, spot.lat, 0.01)
    features = client.get(f"/collections/{collection}/items?bbox={near}&limit=1").json()
    features = features.get("features") or client.get(
        f"/collections/{collection}/items?limit=1"
    ).json().get("features", [])
    return [str(f["id"]) for f in features[:1]]


def _query_variants(spot: Private) -> list[dict[str, str]]:
    """Query strings drawing a point, a circle, boxes and places around the exact point.

    The point asked about lies 40 m away from the exact one: links echo the query back.
    """
    near = {"lat": f"{spot.lat + 0.00031:.7f}", "lon": f"{spot.lon - 0.00027:.7f}"}
    return [
        {},
        {**near, "radius_km": "3", "proximity": "3000", "k": "100", "max_km": "50"},
        {**near, "radius_km": "50", "proximity": "50000"},
        {"bbox": _box(spot.lon, spot.lat, 0.002)},
        {"bbox": _box(spot.lon, spot.lat, 0.2)},
        {"municipality_code": str(COMUNE)},
        {"area": spot.area},
        {"region": "17", "category": CATEGORY, "taxonomy_term_id": CATEGORY},
        {"search": "Domicilio"},
    ]


COMMON = {"limit": "1000", "per_page": "1000", "tiles": "false", "only_gaps": "false",
          "standalone": "true"}  # maps with every marker inline (served pages have tiles)


def _public_urls(client: TestClient, spot: Private) -> Iterator[str]:
    """Every public GET route of the OpenAPI document, filled in, once per query variant."""
    document = client.get("/openapi.json").json()
    values = _path_values(client, spot)
    for template, operations in document["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        parameters = operation.get("parameters", [])
        accepted = {p["name"] for p in parameters if p["in"] == "query"}
        path_names = [p["name"] for p in parameters if p["in"] == "path"]
        choices = []
        for parameter in (p for p in parameters if p["in"] == "path"):
            enum = parameter["schema"].get("enum")
            if parameter["name"] == "feature_id":
                continue
            assert enum or parameter["name"] in values, f"no value for {parameter['name']}"
            choices.append(enum or values[parameter["name"]])
        for combination in itertools.product(*choices):
            filled = dict(zip([n for n in path_names if n != "feature_id"], combination,
                              strict=True))
            feature_ids = (
                _feature_ids(client, filled["collection_id"], spot)
                if "feature_id" in path_names else [""]
            )
            for feature_id in feature_ids:
                path = template.format(**filled, feature_id=feature_id)
                for variant, html in itertools.product(_query_variants(spot), (False, True)):
                    query = {**COMMON, **variant, **({"f": "html"} if html else {})}
                    kept = {name: value for name, value in query.items() if name in accepted}
                    yield f"{path}?{urlencode(kept)}" if kept else path


def _bodies(client: TestClient, spot: Private) -> dict[str, str]:
    """The text of every public answer (each file of a zip on its own)."""
    bodies = {}
    for url in dict.fromkeys(_public_urls(client, spot)):
        response = client.get(url)
        assert response.status_code < 500, (url, response.text[:300])
        if response.content[:2] == b"PK":
            archive = zipfile.ZipFile(io.BytesIO(response.content))
            bodies |= {f"{url}!{n}": archive.read(n).decode("utf-8") for n in archive.namelist()}
        else:
            bodies[url] = response.text
    return bodies


def test_exact_point_of_a_private_address_leaves_through_no_public_route(
    private, cluster_client
):
    bodies = _bodies(cluster_client, private)
    assert len(bodies) > 100
    showing = [url for url, body in bodies.items() if NAME in body]
    assert any(url.startswith("/collections/services/items/") for url in showing)
    assert any(url.startswith("/hsds/services") for url in showing)
    assert any(url.startswith("/maps/") for url in showing)
    leaks = {url: found for url, body in bodies.items() if (found := _leaks(body, private))}
    assert leaks == {}


def test_the_item_stands_on_the_comune_point(private, cluster_client):
    feature = cluster_client.get(f"/collections/services/items/{private.id}").json()
    lon, lat = feature["geometry"]["coordinates"]
    assert (lon, lat) == pytest.approx((private.comune_lon, private.comune_lat), abs=1e-6)
    assert feature["properties"]["address"] is None
    assert feature["properties"]["geocode_precision"] == "municipality"


def test_a_box_around_the_exact_point_does_not_find_it(private, cluster_client):
    box = _box(private.lon, private.lat, 0.01)  # ~1 km: the comune point is 4 km away
    for path in (f"/collections/services/items?bbox={box}", f"/services/within?bbox={box}",
                 f"/services/within?lat={private.lat}&lon={private.lon}&radius_km=1",
                 f"/hsds/services?lat={private.lat}&lon={private.lon}&proximity=1000"):
        response = cluster_client.get(path)
        assert response.status_code == 200, response.text
        assert NAME not in response.text, path
    wide = _box(private.comune_lon, private.comune_lat, 0.01)
    found = cluster_client.get(f"/collections/services/items?bbox={wide}&limit=1000").json()
    assert private.id in [f["id"] for f in found["features"]]


def test_nearest_from_the_exact_point_measures_to_the_comune_point(private, cluster_client):
    body = cluster_client.get(
        f"/services/nearest?lat={private.lat}&lon={private.lon}&k=100"
    ).json()
    mine = [f for f in body["features"] if f["id"] == private.id]
    assert len(mine) == 1
    assert mine[0]["geometry"]["coordinates"] == pytest.approx(
        [private.comune_lon, private.comune_lat], abs=1e-6
    )
    assert mine[0]["properties"]["distance_km"] > 4
    assert all(_leaks(str(f["geometry"]), private) == [] for f in body["features"])


def test_exports_carry_the_comune_point(private, live_cluster, tmp_path: Path):
    engine = create_engine(cluster_url(live_cluster))
    with Session(engine) as session:
        for name in ("services.csv", "services.geojson"):
            export_services(session, tmp_path / name, region=REGION)
        write_folder(session, tmp_path / "hsds")
    engine.dispose()
    written = {p.name: p.read_text(encoding="utf-8-sig") for p in tmp_path.rglob("*.*")}
    assert NAME in written["services.csv"] and NAME in written["locations.csv"]
    leaks = {name: found for name, body in written.items() if (found := _leaks(body, private))}
    assert leaks == {}


def test_public_geom_follows_every_write_and_the_comune_point(session):
    service = add_service(session, 15.70, 40.60, name="Scritto", municipality_code=COMUNE)

    def public() -> tuple[float, float]:
        return session.execute(text(
            "SELECT ST_X(public_geom), ST_Y(public_geom) FROM service WHERE id = :id"
        ), {"id": service.id}).one()

    assert public() == pytest.approx((15.70, 40.60))
    session.execute(text("UPDATE service SET private_fields = '{address_1}' WHERE id = :id"),
                    {"id": service.id})
    point = session.execute(text(
        "SELECT ST_X(point), ST_Y(point) FROM municipality WHERE code = :code"
    ), {"code": COMUNE}).one()
    assert public() == pytest.approx(tuple(point))
    session.execute(text("UPDATE municipality SET point = ST_SetSRID(ST_MakePoint(15.8, 40.64), "
                         "4326) WHERE code = :code"), {"code": COMUNE})
    assert public() == pytest.approx((15.8, 40.64))
    session.execute(text("UPDATE service SET municipality_code = NULL WHERE id = :id"),
                    {"id": service.id})
    assert public() == (None, None)  # private and no comune: no public point at all


def test_the_view_has_the_columns_of_the_model_and_categories_include_children(session):
    columns = session.execute(text(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'service_public' ORDER BY ordinal_position"
    )).scalars().all()
    assert set(columns) == set(ServicePublic.c.keys())
    children = session.execute(text("SELECT category_and_children('SAN')")).scalars().all()
    expected = session.execute(text(
        "SELECT code FROM service_category WHERE code = 'SAN' OR parent_code = 'SAN'"
    )).scalars().all()
    assert sorted(children) == sorted(expected) and len(children) > 1
    assert session.execute(text("SELECT category_and_children('MED')")).scalars().all() == ["MED"]
