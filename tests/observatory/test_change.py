"""The change between two rounds of a seeded data set equals a hand-computed expectation.

Four comuni X, Y, Z, W of one area, more than 1 km apart, and a catchment of 1 km: a service
at a comune's point covers that comune only. Between 31 Dec 2023 and 31 Dec 2024:
- A (LEG, X) active throughout: unchanged;
- B (SAN-ASL, Y) closed in June 2024: closed, Y loses its coverage (enters a gap);
- C (LEG, Z) opened in March 2024: opened, Z gains;
- E (PRO, W) closed in 2023, reopened in April 2024: opened, W gains;
- F (LEG, in another area, other source) opened in 2024: outside the area's change.
The seeded history lies in 2023-2024; services other tests add are recorded today.
"""

from xml.dom import minidom

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory import change
from observatory.errors import InvalidInput
from tests.helpers import add_service
from tests.observatory.history import backdate

AREA, OTHER_AREA = "crotone", "catanzaro"
FROM, TO = "2023-12-31", "2024-12-31"
CATCHMENT_KM = 1.0


def _points(session: Session, area: str) -> list[tuple[int, float, float]]:
    return session.execute(text(
        "SELECT m.code, ST_X(m.point), ST_Y(m.point) FROM municipality m "
        "JOIN area_municipality a ON a.municipality_code = m.code "
        "WHERE a.area_code = :area ORDER BY m.code"), {"area": area}).all()


@pytest.fixture
def seeded(session: Session) -> dict[str, object]:
    """The services above, with their histories; the comuni codes and foreign residents."""
    comuni = _points(session, AREA)
    (x, y, z, w) = comuni[:4]
    near = session.execute(text(
        "SELECT count(*) FROM municipality a JOIN municipality b ON a.code < b.code "
        "AND ST_DWithin(a.point::geography, b.point::geography, :m) "
        "WHERE a.code = ANY(:codes) OR b.code = ANY(:codes)"),
        {"m": CATCHMENT_KM * 1000 * 2, "codes": [c[0] for c in (x, y, z, w)]}).scalar()
    assert near == 0, "the chosen comuni must be far apart for this hand computation"

    def at(comune: tuple, name: str, category: str, **fields: object) -> int:
        return add_service(session, comune[1], comune[2], name=name, category_code=category,
                           municipality_code=comune[0], **fields).id

    ids = {
        "A": at(x, "A", "LEG"), "B": at(y, "B", "SAN-ASL", status="closed"),
        "C": at(z, "C", "LEG"), "E": at(w, "E", "PRO"),
        "F": at(_points(session, OTHER_AREA)[0], "F", "LEG", source="other"),
    }
    backdate(session, ids["A"], ("2023-01-01", None, "active"))
    backdate(session, ids["B"], ("2023-01-01", "2024-06-01", "active"),
             ("2024-06-01", None, "closed"))
    backdate(session, ids["C"], ("2024-03-01", None, "active"))
    backdate(session, ids["E"], ("2023-01-01", "2023-06-01", "active"),
             ("2023-06-01", "2024-04-01", "closed"), ("2024-04-01", None, "active"))
    backdate(session, ids["F"], ("2024-02-01", None, "active"))
    foreign = dict(session.execute(text(
        "SELECT municipality_code, value FROM population "
        "WHERE indicator = 'foreign_residents' AND year = 2025")).all())
    return {"ids": ids, "codes": {k: c[0] for k, c in zip("XYZW", (x, y, z, w), strict=True)},
            "foreign": foreign, "comuni": len(comuni)}


