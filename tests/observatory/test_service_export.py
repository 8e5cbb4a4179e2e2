"""The service registry export: public fields, labels, private fields hidden, CSV safety."""

import json

import geopandas as gpd
import pandas as pd
from sqlalchemy import text

from observatory.service_export import export_services, services_frame
from tests.factories import insert_services

POINTS = pd.DataFrame(
    {"lon": [14.2681, 14.7900, 16.8719], "lat": [40.8518, 40.9146, 41.1171],
     "municipality_code": [63049, 64008, 72006]}
)


def _seed(session):
    ids = insert_services(session, POINTS, "SAN-ASL")
    session.execute(
        text("UPDATE service SET name = '=cmd|calc', phone = '081 123', languages = '{en,fr}', "
             "private_fields = '{phone,geom}' WHERE id = :id"),
        {"id": ids[0]},
    )
    session.execute(text("UPDATE service SET status = 'closed' WHERE id = :id"), {"id": ids[2]})
    return ids


def test_services_frame_hides_private_fields_and_moves_a_private_location(session):
    ids = _seed(session)
    frame = services_frame(session, region="campania")
    assert list(frame.id) == ids[:2]
    first = frame.iloc[0]
    assert pd.isna(first.phone) and first.languages == "en, fr"
    assert first.geocode_precision == "municipality" and first.municipality_code == "063049"
    napoli_point = session.execute(
        text("SELECT ST_X(point), ST_Y(point) FROM municipality WHERE code = 63049")
    ).one()
    assert (first.lon, first.lat) == tuple(napoli_point)
    assert first.category_it.startswith("Azienda sanitaria") and first.area == "napoli"
    assert "source_key" not in frame.columns and "private_fields" not in frame.columns


def test_services_export_to_italian_csv_and_geojson(session, tmp_path):
    _seed(session)
    csv_path, geojson_path = tmp_path / "s.csv", tmp_path / "s.geojson"
    assert export_services(session, csv_path, category_code="SAN", csv_dialect="it") == 2
    table = pd.read_csv(csv_path, sep=";", decimal=",", encoding="utf-8-sig", dtype=str)
    assert table.name[0] == "'=cmd|calc"
    assert float(table.lat[1].replace(",", ".")) == 40.9146
    export_services(session, geojson_path, include_inactive=True)
    document = json.loads(geojson_path.read_text())
    assert len(document["features"]) == 3 and "crs" not in document
    assert document["features"][1]["geometry"]["coordinates"] == [14.79, 40.9146]
    assert gpd.read_file(geojson_path).crs.to_epsg() == 4326
