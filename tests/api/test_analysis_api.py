"""Analyses addressed by their parameters: stats, the gap file, what is missing where."""

from __future__ import annotations

import csv
import io
import json

import pytest
import shapely
from shapely.geometry import shape
from shapely.geometry.polygon import orient
from sqlalchemy import text
from typer.testing import CliRunner

from observatory.cli import app
from tests.helpers import add_service

# Three comuni with services at their representative point (catchment 1 km covers each
# only itself): Napoli has DOC and SAN, Pozzuoli SAN, Caserta LAV.
SEEDED = {63049: ("DOC-SUI", "SAN-ASL"), 63060: ("SAN-ASL",), 61022: ("LAV-CPI",)}


@pytest.fixture
def seeded(session):
    """Services standing exactly at the representative point of three comuni."""
    for code, categories in SEEDED.items():
        lon, lat = session.execute(
            text("SELECT ST_X(point), ST_Y(point) FROM municipality WHERE code = :c"), {"c": code}
        ).one()
        for category in categories:
            add_service(session, lon, lat, name=f"{category} {code}", category_code=category,
                        municipality_code=code)
    session.commit()
    return session


def _foreign(session, codes: list[int] | None = None, area: str | None = None) -> float:
    """Foreign residents 2025 of the comuni `codes`, or of the area."""
    return float(session.execute(text(
        "SELECT coalesce(sum(value), 0) FROM population p LEFT JOIN area_municipality am "
        "ON am.municipality_code = p.municipality_code WHERE p.indicator = 'foreign_residents' "
        "AND p.year = 2025 AND (p.municipality_code = ANY(:codes) OR am.area_code = :area)"
    ), {"codes": codes or [], "area": area}).scalar())


def _population(session, indicator: str, area: str) -> float:
    return float(session.execute(text(
        "SELECT sum(p.value) FROM population p JOIN area_municipality am "
        "ON am.municipality_code = p.municipality_code WHERE p.indicator = :i AND am.area_code "
        "= :a AND p.year = (SELECT max(year) FROM population WHERE indicator = :i)"
    ), {"i": indicator, "a": area}).scalar())


def test_two_demands_give_two_results_each_labelled_with_its_own(client, seeded):
    answers = {
        demand: client.get("/stats/density", params={
            "category": "SAN", "by": "area", "region": "campania", "demand": demand,
        }).json()
        for demand in ("foreign_residents", "residents")
    }
    for demand, answer in answers.items():
        assert answer["parameters"]["demand"] == demand
        assert answer["parameters"]["kind"] == "density"
        napoli = next(g for g in answer["groups"] if g["code"] == "napoli")
        assert napoli["demand"] == _population(seeded, demand, "napoli")
        assert napoli["services"] == 2
        assert napoli["services_per_10k"] == round(2 * 10_000 / napoli["demand"], 3)
    assert answers["foreign_residents"]["parameters"]["year"] == 2025
    assert answers["residents"]["parameters"]["year"] == 2023
    assert answers["foreign_residents"]["run"]["id"] != answers["residents"]["run"]["id"]


def test_same_parameters_reuse_the_run_and_a_service_change_recomputes(client, seeded):
    params = {"category": "SAN", "catchment_km": 5}
    first = client.get("/stats/coverage", params=params).json()
    runs = seeded.execute(text("SELECT count(*) FROM analysis_run")).scalar()
    again = client.get("/stats/coverage", params=params).json()
    assert again["run"] == first["run"]
    assert seeded.execute(text("SELECT count(*) FROM analysis_run")).scalar() == runs
    add_service(seeded, 14.78, 40.68, name="Nuovo", category_code="SAN-ASL",
                municipality_code=65116)
    seeded.commit()
    changed = client.get("/stats/coverage", params=params).json()
    assert changed["run"]["data_version"] > first["run"]["data_version"]
    assert changed["run"]["id"] != first["run"]["id"]
    services = {g["code"]: g["services"] for g in changed["groups"]}
    assert services["15"] == {g["code"]: g["services"] for g in first["groups"]}["15"] + 1


def test_a_repeated_gap_file_is_the_same_until_a_service_change(client, seeded):
    """The second download is answered from the worker's memory; a change of the services
    (a new data version) gives the file of a new run, never the one held."""
    params = {"region": "campania", "catchment_km": 5}
    first = client.get("/exports/gaps/SAN", params=params)
    again = client.get("/exports/gaps/SAN", params=params)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["content-disposition"] == first.headers["content-disposition"]
    add_service(seeded, 14.79, 40.69, name="Ancora nuovo", category_code="SAN-ASL",
                municipality_code=65116)
    seeded.commit()
    changed = client.get("/exports/gaps/SAN", params=params)
    assert changed.status_code == 200
    assert changed.headers["content-disposition"] != first.headers["content-disposition"]
    run, before = changed.json()["analysis_run"], first.json()["analysis_run"]
    assert run["id"] != before["id"] and run["data_version"] > before["data_version"]


def _assert_rfc7946(document: dict) -> None:
    assert document["type"] == "FeatureCollection" and "crs" not in document
    rings = 0
    for feature in document["features"]:
        geometry = shape(feature["geometry"])
        for polygon in getattr(geometry, "geoms", [geometry]):
            assert polygon.exterior.is_ccw
            assert all(not hole.is_ccw for hole in polygon.interiors)
            assert shapely.equals_exact(orient(polygon, 1.0), polygon, 0)
            rings += 1
    assert rings >= len(document["features"])


