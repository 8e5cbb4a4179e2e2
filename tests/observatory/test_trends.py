"""Trends per area: equal to a hand computation on seeded services with known dates.

The rounds lie in 2022-2024 and the seeded services' history is written for those years, so
services that other tests add (recorded today) never enter these rounds.
"""

from datetime import date
from xml.dom import minidom

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory import trends
from observatory.errors import InvalidInput, NotFound
from tests.helpers import add_service
from tests.observatory.history import backdate

AREA = "crotone"
ROUNDS = [date(2022, 12, 31), date(2023, 12, 31), date(2024, 12, 31)]
CATCHMENT_KM = 5.0


def _comuni(session: Session) -> list[tuple[int, float, float]]:
    return session.execute(text(
        "SELECT m.code, ST_X(m.point), ST_Y(m.point) FROM municipality m "
        "JOIN area_municipality a ON a.municipality_code = m.code "
        "WHERE a.area_code = :area ORDER BY m.code"), {"area": AREA}).all()


def _foreign(session: Session, year: int, codes: list[int] | None = None) -> float:
    return float(session.execute(text(
        "SELECT coalesce(sum(p.value), 0) FROM population p "
        "JOIN area_municipality a ON a.municipality_code = p.municipality_code "
        "WHERE a.area_code = :area AND p.indicator = 'foreign_residents' AND p.year = :year "
        "AND (CAST(:codes AS int[]) IS NULL OR p.municipality_code = ANY(:codes))"),
        {"area": AREA, "year": year, "codes": codes}).scalar())


def _covered(session: Session, ids: list[int]) -> list[int]:
    """Comuni of the area whose point is within the catchment of a service (PostGIS)."""
    return list(session.execute(text(
        "SELECT DISTINCT m.code FROM municipality m "
        "JOIN area_municipality a ON a.municipality_code = m.code "
        "JOIN service s ON ST_DWithin(m.point::geography, s.geom::geography, :metres) "
        "WHERE a.area_code = :area AND s.id = ANY(:ids)"),
        {"area": AREA, "ids": ids, "metres": CATCHMENT_KM * 1000}).scalars())


@pytest.fixture
def seeded(session: Session) -> dict[str, int]:
    """A (LEG, opened 2023), B (SAN-ASL, opened 2024) and C (LEG, 2023, closed mid-2024)."""
    (code_a, lon_a, lat_a), (code_b, lon_b, lat_b) = _comuni(session)[:2]
    a = add_service(session, lon_a, lat_a, name="A", category_code="LEG",
                    municipality_code=code_a)
    b = add_service(session, lon_b + 0.001, lat_b, name="B", category_code="SAN-ASL",
                    municipality_code=code_b)
    c = add_service(session, lon_b, lat_b + 0.001, name="C", category_code="LEG",
                    municipality_code=code_b, status="closed")
    backdate(session, a.id, ("2023-06-01", None, "active"))
    backdate(session, b.id, ("2024-03-01", None, "active"))
    backdate(session, c.id, ("2023-06-01", "2024-06-01", "active"),
             ("2024-06-01", None, "closed"))
    return {"a": a.id, "b": b.id, "c": c.id}


def test_trends_equal_a_hand_computation(session: Session, seeded: dict[str, int]) -> None:
    """Services, per 10k and covered share per round and category, as computed by hand."""
    document = trends.trends(session, "area", AREA, ROUNDS, CATCHMENT_KM)
    rows = {(r["date"], r["category"]): r for r in document["rounds"]}
    live = {ROUNDS[0]: [], ROUNDS[1]: [seeded["a"], seeded["c"]],
            ROUNDS[2]: [seeded["a"], seeded["b"]]}
    categories = {"*": None, "LEG": [seeded["a"], seeded["c"]], "SAN": [seeded["b"]]}
    for moment, ids in live.items():
        year = moment.year + 1  # 31 December Y: the figure at 1 January Y+1
        total = _foreign(session, year)
        for category, only in categories.items():
            chosen = [i for i in ids if only is None or i in only]
            row = rows[(moment.isoformat(), category)]
            covered = _covered(session, chosen)
            reached = _foreign(session, year, covered) if covered else 0.0
            assert row["population_year"] == year
            assert row["services"] == len(chosen)
            assert row["foreign_residents"] == total
            assert row["services_per_10k"] == round(len(chosen) * 10000 / total, 3)
            assert row["covered_foreign_residents"] == reached
            assert row["coverage_share"] == round(reached / total, 4)
    assert rows[(ROUNDS[2].isoformat(), "*")]["coverage_share"] > 0
    assert rows[(ROUNDS[2].isoformat(), "DOC")]["services"] == 0
    years = {y["year"]: y["foreign_residents"] for y in document["foreign_residents"]}
    assert years == {year: _foreign(session, year) for year in range(2020, 2026)}


