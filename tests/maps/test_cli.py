"""`observatory maps render` as a user runs it (a subprocess on the committed test data)."""

import json
import os
import subprocess
import sys

from tests.helpers import run_sql

BIN = [sys.executable, "-c", "from observatory.cli import main; main()"]


def _run(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="200", DATABASE_URL=database_url)
    return subprocess.run([*BIN, *args], capture_output=True, text=True, env=env, check=False)


def test_render_area_writes_both_maps_and_the_index(database_url, tmp_path):
    # API requests of earlier tests compute and store runs (by design): start without any
    run_sql(database_url, "DELETE FROM analysis_run RETURNING id")
    result = _run(
        "maps", "render", "--area", "napoli", "--no-tiles", "--out-dir", str(tmp_path),
        database_url=database_url,
    )
    assert result.returncode == 0, result.stderr
    for name in ("campania/napoli/coverage.html", "campania/napoli/gaps.html", "index.html"):
        assert (tmp_path / name).is_file()
    coverage = (tmp_path / "campania/napoli/coverage.html").read_text(encoding="utf-8")
    assert "<dt>Bacino (km)</dt><dd>20,0</dd>" in coverage  # computed with the defaults
    assert "tile.openstreetmap.org" not in coverage
    manifest = json.loads((tmp_path / "maps.json").read_text(encoding="utf-8"))
    assert {entry["kind"] for entry in manifest} == {"coverage", "gaps"}


def test_render_unknown_area_exits_2(database_url, tmp_path):
    result = _run("maps", "render", "--area", "atlantide", "--out-dir", str(tmp_path),
                  database_url=database_url)
    assert result.returncode == 2
    assert "unknown area 'atlantide'" in result.stderr


def test_render_help_names_the_options(database_url):
    result = _run("maps", "render", "--help", database_url=database_url)
    assert result.returncode == 0
    for option in ("--region", "--all", "--area", "--category", "--lang", "--out-dir", "--tiles",
                   "--demand", "--catchment-km", "--method", "--supply", "--every-category"):
        assert option in result.stdout
