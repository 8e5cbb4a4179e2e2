from sqlalchemy import text

from ingest.sample import example_survey, read_places, write_sheet
from observatory.settings import DATA_DIR
from tests.ingest.helpers import reasons, run

SAMPLE = DATA_DIR / "sample" / "servizi_esempio.csv"


def test_example_survey_is_the_generator_output(tmp_path):
    path = tmp_path / "again.csv"
    write_sheet(path, example_survey(read_places()))
    assert path.read_bytes() == SAMPLE.read_bytes()


def test_example_survey_loads_every_area_and_category_as_example_data(session):
    report = run(session, SAMPLE, "sample")
    assert report.counts["read"] == 305
    assert (report.counts["inserted"], report.counts["duplicates_in_file"]) == (303, 1)
    assert list(reasons(report).values()) == [["unknown_category"], ["duplicate_in_file"]]
    assert report.counts["swapped_coordinates"] > 0
    assert report.counts["geocoded_municipality"] > 0
    assert report.counts["warnings"] == 1
    missing_areas = session.execute(
        text("SELECT code FROM territorial_area WHERE code NOT IN ("
             "SELECT am.area_code FROM service s JOIN area_municipality am "
             "ON am.municipality_code = s.municipality_code WHERE s.source = 'sample')")
    ).scalars().all()
    assert missing_areas == []
    missing_categories = session.execute(
        text("SELECT c.code FROM service_category c WHERE NOT EXISTS ("
             "SELECT 1 FROM service_category child WHERE child.parent_code = c.code) "
             "AND c.code NOT IN (SELECT category_code FROM service WHERE source = 'sample')")
    ).scalars().all()
    assert missing_categories == []
    flags = session.execute(
        text("SELECT bool_and(is_example), bool_and(name LIKE '[ESEMPIO]%') FROM service "
             "WHERE source = 'sample'")
    ).one()
    assert flags == (True, True)
