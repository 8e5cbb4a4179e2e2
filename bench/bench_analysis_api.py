"""Analysis API: the first (computing) and a repeated (stored) request, 3,000 and 30,000 services.

A real server (`observatory serve`, 2 workers) on a scratch database with the five regions.
For each service count: `/stats/density?by=region&region=campania` (demand foreign residents,
the default), the gap file and the gap map of one region are asked after a change of the data
(so they compute), then repeated at concurrency 8 (stored). Targets (issue 12): computing < 1 s,
stored p99 < 50 ms at concurrency 8. BENCH_ANALYSIS_REQUESTS (default 400) stored requests.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from common import load_south, scratch_database
from sqlalchemy import create_engine, text

from tests.clusters import free_port
from tests.factories import seed_services

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = int(os.environ.get("BENCH_ANALYSIS_REQUESTS", "400"))
COMPUTE_ROUNDS = 5
CONCURRENCY = 8
ASKED = {
    "region density": "/stats/density?by=region&region=campania",
    "region gap file": "/exports/gaps/SAN?region=basilicata",
    "region gap map": "/maps/basilicata/gaps?category=SAN",
}


def touch(url: str) -> None:
    """Change one service (so the data version moves and the next request computes)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE service SET updated_at = now() WHERE id = (SELECT min(id) "
                          "FROM service)"))
    engine.dispose()


def computing(client: httpx.Client, url: str, path: str) -> list[float]:
    """Seconds of the first request after each of COMPUTE_ROUNDS data changes."""
    times = []
    for _ in range(COMPUTE_ROUNDS):
        touch(url)
        start = time.perf_counter()
        client.get(path).raise_for_status()
        times.append(time.perf_counter() - start)
    return times


async def stored(base: str, path: str) -> list[float]:
    """Latency of REQUESTS repeated requests, CONCURRENCY at a time."""
    latencies: list[float] = []
    queue = iter(range(REQUESTS))

    async def worker(client: httpx.AsyncClient) -> None:
        for _ in queue:
            start = time.perf_counter()
            (await client.get(path)).raise_for_status()
            latencies.append(time.perf_counter() - start)

    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        await client.get(path)
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
    return latencies


def p99(values: list[float]) -> float:
    """The 99th percentile."""
    return statistics.quantiles(values, n=100)[98]


def main() -> None:
    """Print the figures for 3,000 and 30,000 services."""
    with scratch_database() as url:
        load_south(url)
        port = free_port()
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/observatory"), "serve", "--port", str(port), "--workers", "2"],
            cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                for _ in range(200):
                    try:
                        if client.get("/healthz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    time.sleep(0.2)
                seeded = 0
                for services in (3_000, 30_000):
                    engine = create_engine(url)
                    with engine.begin() as conn:
                        seeded += seed_services(conn, services - seeded, seed=services,
                                                prefix=f"b{services}")
                    engine.dispose()
                    for name, path in ASKED.items():
                        first = computing(client, url, path)
                        again = asyncio.run(stored(base, path))
                        print(f"{services:>6} services, {name}: computing median "
                              f"{statistics.median(first) * 1000:.0f} ms (max "
                              f"{max(first) * 1000:.0f}); stored p50 "
                              f"{statistics.median(again) * 1000:.1f} ms, p99 "
                              f"{p99(again) * 1000:.1f} ms at concurrency {CONCURRENCY}",
                              flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
