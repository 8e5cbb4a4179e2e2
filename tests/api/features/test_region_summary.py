"""`/stats/regions`: one pass per table (no per-row subquery) and the latest year per indicator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from observatory.db import libpq_url
from observatory.features.base import REGION_CODE, where_clause
from observatory.features.spatial import REGION_SUMMARY


def _statement(region: bool) -> sql.Composed:
    conditions = [sql.SQL("r.code = {}").format(REGION_CODE)] if region else []
    return REGION_SUMMARY.format(where=where_clause(conditions))


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


@pytest.fixture
def conn(api_database_url: str) -> Iterator[psycopg.Connection]:
    """A connection on the API database whose changes are rolled back."""
    with psycopg.connect(libpq_url(api_database_url)) as connection:
        yield connection
        connection.rollback()


@pytest.mark.parametrize("region", [None, "campania"])
def test_plan_has_no_subplan_and_scans_population_once_per_query(conn, region):
    explain = sql.SQL("EXPLAIN (ANALYZE, FORMAT JSON) ") + _statement(region is not None)
    plan = conn.execute(explain, {"region": region}).fetchone()[0][0]["Plan"]
    nodes = list(_nodes(plan))
    subplans = [node["Node Type"] for node in nodes if node.get("Parent Relationship") == "SubPlan"]
    assert subplans == []
    population = [node for node in nodes if node.get("Relation Name") == "population"]
    assert population and all(node["Actual Loops"] == 1 for node in population)


def test_population_of_the_latest_year_of_each_indicator(conn):
    conn.execute("DELETE FROM population WHERE indicator = 'foreign_residents'")
    latest = conn.execute("SELECT max(year) FROM population WHERE indicator = 'residents'")
    year = latest.fetchone()[0]
    insert = (
        "INSERT INTO population (municipality_code, year, indicator, value, source) "
        "SELECT municipality_code, year - %(back)s, %(indicator)s, %(value)s, source "
        "FROM population WHERE year = %(year)s AND indicator = 'residents'"
    )
    for back, indicator, value in [
        (1, "residents", 10**7), (3, "foreign_residents", 7), (4, "foreign_residents", 1000)
    ]:
        conn.execute(insert, {"back": back, "indicator": indicator, "value": value, "year": year})
    expected = dict(
        conn.execute(
            "SELECT m.region_code, sum(p.value) FROM population p "
            "JOIN municipality m ON m.code = p.municipality_code "
            "WHERE p.indicator = 'residents' AND p.year = %(year)s GROUP BY 1",
            {"year": year},
        ).fetchall()
    )
    comuni = dict(
        conn.execute("SELECT region_code, count(*) FROM municipality GROUP BY 1").fetchall()
    )
    regions = conn.execute(_statement(False), {"region": None}).fetchone()[0]
    assert [r["code"] for r in regions] == sorted(expected)
    for region in regions:
        assert region["residents"] == expected[region["code"]]
        assert region["foreign_residents"] == 7 * comuni_with_population(conn, region["code"])
        assert region["municipalities"] == comuni[region["code"]]


def comuni_with_population(conn: psycopg.Connection, region_code: int) -> int:
    """Comuni of the region with a residents row (each got a foreign_residents row of 7)."""
    return conn.execute(
        "SELECT count(DISTINCT p.municipality_code) FROM population p "
        "JOIN municipality m ON m.code = p.municipality_code "
        "WHERE m.region_code = %(region)s AND p.indicator = 'residents'",
        {"region": region_code},
    ).fetchone()[0]
