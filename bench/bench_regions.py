"""`/stats/regions` query time beside `/stats/density`, on the five regions with 20k services.

Residents and foreign residents for two years each (the latest year is what counts), so the
per-indicator latest-year lookup has something to choose from. Median of 20 calls each,
through the API's own query functions on an autocommit psycopg connection. Target: < 50 ms.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from common import load_south, scratch_database
from psycopg import AsyncConnection
from sqlalchemy import create_engine, text

from observatory.db import libpq_url
from observatory.features import spatial
from tests.factories import seed_analysis_run, seed_services

SERVICES = 20_000
CALLS = 20
TARGET_MS = 50

EXTRA_POPULATION = """
INSERT INTO population (municipality_code, year, indicator, value, source)
SELECT municipality_code, year - 1, indicator, value, source FROM population;
INSERT INTO population (municipality_code, year, indicator, value, source)
SELECT municipality_code, year, 'foreign_residents', value / 20, source FROM population
"""


async def median_ms(url: str, call) -> float:
    """Median wall time of CALLS awaits of `call(conn)` on one connection, in ms."""
    async with await AsyncConnection.connect(libpq_url(url), autocommit=True) as conn:
        await call(conn)  # warm the caches
        times = []
        for _ in range(CALLS):
            start = time.perf_counter()
            await call(conn)
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    """Seed a scratch database, then time the two summaries."""
    with scratch_database() as url:
        load_south(url)
        engine = create_engine(url)
        with engine.begin() as conn:
            seed_services(conn, SERVICES)
            seed_analysis_run(conn, "density", "SAN")  # reads the one residents year
            for statement in EXTRA_POPULATION.split(";"):
                conn.execute(text(statement))
            conn.execute(text("ANALYZE"))
        engine.dispose()
        regions = asyncio.run(median_ms(url, spatial.region_summary))
        density = asyncio.run(
            median_ms(url, lambda conn: spatial.analysis_summary(conn, "density", "SAN", "region"))
        )
    verdict = "" if regions < TARGET_MS else " MISSED"
    print(f"/stats/regions  median {regions:7.1f} ms of {CALLS} (target < {TARGET_MS} ms{verdict})")
    print(f"/stats/density  median {density:7.1f} ms of {CALLS}")
    print(f"ratio regions / density: {regions / density:.1f}")


if __name__ == "__main__":
    main()