def test_change_between_two_rounds_is_the_hand_computed_one(
    session: Session, seeded: dict
) -> None:
    """Opened, closed, per category, comuni gained and lost, foreign residents affected."""
    document = change.change(session, FROM, TO, catchment_km=CATCHMENT_KM, area=AREA)
    ids, codes, foreign = seeded["ids"], seeded["codes"], seeded["foreign"]
    assert document["parameters"]["population_year"] == 2025
    assert {(s["id"], s["change"]) for s in document["services"]} == {
        (ids["B"], "closed"), (ids["C"], "opened"), (ids["E"], "opened")}
    states = {int(c["municipality_code"]): c["change"] for c in document["municipalities"]}
    assert len(states) == seeded["comuni"]
    assert {code: state for code, state in states.items() if state != "unchanged"} == {
        codes["Y"]: "lost", codes["Z"]: "gained", codes["W"]: "gained"}
    gained = foreign[codes["Z"]] + foreign[codes["W"]]
    assert document["summary"] == {
        "opened": 2, "closed": 1, "comuni_gained": 2, "comuni_lost": 1,
        "foreign_residents_gained": gained, "foreign_residents_lost": foreign[codes["Y"]],
        "entered_gap": 1, "left_gap": 2,
    }
    (area,) = document["areas"]
    assert area["area"] == AREA and area["opened"] == 2 and area["closed"] == 1
    assert area["categories"] == [
        {"category": "*", "opened": 2, "closed": 1},
        {"category": "LEG", "opened": 1, "closed": 0},
        {"category": "PRO", "opened": 1, "closed": 0},
        {"category": "SAN", "opened": 0, "closed": 1},
    ]


def test_change_of_one_category_and_of_two_snapshot_runs(session: Session, seeded: dict) -> None:
    """LEG only: C opened, Z gained, Y untouched. Two runs of source `test`: F left out."""
    ids, codes = seeded["ids"], seeded["codes"]
    leg = change.change(session, FROM, TO, catchment_km=CATCHMENT_KM, category="LEG", area=AREA)
    assert [(s["id"], s["change"]) for s in leg["services"]] == [(ids["C"], "opened")]
    assert {int(c["municipality_code"]) for c in leg["municipalities"]
            if c["change"] != "unchanged"} == {codes["Z"]}
    runs = [session.execute(text(
        "INSERT INTO ingest_run (source, file_name, file_sha256, status, counts, options, "
        "started_at, finished_at) VALUES ('test', 'f.csv', '0', 'done', '{}', "
        "'{\"snapshot\": true}', :at, :at) RETURNING id"), {"at": at}).scalar()
        for at in ("2023-12-31T12:00:00Z", "2024-12-31T12:00:00Z")]
    everywhere = change.change(session, from_run=runs[0], to_run=runs[1],
                               catchment_km=CATCHMENT_KM)
    listed = {s["id"] for s in everywhere["services"]}
    assert {ids["B"], ids["C"], ids["E"]} <= listed and ids["F"] not in listed
    assert everywhere["parameters"]["source"] == "test"
    with_f = change.change(session, FROM, TO, catchment_km=CATCHMENT_KM, area=OTHER_AREA)
    assert ids["F"] in {s["id"] for s in with_f["services"]}
    with pytest.raises(InvalidInput, match="from is after to"):
        change.change(session, TO, FROM)
    with pytest.raises(InvalidInput, match="both"):
        change.change(session, from_run=runs[0])


def test_change_api(client, session: Session, seeded: dict) -> None:
    """JSON as the module, GeoJSON one feature per comune, CSV of services, the SVG map."""
    query = {"from": FROM, "to": TO, "catchment_km": CATCHMENT_KM, "area": AREA}
    answer = client.get("/change", params=query)
    assert answer.status_code == 200, answer.text
    assert answer.json()["summary"]["comuni_lost"] == 1
    features = client.get("/change", params={**query, "format": "geojson"}).json()
    assert len(features["features"]) == seeded["comuni"]
    assert features["license"] == "CC-BY-4.0"
    rows = client.get("/change", params={**query, "format": "csv", "table": "services"})
    assert len(rows.text.splitlines()) == 2 + 3
    svg = client.get("/change/map.svg", params=query)
    assert svg.headers["content-type"] == "image/svg+xml"
    fills = [p.getAttribute("fill") for p in minidom.parseString(svg.text)
             .getElementsByTagName("path")]
    assert fills.count(change.CHANGE_COLOURS["gained"]) == 2
    assert fills.count(change.CHANGE_COLOURS["lost"]) == 1
    bad = client.get("/change", params={**query, "to": "2024-02-30"})
    assert bad.status_code == 400 and "'2024-02-30'" in bad.json()["detail"]


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "2024-02-30", "ieri"])
def test_an_impossible_moment_is_refused_by_name(session: Session, value: str) -> None:
    """Out-of-range or malformed dates: InvalidInput naming the token, never an overflow."""
    with pytest.raises(InvalidInput, match=f"to '{value}'"):
        change.change(session, FROM, value)