def test_trends_csv_and_chart(session: Session, seeded: dict[str, int]) -> None:
    """The CSV holds the same rows; the chart is SVG with one marker per round and line."""
    document = trends.trends(session, "area", AREA, ROUNDS, CATCHMENT_KM, category="LEG")
    lines = trends.trends_csv(document).decode().splitlines()
    assert lines[0].startswith("# ") and lines[1].startswith("date,population_year,category")
    assert len(lines) == 2 + len(ROUNDS) * 2
    assert lines[-1].startswith("2024-12-31,2025,LEG,1,")
    chart = minidom.parseString(trends.trend_chart(document, "services_per_10k"))
    tips = [t.firstChild.data for t in chart.getElementsByTagName("title")]
    assert any(tip.startswith("LEG, 2024-12-31: ") for tip in tips)
    assert len([t for t in tips if ", 20" in t]) == 2 * len(ROUNDS)


def test_trends_refuse_what_they_cannot_answer(session: Session) -> None:
    """Unknown groups are NotFound, a bad date or category names the token."""
    with pytest.raises(NotFound, match="nowhere"):
        trends.trends(session, "area", "nowhere", ROUNDS)
    with pytest.raises(InvalidInput, match="'2024-02-30'"):
        trends.parse_rounds("2024-01-01, 2024-02-30")
    with pytest.raises(InvalidInput, match="'XYZ'"):
        trends.trends(session, "region", "Calabria", ROUNDS, category="XYZ")


def test_trends_api(client, session: Session, seeded: dict[str, int]) -> None:
    """JSON, CSV and SVG answers of /trends/area/{code}; a region by name."""
    query = {"rounds": ",".join(r.isoformat() for r in ROUNDS), "catchment_km": CATCHMENT_KM}
    answer = client.get(f"/trends/area/{AREA}", params=query)
    assert answer.status_code == 200, answer.text
    assert answer.json() == trends.trends(session, "area", AREA, ROUNDS, CATCHMENT_KM)
    csv = client.get(f"/trends/area/{AREA}", params={**query, "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert len(csv.text.splitlines()) == 2 + len(answer.json()["rounds"])
    chart = client.get("/trends/region/Calabria/coverage_share.svg", params=query)
    assert chart.headers["content-type"] == "image/svg+xml"
    minidom.parseString(chart.text)
    bad = client.get(f"/trends/area/{AREA}", params={"rounds": "yesterday"})
    assert bad.status_code == 400 and "'yesterday'" in bad.json()["detail"]


def test_default_rounds_are_year_ends_snapshots_and_today(
    session: Session, seeded: dict[str, int]
) -> None:
    """From the first recorded service (2023): 31 Dec 2023, 2024..., a snapshot day, today."""
    session.execute(text(
        "INSERT INTO ingest_run (source, file_name, file_sha256, status, counts, options, "
        "started_at, finished_at) VALUES ('test', 'f.csv', '0', 'done', '{}', "
        "'{\"snapshot\": true}', :at, :at)"), {"at": "2024-05-20T10:00:00Z"})
    today = date(2026, 3, 1)
    assert trends.default_rounds(session, today) == [
        date(2023, 12, 31), date(2024, 5, 20), date(2024, 12, 31), date(2025, 12, 31), today]


def test_rounds_outside_the_plausible_years_are_refused() -> None:
    """9999-12-31 would overflow the day after: refused by name."""
    with pytest.raises(InvalidInput, match="'9999-12-31'"):
        trends.parse_rounds("2024-12-31,9999-12-31")


def test_trends_today_agree_with_the_coverage_analysis(session: Session) -> None:
    """Today's row (all services, LEG) equals /stats/coverage by=area of the same parameters."""
    from observatory.analysis.parameters import Parameters
    from observatory.analysis.results import group_stats

    (code, lon, lat), second = _comuni(session)[:2]
    add_service(session, lon, lat, name="Oggi", category_code="LEG", municipality_code=code)
    add_service(session, second[1], second[2], name="Oggi 2", category_code="SAN-ASL",
                municipality_code=second[0])
    today = date.today()
    document = trends.trends(session, "area", AREA, [today], CATCHMENT_KM)
    rows = {r["category"]: r for r in document["rounds"]}
    for category in (None, "LEG"):
        stats = group_stats(session, Parameters("coverage", category, catchment_km=CATCHMENT_KM),
                            "area", area=AREA)
        (group,) = stats["groups"]
        row = rows[category or "*"]
        assert row["services"] == group["services"]
        assert row["foreign_residents"] == group["demand"]
        assert row["coverage_share"] == pytest.approx(group["coverage_share"], abs=1e-4)
        assert row["services_per_10k"] == pytest.approx(group["services_per_10k"], abs=1e-3)
