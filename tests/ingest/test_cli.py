import os
import subprocess
import sys

from sqlalchemy import create_engine, text

from tests.ingest.helpers import NAPOLI

BIN = [sys.executable, "-c", "from observatory.cli import main; main()"]


def _run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="200", DATABASE_URL=url)
    return subprocess.run([*BIN, *args], capture_output=True, text=True, env=env, check=False)


def test_ingest_prints_summary_writes_report_and_exits_0_with_rejections(database_url, sheet):
    path = sheet([["Sportello", "INF", "Via Roma 1", "Napoli", "NA", *NAPOLI],
                  ["", "INF", "Via Roma 2", "Napoli", "NA", *NAPOLI]], name="cli.csv")
    try:
        result = _run(database_url, "ingest", str(path), "--source", "cli-test")
        assert result.returncode == 0, result.stderr
        assert "inserted" in result.stdout and "rejected" in result.stdout
        assert "row 3: the service has no name" in result.stdout
        report = path.with_name("cli.rejections.csv")
        assert "missing_name" in report.read_text(encoding="utf-8-sig")
        status = _run(database_url, "status")
        assert "services per area" in status.stdout and "INF" in status.stdout
    finally:
        engine = create_engine(database_url)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM service WHERE source = 'cli-test'"))
            conn.execute(text("DELETE FROM ingest_run WHERE source = 'cli-test'"))
        engine.dispose()


def test_ingest_options_reach_the_pipeline(database_url, sheet):
    header = ["Denominazione ASL", "Sede", "Comune", "lat", "lon"]
    caserta_as_napoli = ["ASL", "Via 1", "Napoli", "41,0742", "14,3328"]  # 19 km away
    path = sheet([caserta_as_napoli], header=header, name="opts.csv")
    report = path.parent / "custom-report.csv"
    engine = create_engine(database_url)
    try:
        result = _run(database_url, "ingest", str(path), "--source", "cli-opts",
                      "--map", "Denominazione ASL=name", "--category", "SAN-ASL",
                      "--tolerance-km", "25", "--report", str(report))
        assert result.returncode == 0, result.stderr
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT name, category_code, location_flags FROM service "
                     "WHERE source = 'cli-opts'")
            ).one()
        assert row == ("ASL", "SAN-ASL", ["comune_mismatch"])
        assert report.exists()
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM service WHERE source = 'cli-opts'"))
            conn.execute(text("DELETE FROM ingest_run WHERE source = 'cli-opts'"))
        engine.dispose()


def test_ingest_of_an_unreadable_file_exits_2_with_a_message(database_url, tmp_path):
    path = tmp_path / "survey.xlsx"
    path.write_bytes(b"this is not a workbook")
    result = _run(database_url, "ingest", str(path))
    assert result.returncode == 2
    assert "not a readable Excel workbook" in result.stderr
