"""Bounded load on loopback: 50 concurrent clients for 30 s on a realistic mix of reads.

The API runs as `observatory serve` does (uvicorn, 2 workers, httptools, uvloop) on a scratch
database with 100k seeded services and stored density and coverage runs; a small asyncio
httpx client keeps 50 requests in flight: OGC items, bbox pages, nearest services, density
and coverage statistics and one coverage map. It prints requests/s, p50 and p99 overall and
per request type, and fails (exit 1) on any error. BENCH_LOAD_SECONDS and BENCH_LOAD_CLIENTS
override the duration and the concurrency.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import time
from collections import defaultdict

import httpx
from bench_api import prepare, serve
from common import scratch_database
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from observatory.analysis.parameters import Parameters
from observatory.analysis.store import run_analysis

SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "30"))
CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", "50"))
# name: (weight, path); bbox and nearest points move around Naples, Bari and Palermo
MIX: dict[str, tuple[int, str]] = {
    "items": (30, "/collections/services/items?limit=100&offset={offset}"),
    "bbox": (25, "/collections/services/items?limit=50&bbox={bbox}"),
    "nearest": (20, "/services/nearest?lat={lat}&lon={lon}&k=10"),
    "density": (10, "/stats/density?by=area"),
    "coverage": (10, "/stats/coverage?by=region"),
    "map": (5, "/maps/basilicata/coverage?tiles=false"),
}
CENTRES = [(40.85, 14.26), (41.12, 16.87), (38.12, 13.36)]


def store_analyses(url: str) -> None:
    """The density and coverage runs the statistics and the map read."""
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        for kind in ("density", "coverage"):
            run_analysis(session, Parameters(kind))
    engine.dispose()


def next_path(rng: random.Random) -> tuple[str, str]:
    """A request type drawn by weight, with its path's placeholders filled."""
    name = rng.choices(list(MIX), weights=[weight for weight, _ in MIX.values()])[0]
    lat, lon = rng.choice(CENTRES)
    lat, lon = lat + rng.uniform(-0.05, 0.05), lon + rng.uniform(-0.05, 0.05)
    bbox = f"{lon - 0.05:.4f},{lat - 0.04:.4f},{lon + 0.05:.4f},{lat + 0.04:.4f}"
    path = MIX[name][1].format(offset=rng.randrange(0, 5000), bbox=bbox, lat=lat, lon=lon)
    return name, path


async def client(base: str, deadline: float, seed: int, latencies: dict, errors: list) -> None:
    """One client: request after request until the deadline, recording each latency."""
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        while time.monotonic() < deadline:
            name, path = next_path(rng)
            started = time.perf_counter()
            try:
                response = await http.get(path)
                if response.status_code != 200:
                    errors.append(f"{path}: {response.status_code} {response.text[:200]}")
            except httpx.HTTPError as error:
                errors.append(f"{path}: {error!r}")
            latencies[name].append((time.perf_counter() - started) * 1000)


async def load(base: str) -> tuple[dict[str, list[float]], list[str], float]:
    """Run the clients; return latencies (ms) per type, errors and the elapsed seconds."""
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    started = time.monotonic()
    deadline = started + SECONDS
    await asyncio.gather(
        *(client(base, deadline, seed, latencies, errors) for seed in range(CLIENTS))
    )
    return latencies, errors, time.monotonic() - started


def percentile(values: list[float], share: float) -> float:
    """The `share` quantile of `values` (inclusive method)."""
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def report(latencies: dict[str, list[float]], errors: list[str], elapsed: float) -> None:
    """Print requests/s, p50 and p99, overall and per request type."""
    every = [value for values in latencies.values() for value in values]
    print(f"\n{CLIENTS} clients, {elapsed:.1f} s, uvicorn 2 workers, {os.cpu_count()} cores")
    print(f"{'request':10} {'count':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, values in [*sorted(latencies.items()), ("all", every)]:
        print(
            f"{name:10} {len(values):>7} {len(values) / elapsed:>8.1f} "
            f"{percentile(values, 0.5):>8.1f} {percentile(values, 0.99):>8.1f}"
        )
    print(f"errors: {len(errors)}")
    for error in errors[:10]:
        print(f"  {error}")


def main() -> int:
    """Prepare the scratch database, serve it, load it, report; 1 on any error."""
    with scratch_database() as url:
        started = time.perf_counter()
        prepare(url)
        store_analyses(url)
        print(f"prepared 100k services and two analyses in {time.perf_counter() - started:.0f} s")
        with serve(["api.main:create_app", "--factory"], {"DATABASE_URL": url}, "/readyz") as base:
            httpx.get(base + MIX["map"][1], timeout=120)  # one worker's first render, unmeasured
            latencies, errors, elapsed = asyncio.run(load(base))
    report(latencies, errors, elapsed)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
