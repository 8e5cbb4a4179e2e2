"""Stored runs, their reuse, per-comune reads, summaries, exports and the analyze CLI."""

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from observatory.analysis import runs, store
from observatory.analysis.compute import compute
from observatory.analysis.demand import load_municipalities
from observatory.analysis.parameters import Parameters
from observatory.analysis.report import EXPORT_COLUMNS, export_run
from observatory.analysis.summary import summarise
from observatory.analysis.supply import load_services
from observatory.cli import app
from observatory.csvcell import safe_cell
from observatory.errors import NotFound
from observatory.models import AnalysisResult
from tests.factories import insert_services, random_points_in_comuni


@pytest.fixture
def with_services(session):
    """200 seeded SAN-ASL services in the test transaction."""
    comuni = gpd.read_postgis(
        text("SELECT code, geom FROM municipality"), session.connection(), geom_col="geom"
    )
    points = random_points_in_comuni(comuni.code.to_numpy(), comuni.geom.values, 200, seed=3)
    insert_services(session, points, "SAN-ASL")
    session.flush()
    return session


def test_run_stores_one_row_per_comune_and_is_reused_on_the_same_data(with_services):
    session = with_services
    params = Parameters("gaps", "SAN", catchment_km=20.0)
    run = store.run_analysis(session, params)
    rows = session.scalar(select(func.count()).where(AnalysisResult.run_id == run.id))
    assert rows == session.scalar(text("SELECT count(*) FROM municipality"))
    assert run.snapshot["services"] == 200 and run.snapshot["geography_year"] == 2023
    assert store.run_analysis(session, params).id == run.id
    version = store.data_version(session)
    assert runs.find_run(session, store.resolved(session, params), version).id == run.id
    other = Parameters("gaps", "SAN", catchment_km=10.0)
    assert runs.find_run(session, store.resolved(session, other), version) is None
    insert_services(session, pd.DataFrame({"lon": [14.25], "lat": [40.85],
                                           "municipality_code": [63049]}), "SAN-ASL", source="x")
    assert store.run_analysis(session, params).id != run.id


def test_stored_results_equal_the_computation_bit_for_bit(with_services):
    session = with_services
    params = Parameters("gaps", "SAN", catchment_km=15.0, method="e2sfca", percentile=20)
    stored = store.run_results(session, store.run_analysis(session, params).id)
    computed = compute(load_municipalities(session), load_services(session, "SAN"), params)
    for column in ("demand", "nearest_km", "access_index", "access_per_10k", "unmet_demand"):
        np.testing.assert_array_equal(
            stored[column].to_numpy(float), computed.results[column].to_numpy(float)
        )
    assert stored["is_gap"].tolist() == computed.results["is_gap"].tolist()


def test_run_results_for_a_region_and_summary_per_area(with_services):
    session = with_services
    run = store.run_analysis(session, Parameters("access", "SAN", catchment_km=20.0))
    results = store.run_results(session, run.id, region="campania")
    assert isinstance(results, gpd.GeoDataFrame)
    assert set(results.region) == {"Campania"} and len(results) == 550
    per_area = summarise(results, "area")
    assert per_area["comuni"].sum() == results["area"].notna().sum()
    napoli = results[results["area"] == "napoli"]
    expected = napoli.demand[napoli.covered.astype(bool)].sum() / napoli.demand.sum()
    assert per_area.loc["napoli", "coverage_share"] == pytest.approx(expected)
    assert per_area.loc["napoli", "per_10k_residents"] == pytest.approx(
        napoli.services_count.sum() / napoli.residents.sum() * 1e4
    )


def test_unknown_area_or_category_is_not_found(session):
    with pytest.raises(NotFound):
        runs.resolve_scope(session, area="atlantide")
    with pytest.raises(NotFound):
        store.run_analysis(session, Parameters("density", "XYZ"))


def _rings(geometry: dict) -> list[list]:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [
        geometry["coordinates"]
    ]
    return [ring for polygon in polygons for ring in polygon[:1]]


