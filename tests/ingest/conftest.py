"""Fixtures of the ingest tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.helpers import write_sheet


@pytest.fixture
def sheet(tmp_path: Path):
    """Write a sheet in the test's folder: sheet(rows, name=..., header=..., ...)."""

    def write(rows: list[list[str]], name: str = "sheet.csv", **kwargs) -> Path:
        return write_sheet(tmp_path / name, rows, **kwargs)

    return write
