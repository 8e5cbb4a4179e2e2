"""OGC `datetime` on the services items: the interval syntax of OGC API - Features Core, and
the services valid at that instant or during that interval; closed services leave the items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from observatory.errors import InvalidInput
from observatory.temporal import parse_as_of, parse_datetime
from tests.helpers import assert_problem, assert_valid_feature_collection

ITEMS = "/collections/services/items"
SPOT = (15.123456, 40.123456)
BBOX = f"{SPOT[0] - 1e-5},{SPOT[1] - 1e-5},{SPOT[0] + 1e-5},{SPOT[1] + 1e-5}"
INSERT = text(
    "INSERT INTO service (source, source_key, name, category_code, geom, geocode_precision, "
    "geocode_source, last_verified) VALUES ('datetime-test', :key, :name, 'INF', "
    "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 'provided', 'test', :verified)"
)


@pytest.mark.parametrize(
    ("value", "lo", "hi"),
    [
        ("2025-03-14T10:00:00Z", "2025-03-14T10:00:00+00:00", "2025-03-14T10:00:00+00:00"),
        ("2025-03-14", "2025-03-13T23:00:00+00:00", "2025-03-14T22:59:59.999999+00:00"),
        ("2025-01-01/..", "2024-12-31T23:00:00+00:00", None),
        ("2025-01-01/", "2024-12-31T23:00:00+00:00", None),
        ("../2025-06-30", None, "2025-06-30T21:59:59.999999+00:00"),
        ("/2025-06-30T12:00:00+02:00", None, "2025-06-30T10:00:00+00:00"),
        ("2025-01-01T00:00:00Z/2025-06-30T00:00:00Z",
         "2025-01-01T00:00:00+00:00", "2025-06-30T00:00:00+00:00"),
    ],
)
def test_datetime_follows_the_ogc_interval_syntax(value, lo, hi):
    interval = parse_datetime(value)
    as_text = [None if t is None else t.astimezone(UTC).isoformat() for t in (interval.lo,
                                                                              interval.hi)]
    assert as_text == [lo, hi]
    assert (interval.instant is not None) == (value == "2025-03-14T10:00:00Z")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("yesterday", "'yesterday': not an RFC 3339 date"),
        ("2025-02-30", "'2025-02-30': not a calendar date"),
        ("2025-03-14T10:00:00", "needs its time zone"),
        ("../..", "at least one end"),
        ("/", "at least one end"),
        ("2025-06-30/2025-01-01", "the start is after the end"),
        ("2025-01-01/2025-02-01/2025-03-01", "one '/'"),
        ("2025-01-01/nope", "'nope'"),
    ],
)
def test_bad_datetime_is_400_naming_the_token(api_client, value, fragment):
    with pytest.raises(InvalidInput, match=fragment.replace("(", r"\(")):
        parse_datetime(value)
    response = api_client.get(ITEMS, params={"datetime": value})
    assert_problem(response, 400, fragment)


def test_datetime_on_a_collection_without_history_is_400(api_client):
    response = api_client.get("/collections/regions/items", params={"datetime": "2025-01-01"})
    assert_problem(response, 400, "no history")


def test_as_of_a_date_is_the_end_of_that_day_in_italy():
    assert parse_as_of("2025-03-14").astimezone(UTC).isoformat() == (
        "2025-03-14T22:59:59.999999+00:00"
    )
    with pytest.raises(InvalidInput, match="not an interval"):
        parse_as_of("2025-01-01/..")


def test_items_at_an_instant_or_during_an_interval(api_client, api_database_url):
    engine = create_engine(api_database_url)

    def now() -> datetime:
        with engine.connect() as conn:
            return conn.execute(text("SELECT now()")).scalar_one()

    def names(**params) -> list[str]:
        response = api_client.get(ITEMS, params={"bbox": BBOX, "limit": 100, **params})
        assert response.status_code == 200, response.text
        body = response.json()
        assert_valid_feature_collection(body)
        return sorted(f["properties"]["name"] for f in body["features"])

    old = (datetime.now(UTC) - timedelta(days=800)).date()
    try:
        start = now()
        with engine.begin() as conn:
            conn.execute(INSERT, {"key": "a", "name": "A", "lon": SPOT[0], "lat": SPOT[1],
                                  "verified": old})
            conn.execute(INSERT, {"key": "b", "name": "B", "lon": SPOT[0], "lat": SPOT[1],
                                  "verified": None})
        first = now()
        with engine.begin() as conn:
            conn.execute(text("UPDATE service SET status = 'closed' "
                              "WHERE source = 'datetime-test' AND source_key = 'b'"))
            conn.execute(text("UPDATE service SET name = 'A2' "
                              "WHERE source = 'datetime-test' AND source_key = 'a'"))
        second = now()

        def iso(moment: datetime) -> str:
            return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

        assert names() == ["A2"]  # the closed service left the current items
        assert names(datetime=iso(start)) == []
        assert names(datetime=iso(first)) == ["A", "B"]
        assert names(datetime=iso(second)) == ["A2"]
        assert names(datetime=f"{iso(first)}/{iso(second)}") == ["A2", "B"]  # B open at first
        assert names(datetime=f"../{iso(first)}") == ["A", "B"]
        assert names(datetime=f"{iso(second)}/..") == ["A2"]
        with engine.connect() as conn:
            open_then = conn.execute(text(
                "SELECT count(*) FROM service_public_as_of(:at) s WHERE s.status <> 'closed'"
            ), {"at": first}).scalar_one()
        counted = api_client.get(ITEMS, params={"datetime": iso(first), "limit": 1}).json()
        assert counted["numberMatched"] == open_then and counted["numberReturned"] == 1
        current = api_client.get(ITEMS, params={"bbox": BBOX}).json()["features"][0]
        assert current["properties"]["stale"] is True  # verified 800 days ago
        assert current["properties"]["last_verified"] == old.isoformat()
        closed_id = current["id"] + 1  # B, inserted after A
        assert api_client.get(f"{ITEMS}/{closed_id}").status_code == 404
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM service WHERE source = 'datetime-test'"))
        engine.dispose()
