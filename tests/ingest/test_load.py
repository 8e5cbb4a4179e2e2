import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import ingest.pipeline
from ingest.pipeline import IngestOptions, ingest_file
from tests.ingest.helpers import NAPOLI

ROWS = [[f"Sportello {n}", "INF", f"Via Roma {n}", "Napoli", "NA", *NAPOLI] for n in range(50)]


def _count(engine, source: str) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(text("SELECT count(*) FROM service WHERE source = :s"), {"s": source})
            .scalar_one(),
            conn.execute(text("SELECT count(*) FROM ingest_run WHERE source = :s"), {"s": source})
            .scalar_one(),
        )


def test_connection_killed_mid_run_leaves_nothing_and_the_next_run_succeeds(
    database_url, sheet, monkeypatch
):
    engine = create_engine(database_url)
    path = sheet(ROWS)
    options = IngestOptions(source="killed")
    store_rejections = ingest.pipeline.store_rejections

    def kill_then_store(session, run_id, records):
        """The services are loaded by now: kill this backend from another connection."""
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert session.execute(
            text("SELECT count(*) FROM service WHERE source = 'killed'")
        ).scalar_one() == len(ROWS)
        with engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        store_rejections(session, run_id, records)

    monkeypatch.setattr(ingest.pipeline, "store_rejections", kill_then_store)
    try:
        with pytest.raises(OperationalError), Session(engine) as session, session.begin():
            ingest_file(session, path, options)
        assert _count(engine, "killed") == (0, 0)

        monkeypatch.setattr(ingest.pipeline, "store_rejections", store_rejections)
        with Session(engine) as session, session.begin():
            report = ingest_file(session, path, options)
        assert report.counts["inserted"] == len(ROWS)
        assert _count(engine, "killed") == (len(ROWS), 1)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM service WHERE source = 'killed'"))
            conn.execute(text("DELETE FROM ingest_run WHERE source = 'killed'"))
        engine.dispose()
