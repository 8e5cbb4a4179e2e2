"""Analyses and exports as of a date read the services as they were then."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from observatory.analysis.parameters import Parameters
from observatory.analysis.store import run_analysis
from observatory.cli import app
from observatory.errors import InvalidInput
from tests.helpers import run_cli

SOURCE = "as-of-test"
INSERT = text(
    "INSERT INTO service (source, source_key, name, category_code, geom, municipality_code, "
    "geocode_precision, geocode_source) VALUES (:source, :key, :key, 'LEG', "
    "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :comune, 'provided', 'test')"
)
NAPOLI, SALERNO = (63049, 14.2681, 40.8518), (65116, 14.7681, 40.6824)


@pytest.fixture
def two_rounds(database_url):
    """Round 1: two LEG services in Napoli; round 2: one closed, two opened in Salerno.

    Yields the engine and an instant between the rounds (ISO, UTC).
    """
    engine = create_engine(database_url)

    def add(conn, key: str, place: tuple[int, float, float]) -> None:
        comune, lon, lat = place
        conn.execute(INSERT, {"source": SOURCE, "key": key, "lon": lon, "lat": lat,
                              "comune": comune})

    try:
        with engine.begin() as conn:
            add(conn, "napoli-1", NAPOLI)
            add(conn, "napoli-2", NAPOLI)
        with engine.connect() as conn:
            between = conn.execute(text(
                "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
            )).scalar_one()
        with engine.begin() as conn:
            conn.execute(text("UPDATE service SET status = 'closed' WHERE source = :s "
                              "AND source_key = 'napoli-2'"), {"s": SOURCE})
            add(conn, "salerno-1", SALERNO)
            add(conn, "salerno-2", SALERNO)
        yield engine, between
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM service WHERE source = :s"), {"s": SOURCE})
        engine.dispose()


def _per_comune(session: Session, run_id: int) -> dict[int, int]:
    rows = session.execute(text(
        "SELECT municipality_code, services_count FROM analysis_result "
        "WHERE run_id = :id AND services_count > 0"
    ), {"id": run_id}).all()
    return dict(rows)


def test_an_analysis_as_of_a_date_counts_the_supply_of_then(two_rounds):
    engine, between = two_rounds
    with Session(engine) as session:
        now = run_analysis(session, Parameters("density", "LEG"))
        then = run_analysis(session, Parameters("density", "LEG", as_of=between))
        session.commit()
        assert _per_comune(session, now.id) == {NAPOLI[0]: 1, SALERNO[0]: 2}
        assert _per_comune(session, then.id) == {NAPOLI[0]: 2}
        assert then.parameters["as_of"] == between and "as_of" not in now.parameters
        assert then.parameters_hash != now.parameters_hash
        again = run_analysis(session, Parameters("density", "LEG", as_of=between))
        assert again.id == then.id  # stored, keyed by its instant
        coverage = run_analysis(
            session, Parameters("coverage", "LEG", catchment_km=5, as_of=between)
        )
        session.commit()
        assert coverage.summary["services"] == 2


def test_as_of_a_date_before_any_service_has_no_supply_and_bad_dates_are_refused(two_rounds):
    engine, _ = two_rounds
    with Session(engine) as session:
        run = run_analysis(session, Parameters("density", "LEG", as_of="2001-01-01"))
        session.rollback()
        assert run.summary["services"] == 0
    with pytest.raises(InvalidInput, match="as_of 'ieri'"):
        Parameters("density", as_of="ieri")
    assert Parameters("density", as_of="2025-03-14").as_of == "2025-03-14T22:59:59.999999Z"


def test_cli_as_of_gives_the_earlier_supply(two_rounds, monkeypatch, capsys, tmp_path):
    engine, between = two_rounds
    monkeypatch.setattr(
        "observatory.db.new_session", lambda: Session(engine, expire_on_commit=False)
    )
    runner = CliRunner()
    earlier = runner.invoke(app, ["analyze", "density", "--region", "campania", "--category",
                                  "LEG", "--as-of", between])
    assert earlier.exit_code == 0, earlier.output
    assert f"2 services, as of {between}" in earlier.output
    current = runner.invoke(app, ["analyze", "density", "--region", "campania", "--category",
                                  "LEG"])
    assert "3 services" in current.output and "as of" not in current.output
    out = tmp_path / "services.geojson"
    exported = runner.invoke(app, ["export", "services", "--category", "LEG", "--as-of",
                                   between, "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    names = sorted(f["properties"]["name"] for f in json.loads(out.read_text())["features"])
    assert names == ["napoli-1", "napoli-2"]
    code, _, err = run_cli(monkeypatch, capsys, "analyze", "density", "--as-of", "2025-13-01")
    assert code == 2 and "as_of '2025-13-01': not a calendar date" in err


def test_analysis_api_as_of(two_rounds, client):
    _, between = two_rounds
    params = {"category": "LEG", "by": "region", "region": "campania"}
    earlier = client.get("/stats/density", params={**params, "as_of": between})
    assert earlier.status_code == 200, earlier.text
    body = earlier.json()
    assert body["parameters"]["as_of"] == between
    assert sum(group["services"] for group in body["groups"]) == 2
    current = client.get("/stats/density", params=params).json()
    assert sum(group["services"] for group in current["groups"]) == 3
    bad = client.get("/stats/density", params={**params, "as_of": "2025-01-01/.."})
    assert bad.status_code == 400 and "not an interval" in bad.text
