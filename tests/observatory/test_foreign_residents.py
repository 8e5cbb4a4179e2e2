"""Foreign residents of every year: the comuni of each region sum to the ISTAT region rows."""

from sqlalchemy import text

from observatory.foreign_residents import (
    FOREIGN_FILE,
    NUTS_REGIONS,
    place_year,
    read_foreign_file,
)
from observatory.geography import SOUTHERN_REGIONS


def test_comuni_of_each_region_sum_to_the_istat_region_rows_every_year(session):
    by_year = read_foreign_file(FOREIGN_FILE)
    assert sorted(by_year) == [2020, 2021, 2022, 2023, 2024, 2025]
    stored = {
        (year, region): total
        for year, region, total in session.execute(text(
            "SELECT p.year, m.region_code, sum(p.value) FROM population p "
            "JOIN municipality m ON m.code = p.municipality_code "
            "WHERE p.indicator = 'foreign_residents' GROUP BY 1, 2"
        ))
    }
    for year, figures in by_year.items():
        for region in SOUTHERN_REGIONS:
            assert stored[(year, region)] == figures[NUTS_REGIONS[region]], (year, region)
    # the source note's 2025 totals
    assert [stored[(2025, r)] for r in (15, 16, 17, 18, 19)] == [
        276_531, 155_066, 27_060, 105_439, 206_753
    ]


def test_a_comune_without_a_row_has_no_figure_that_year_and_the_others_every_year(session):
    years = dict(session.execute(text(
        "SELECT year, count(*) FROM population WHERE indicator = 'foreign_residents' "
        "GROUP BY year"
    )).all())
    comuni = session.execute(text("SELECT count(*) FROM municipality")).scalar()
    # Misiliscemi (081025) was created in 2021: no 2020 row, so its 2020 demand is 0.
    assert years == {2020: comuni - 1, **dict.fromkeys(range(2021, 2026), comuni)}
    misiliscemi = session.execute(text(
        "SELECT array_agg(year ORDER BY year) FROM population "
        "WHERE indicator = 'foreign_residents' AND municipality_code = 81025"
    )).scalar()
    assert misiliscemi == [2021, 2022, 2023, 2024, 2025]


def test_old_codes_are_carried_to_their_successor_and_unknown_ones_reported():
    figures = {"075001": 10, "075062": 5, "075098": 100, "075999": 7, "001001": 3, "ITF4": 1}
    placed, report = place_year(
        figures, known={75098, 75002}, provinces={75}, carry={75001: 75098, 75062: 75098}
    )
    assert placed == {75098: 115}
    assert report.carried == {75001: 75098, 75062: 75098}
    assert report.unplaced == [75999]
    assert report.without_row == [75002]


def test_status_shows_both_populations_per_region_latest_year(session):
    from observatory.status import collect_status

    rows = collect_status(session).population
    assert {(indicator, data_year) for _, indicator, data_year, _ in rows} == {
        ("residents", 2023), ("foreign_residents", 2025)
    }
    assert len(rows) == 2 * len(SOUTHERN_REGIONS)