def test_gap_file_is_one_file_from_the_cli_and_the_api(client, seeded, monkeypatch, tmp_path):
    monkeypatch.setattr("observatory.db.new_session", lambda: seeded)  # imported on use
    out = tmp_path / "gaps.geojson"
    result = CliRunner().invoke(app, [
        "analyze", "gaps", "--category", "SAN", "--region", "campania", "--catchment-km", "1",
        "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    assert "napoli" in result.output and "missing categories" in result.output
    from_cli = json.loads(out.read_text())
    response = client.get("/exports/gaps/SAN", params={
        "region": "campania", "catchment_km": 1, "only_gaps": "false"})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    from_api = response.json()
    assert from_api == from_cli
    for document in (from_cli, from_api):
        _assert_rfc7946(document)
        assert "ISTAT" in document["attribution"] and "ANPR" in document["attribution"]
        assert document["license"] == "CC-BY-4.0"
        assert document["parameters"]["catchment_km"] == 1.0
        assert document["parameters"]["demand"] == "foreign_residents"
        assert document["parameters"]["region"] == "campania"
    by_code = {f["properties"]["municipality_code"]: f["properties"] for f in from_api["features"]}
    assert len(by_code) == 550
    assert all(isinstance(code, str) and len(code) == 6 for code in by_code)
    caserta = by_code["061022"]
    assert caserta["area"] == "caserta" and caserta["area_name"]
    assert by_code["063049"]["is_gap"] is False and by_code["063049"]["gap_rank"] is None
    ranks = sorted(p["gap_rank"] for p in by_code.values() if p["is_gap"])
    assert ranks == list(range(1, len(ranks) + 1))
    top = next(p for p in by_code.values() if p["gap_rank"] == 1)
    assert top["unmet_demand"] == max(p["unmet_demand"] for p in by_code.values())


def test_gap_file_filters_by_region_and_area(client, seeded):
    area = client.get("/exports/gaps/SAN", params={"area": "napoli", "catchment_km": 1}).json()
    assert area["features"] and {f["properties"]["area"] for f in area["features"]} == {"napoli"}
    assert all(f["properties"]["is_gap"] for f in area["features"])
    sicily = client.get("/exports/gaps/SAN", params={"region": "sicilia", "catchment_km": 1})
    assert {f["properties"]["region"] for f in sicily.json()["features"]} == {"Sicilia"}
    _assert_rfc7946(sicily.json())
    assert client.get("/exports/gaps/SAN", params={"area": "atlantide"}).status_code == 404


def test_missing_categories_per_comune_and_area(client, seeded):
    answer = client.get("/stats/missing", params={"area": "napoli", "catchment_km": 1}).json()
    tops = [c["category"] for c in answer["categories"]]
    assert {"DOC", "SAN", "LAV", "PRO"} <= set(tops)
    comuni = {c["municipality_code"]: c for c in answer["municipalities"]}
    assert set(tops) - set(comuni["063049"]["missing"]) == {"DOC", "SAN"}
    assert set(tops) - set(comuni["063060"]["missing"]) == {"SAN"}
    assert comuni["063049"]["foreign_residents"] == _foreign(seeded, [63049])
    napoli = {m["category"]: m["foreign_residents"] for m in answer["areas"]["napoli"]}
    whole = _foreign(seeded, area="napoli")
    assert napoli["SAN"] == whole - _foreign(seeded, [63049, 63060])
    assert napoli["DOC"] == whole - _foreign(seeded, [63049])
    assert napoli["LAV"] == whole  # Caserta's LAV service is in another area, 1 km reaches none
    assert answer["parameters"]["catchment_km"] == 1.0


def test_per_area_table_has_missing_categories_and_speaks_csv_and_geojson(client, seeded):
    params = {"category": "SAN", "by": "area", "region": "campania", "catchment_km": 1}
    answer = client.get("/stats/coverage", params=params).json()
    caserta = next(g for g in answer["groups"] if g["code"] == "caserta")
    assert "SAN" in {m["category"] for m in caserta["missing_categories"]}
    italian = client.get("/stats/coverage", params={**params, "format": "csv",
                                                     "csv_dialect": "it"})
    assert italian.headers["content-type"].startswith("text/csv")
    lines = italian.content.decode("utf-8-sig").splitlines()
    assert json.loads(lines[0][2:])["parameters"]["catchment_km"] == 1.0
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[1:])), delimiter=";"))
    napoli = next(r for r in rows if r["code"] == "napoli")
    in_json = next(g for g in answer["groups"] if g["code"] == "napoli")
    assert napoli["coverage_share"] == str(in_json["coverage_share"]).replace(".", ",")
    assert napoli["missing_categories"].split() == [
        f"{m['category']}:{m['foreign_residents']:.0f}" for m in in_json["missing_categories"]
    ]
    features = client.get("/stats/coverage", params={**params, "format": "geojson"}).json()
    assert len(features["features"]) == len(answer["groups"])
    assert features["parameters"] == answer["parameters"]
    _assert_rfc7946(features)


def test_openapi_describes_the_analysis_parameters_and_answers(client):
    spec = client.get("/openapi.json").json()
    stats = spec["paths"]["/stats/{kind}"]["get"]
    names = {p["name"] for p in stats["parameters"]}
    assert {"demand", "year", "catchment_km", "method", "supply", "threshold", "percentile",
            "region", "area", "by", "format"} <= names
    demand = next(p for p in stats["parameters"] if p["name"] == "demand")
    assert demand["schema"]["default"] == "foreign_residents"
    assert "per 10,000" in demand["description"]
    schemas = spec["components"]["schemas"]
    assert "per 10,000" in schemas["Group"]["properties"]["services_per_10k"]["description"]
    assert {"StatsAnswer", "GapFile", "MissingAnswer"} <= set(schemas)
