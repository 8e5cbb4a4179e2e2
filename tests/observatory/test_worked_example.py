"""The worked example of docs/analysis.md, computed through the code: the tables must hold."""

import math
import re

import numpy as np
import pandas as pd
import pytest

from observatory.analysis.compute import compute
from observatory.analysis.distances import GEOD
from observatory.analysis.parameters import Parameters
from observatory.analysis.summary import summarise
from observatory.settings import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "analysis.md"
LON, LAT = 15.0, 40.0
SERVICES_KM = {1: (12.0, 1001), 2: (33.0, 1002)}  # km north of A, comune it stands in


def _table(marker: str) -> list[dict[str, str]]:
    """The markdown table after `<!-- worked-example {marker} -->`."""
    text = DOC.read_text(encoding="utf-8").split(f"<!-- worked-example {marker} -->", 1)[1]
    lines = []
    for line in text.strip().splitlines():
        if not line.startswith("|"):
            break
        lines.append(line)
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    return [dict(zip(rows[0], row, strict=True)) for row in rows[2:]]


def _number(cell: str) -> float:
    return math.nan if cell == "—" else float(cell)


def _north(km: float) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(LON, LAT, 0.0, km * 1000)
    return float(lon), float(lat)


@pytest.fixture(scope="module")
def example():
    """The example's comuni and services, and the per-comune results of a gaps run."""
    comuni = _table("comuni")
    points = [_north(float(row["km north of A"])) for row in comuni]
    municipalities = pd.DataFrame(
        {
            "name": [row["comune"] for row in comuni],
            "lon": [p[0] for p in points],
            "lat": [p[1] for p in points],
            "area_km2": [float(row["km²"]) for row in comuni],
            "residents": [10_000.0, 20_000.0, 500.0],
            "foreign_residents": [float(row["foreign residents"]) for row in comuni],
            "area": "example",
        },
        index=pd.Index([1001, 1002, 1003], name="code"),
    )
    municipalities.attrs |= {"residents_year": 2023, "foreign_residents_year": 2025}
    located = [_north(km) for km, _ in SERVICES_KM.values()]
    services = pd.DataFrame({
        "id": list(SERVICES_KM), "lon": [p[0] for p in located], "lat": [p[1] for p in located],
        "capacity": np.nan, "municipality_code": [code for _, code in SERVICES_KM.values()],
    })
    params = Parameters("gaps", demand="foreign_residents", catchment_km=20.0,
                        threshold_per_10k=3.0)
    results = compute(municipalities, services, params).results
    return comuni, results.assign(
        area="example", name=municipalities["name"], area_km2=municipalities["area_km2"]
    )


def test_the_comuni_table_is_what_the_code_computes(example):
    comuni, results = example
    for row, (_, got) in zip(comuni, results.iterrows(), strict=True):
        expected = {
            "services": got["services_count"],
            "per 10k foreign": got["per_10k_foreign_residents"],
            "per 100 km²": got["per_100km2"],
            "nearest km": got["nearest_km"],
            "within 20 km": got["services_within"],
            "access per 10k": got["access_per_10k"],
        }
        for column, value in expected.items():
            assert _number(row[column]) == pytest.approx(float(value), abs=5e-5, nan_ok=True), (
                row["comune"], column)
        assert (row["gap"] == "yes") == bool(got["is_gap"])
        assert _number(row["gap_rank"]) == pytest.approx(
            math.nan if got["gap_rank"] is None else got["gap_rank"], nan_ok=True)


def test_the_area_table_is_what_the_summary_computes(example):
    _, results = example
    (area,) = _table("area")
    got = summarise(results, "area").loc["example"]
    assert _number(area["demand"]) == got["demand"]
    assert _number(area["services"]) == got["services_count"]
    assert _number(area["per 10k foreign"]) == pytest.approx(got["per_10k_foreign_residents"])
    assert _number(area["per 100 km²"]) == pytest.approx(got["per_100km2"], abs=5e-5)
    assert _number(area["coverage share"]) == got["coverage_share"]
    assert _number(area["unserved comuni"]) == got["unserved_comuni"]
    assert _number(area["people affected"]) == got["people_affected"]
    weighted = (results["access_per_10k"] * results["demand"]).sum() / results["demand"].sum()
    assert weighted == pytest.approx(5.0)
    assert re.search(r"access per 10,000, demand-weighted: .* = 5\.", DOC.read_text())