def test_gaps_geojson_is_rfc7946_and_reads_back(with_services, tmp_path):
    session = with_services
    run = store.run_analysis(session, Parameters("gaps", "SAN", catchment_km=10.0))
    path = tmp_path / "gaps.geojson"
    assert export_run(session, run, path, region="campania") == 550
    document = json.loads(path.read_text())
    assert "crs" not in document
    assert document["parameters"]["catchment_km"] == 10.0
    assert "CC-BY 4.0" in document["attribution"]
    assert document["summary_by_area"]
    first = document["features"][0]["properties"]
    assert list(first) == list(EXPORT_COLUMNS)
    ranks = [f["properties"]["gap_rank"] for f in document["features"]]
    gap_ranks = [r for r in ranks if r is not None]
    assert gap_ranks == list(range(1, len(gap_ranks) + 1)) and ranks[: len(gap_ranks)] == gap_ranks
    for feature in document["features"]:
        for ring in _rings(feature["geometry"]):
            lon, lat = np.array(ring).T
            assert 13 < lon.min() and lon.max() < 16.5 and 39.5 < lat.min() and lat.max() < 41.6
            assert shapely.is_ccw(shapely.linearrings(ring))
    back = gpd.read_file(path)
    assert len(back) == 550 and back.crs.to_epsg() == 4326
    assert back.geometry.is_valid.mean() > 0.99


def test_italian_csv_and_gpkg_exports(with_services, tmp_path):
    session = with_services
    run = store.run_analysis(session, Parameters("access", "SAN", catchment_km=20.0))
    csv_path, gpkg_path = tmp_path / "access.csv", tmp_path / "access.gpkg"
    export_run(session, run, csv_path, area="napoli", csv_dialect="it")
    export_run(session, run, gpkg_path, area="napoli")
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfmunicipality_code;name;")
    table = pd.read_csv(csv_path, sep=";", decimal=",", encoding="utf-8-sig",
                        dtype={"municipality_code": str})
    layer = gpd.read_file(gpkg_path)
    assert len(table) == len(layer) == 92
    assert table.municipality_code.str.fullmatch(r"\d{6}").all()
    merged = table.merge(layer, on="municipality_code")
    np.testing.assert_allclose(merged.access_per_10k_x, merged.access_per_10k_y, rtol=1e-12)
    assert json.loads(table.parameters[0])["method"] == "2sfca"


@pytest.mark.parametrize(
    ("cell", "written"),
    [("=HYPERLINK(1)", "'=HYPERLINK(1)"), ("+39 081", "'+39 081"), ("-x", "'-x"),
     ("@SUM", "'@SUM"), ("Napoli", "Napoli"), (-3.5, -3.5), (None, None)],
)
def test_safe_cell_prefixes_an_apostrophe(cell, written):
    assert safe_cell(cell) == written


def test_analyze_gaps_cli_writes_the_export(session, monkeypatch, tmp_path):
    monkeypatch.setattr("observatory.db.new_session", lambda: session)  # imported on use
    out = tmp_path / "gaps.geojson"
    result = CliRunner().invoke(
        app, ["analyze", "gaps", "--region", "campania", "--category", "LEG", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "550 comuni" in result.output
    document = json.loads(out.read_text())
    # No LEG service: every comune with people is a gap.
    gaps = [f for f in document["features"] if f["properties"]["is_gap"]]
    assert len(gaps) == sum(1 for f in document["features"] if f["properties"]["demand"] > 0)


def test_help_lists_the_analysis_export_and_population_commands():
    result = CliRunner().invoke(app, ["--help"])
    for command in ("analyze", "export", "population"):
        assert command in result.output
    gaps_help = CliRunner().invoke(app, ["analyze", "gaps", "--help"]).output
    for option in ("--catchment-km", "--method", "--threshold", "--percentile", "--csv-dialect"):
        assert option in gaps_help


def test_writers_never_wait_on_the_data_version_and_it_grows_only_on_commit(engine):
    def version(conn) -> int:
        return conn.execute(text("SELECT version FROM data_version WHERE id = 1")).scalar()

    with engine.connect() as a, engine.connect() as b, engine.connect() as reader:
        before = version(reader)
        for conn in (a, b):
            conn.execute(text("SET lock_timeout = '2s'"))
        a.execute(text("UPDATE service_category SET label_en = label_en WHERE code = 'SAN'"))
        b.execute(text("UPDATE service_category SET label_en = label_en WHERE code = 'LEG'"))
        assert version(a) == before + 1 and version(reader) == before  # not committed yet
        b.commit()
        assert version(reader) == before + 1
        a.rollback()
        assert version(reader) == before + 1
        reader.rollback()
