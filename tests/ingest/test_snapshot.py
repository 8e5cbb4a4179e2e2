"""Lifecycle: snapshots close and reopen services, verification dates, history as of a date."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from ingest.dates import parse_date
from ingest.pipeline import IngestOptions, ingest_file
from observatory.errors import InvalidInput
from tests.ingest.helpers import HEADER, NAPOLI, run

ROWS = [
    ["Sportello A", "INF", "Via Roma 1", "Napoli", "NA", *NAPOLI],
    ["Sportello B", "LEG", "Via Po 1", "Bari", "BA", "", ""],
    ["Sportello C", "SAN-CON", "Via Etnea 2", "Catania", "CT", "", ""],
]


def _states(session: Session, source: str) -> dict[str, tuple[str, bool]]:
    """name -> (status, has closed_at) of the source's services."""
    rows = session.execute(
        text("SELECT name, status, closed_at FROM service WHERE source = :s"), {"s": source}
    ).all()
    return {row.name: (row.status, row.closed_at is not None) for row in rows}


def test_a_snapshot_closes_what_the_file_no_longer_lists_and_reopens_what_comes_back(
    session, sheet
):
    run(session, sheet(ROWS), "snap")
    without_b = run(session, sheet([ROWS[0], ROWS[2]]), "snap", snapshot=True)
    assert without_b.counts["closed"] == 1 and without_b.counts["absent_from_file"] == 1
    assert [c["name"] for c in without_b.closed] == ["Sportello B"]
    assert _states(session, "snap") == {
        "Sportello A": ("active", False), "Sportello B": ("closed", True),
        "Sportello C": ("active", False),
    }
    # not a snapshot: nothing closes; a closed service is not counted absent
    partial = run(session, sheet([ROWS[0]]), "snap")
    assert partial.counts["closed"] == 0 and partial.counts["absent_from_file"] == 1
    assert _states(session, "snap")["Sportello C"] == ("active", False)
    back = run(session, sheet(ROWS), "snap", snapshot=True)
    assert (back.counts["reopened"], back.counts["closed"], back.counts["inserted"]) == (1, 0, 0)
    assert back.counts["updated"] == 0  # same content: reopened, not updated
    assert set(_states(session, "snap").values()) == {("active", False)}
    run_counts = session.execute(
        text("SELECT counts FROM ingest_run WHERE id = :id"), {"id": without_b.run_id}
    ).scalar_one()
    assert run_counts["closed"] == 1


def test_a_snapshot_keeps_a_service_whose_row_was_refused_this_time(session, sheet):
    run(session, sheet(ROWS), "snap-refused")
    broken = [ROWS[0], ["Sportello B", "LEG", "Via Po 1", "Bari", "BA", "91,0", "16,8"], ROWS[2]]
    report = run(session, sheet(broken), "snap-refused", snapshot=True)
    assert report.counts["rejected"] == 1 and report.counts["closed"] == 0
    with pytest.raises(InvalidInput, match="would close every service"):
        run(session, sheet([broken[1]]), "snap-refused", snapshot=True)


def test_last_verified_comes_from_the_sheet_else_the_ingest_date(session, sheet):
    header = [*HEADER, "Data verifica"]
    rows = [[*ROWS[0], "14/03/2025"], [*ROWS[1], ""], [*ROWS[2], "l'anno scorso"]]
    report = run(session, sheet(rows, header=header), "verified")
    stored = dict(session.execute(
        text("SELECT name, last_verified FROM service WHERE source = 'verified'")
    ).all())
    assert stored == {
        "Sportello A": date(2025, 3, 14), "Sportello B": date.today(),
        "Sportello C": date.today(),
    }
    assert report.counts["unparsed_last_verified"] == 1
    rows[0][-1] = "2 aprile 2025"
    again = run(session, sheet(rows, header=header), "verified")
    assert (again.counts["updated"], again.counts["unchanged"]) == (0, 3)  # only verified
    assert session.execute(
        text("SELECT last_verified FROM service WHERE name = 'Sportello A' AND source = 'verified'")
    ).scalar_one() == date(2025, 4, 2)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("14/03/2025", date(2025, 3, 14)), ("4-3-25", date(2025, 3, 4)),
        ("14.03.2025", date(2025, 3, 14)), ("2025-03-14", date(2025, 3, 14)),
        ("2025-03-14T00:00:00", date(2025, 3, 14)), ("14 marzo 2025", date(2025, 3, 14)),
        ("1° dic. 2024", date(2024, 12, 1)), ("Settembre 2024", date(2024, 9, 1)),
        ("03/2025", date(2025, 3, 1)), ("31/02/2025", None), ("ieri", None), ("", None),
    ],
)
def test_dates_as_written_in_italian_sheets(written, expected):
    assert parse_date(written) == expected


def _registry(engine, source: str, at: str | None = None) -> dict[str, tuple]:
    """name -> (category, comune, status) of the source's public registry, now or as of `at`."""
    relation = "service_public" if at is None else "service_public_as_of(CAST(:at AS timestamptz))"
    with engine.connect() as conn:
        rows = conn.execute(
            text(f"SELECT name, category_code, municipality_code, status "  # noqa: S608
                 f"FROM {relation} WHERE source = :s"), {"s": source, "at": at}
        ).all()
    return {row.name: tuple(row[1:]) for row in rows}


def test_the_registry_as_of_a_date_is_what_was_loaded_then(database_url, sheet):
    engine = create_engine(database_url)
    source = "rounds"

    def ingest(rows: list[list[str]], snapshot: bool = False) -> None:
        with Session(engine) as session, session.begin():
            ingest_file(session, sheet(rows), IngestOptions(source=source, snapshot=snapshot))

    def now() -> str:
        with engine.connect() as conn:
            return conn.execute(text("SELECT now()::text")).scalar_one()

    try:
        before = now()
        ingest(ROWS)
        round_1 = _registry(engine, source)
        after_1 = now()
        changed = [ROWS[0], [*ROWS[1][:1], "SAN-CON", *ROWS[1][2:]]]  # B recategorised, C gone
        ingest(changed, snapshot=True)
        round_2 = _registry(engine, source)
        after_2 = now()
        ingest(ROWS, snapshot=True)  # round 3: C comes back
        assert round_1 != round_2 and round_2["Sportello C"][2] == "closed"
        assert _registry(engine, source, before) == {}
        assert _registry(engine, source, after_1) == round_1
        assert _registry(engine, source, after_2) == round_2
        assert _registry(engine, source, now()) == _registry(engine, source) == round_1
        with engine.connect() as conn:
            during = conn.execute(text(
                "SELECT name, category_code FROM service_public_during(CAST(:lo AS timestamptz), "
                "CAST(:hi AS timestamptz)) WHERE source = :s ORDER BY name"
            ), {"lo": after_1, "hi": after_2, "s": source}).all()
            versions = conn.execute(text(
                "SELECT count(*) FROM service_version v JOIN service s ON s.id = v.service_id "
                "WHERE s.source = :s"
            ), {"s": source}).scalar_one()
        # C was open at after_1, within the interval; B in its latest state of the interval
        assert [tuple(row) for row in during] == [
            ("Sportello A", "INF"), ("Sportello B", "SAN-CON"), ("Sportello C", "SAN-CON"),
        ]
        assert versions == 3 + 2 + 2  # inserted; B changed, C closed; B back, C reopened
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM service WHERE source = :s"), {"s": source})
            conn.execute(text("DELETE FROM ingest_run WHERE source = :s"), {"s": source})
        engine.dispose()
