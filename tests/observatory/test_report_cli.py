"""`observatory report area` and `observatory export change` on the test database."""

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli


def test_report_area_writes_html_and_refuses_other_suffixes(
    use_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture,
    tmp_path: Path,
) -> None:
    """The HTML report of an area is written; a .docx is refused by name (exit 2)."""
    out = tmp_path / "crotone.html"
    code, stdout, _ = run_cli(monkeypatch, capsys, "report", "area", "crotone", "--out", str(out))
    assert code == 0 and str(out) in stdout
    assert "Crotone" in out.read_text() and "<svg" in out.read_text()
    code, _, stderr = run_cli(monkeypatch, capsys, "report", "area", "crotone", "--out",
                              str(tmp_path / "x.docx"))
    assert code == 2 and "x.docx" in stderr


def test_export_change_writes_json_csv_and_geojson(
    use_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture,
    tmp_path: Path,
) -> None:
    """The same change in three files; a missing --to is an error naming it."""
    args = ["export", "change", "--from", "2023-12-31", "--to", "2024-12-31", "--area", "crotone"]
    for name in ("c.json", "c.csv", "c.geojson"):
        code, stdout, _ = run_cli(monkeypatch, capsys, *args, "--out", str(tmp_path / name))
        assert code == 0 and "opened" in stdout
    document = json.loads((tmp_path / "c.json").read_text())
    features = json.loads((tmp_path / "c.geojson").read_text())["features"]
    rows = (tmp_path / "c.csv").read_text().splitlines()
    assert len(features) == len(document["municipalities"]) == len(rows) - 2
    assert document["license"] == "CC-BY-4.0"
    code, _, stderr = run_cli(monkeypatch, capsys, *args[:4], "--out", str(tmp_path / "x.csv"))
    assert code == 2 and "to" in stderr
