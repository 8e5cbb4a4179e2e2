"""API requests/s and latency beside tipg, both serving the same 100k-service table.

Both servers run under uvicorn with 2 workers (httptools, uvloop, no access log) on loopback;
wrk measures each request type at concurrency 1 and 8, alternating the two servers (each run
starts once the database has finished the queries of the previous one), and the median of the
runs is reported. Targets (issue 5): at least the better of tipg's and
pygeoapi's published figures on every type, and p99 under 60 ms at concurrency 8. The bbox
request asks for 10 features, the default page of tipg and pygeoapi that the issue's bbox
figures imply (they are 3x their limit=100 figures); the same bbox with limit=100 is measured
beside tipg too.
The CQL2 filter, sortby and properties requests are the Features Part 3 / Part 1 details
tipg also serves. Tiles (issue 16) are answered from an in-process cache after the first
request, as in use; the first request's time of each is printed too.
BENCH_API_SECONDS (default 5) and BENCH_API_RUNS (default 3) bound the time; BENCH_API_ONLY
(comma-separated words, e.g. `tile`) keeps the request types whose name holds one.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
from common import load_south, scratch_database
from sqlalchemy import create_engine, text

from observatory.db import libpq_url
from tests.factories import seed_services

ROOT = Path(__file__).resolve().parents[1]
SERVICES = 100_000
SECONDS = int(os.environ.get("BENCH_API_SECONDS", "5"))
RUNS = int(os.environ.get("BENCH_API_RUNS", "3"))
CONCURRENCY = (1, 8)
BBOX = "14.20,40.80,14.32,40.89"
CQL_FILTER = "{} = 'SAN-ASL' AND mediation_available = TRUE"
"""A CQL2 filter both servers take (tipg names the category column category_code)."""
ONLY = [name for name in os.environ.get("BENCH_API_ONLY", "").split(",") if name]
"""BENCH_API_ONLY: measure only the request types whose name holds one of these words."""
# name: (ours, tipg or None, issue target requests/s at c=1 and c=8)
REQUESTS: dict[str, tuple[str, str | None, tuple[int, int]]] = {
    "items limit=100": (
        "/collections/services/items?limit=100",
        "/collections/public.service/items?limit=100",
        (154, 300),
    ),
    "items offset=5000": (
        "/collections/services/items?limit=100&offset=5000",
        "/collections/public.service/items?limit=100&offset=5000",
        (125, 260),
    ),
    "bbox ~10 km": (
        f"/collections/services/items?limit=10&bbox={BBOX}",
        f"/collections/public.service/items?limit=10&bbox={BBOX}",
        (434, 985),
    ),
    "bbox, limit=100": (
        f"/collections/services/items?limit=100&bbox={BBOX}",
        f"/collections/public.service/items?limit=100&bbox={BBOX}",
        (0, 0),
    ),
    "single item": (
        "/collections/services/items/5000",
        "/collections/public.service/items/5000",
        (1053, 2321),
    ),
    "CQL2 filter": (
        f"/collections/services/items?limit=100&filter={quote(CQL_FILTER.format('category'))}",
        f"/collections/public.service/items?limit=100"
        f"&filter={quote(CQL_FILTER.format('category_code'))}",
        (0, 0),
    ),
    "sortby -name": (
        "/collections/services/items?limit=100&sortby=-name",
        "/collections/public.service/items?limit=100&sortby=-name",
        (0, 0),
    ),
    "properties": (
        "/collections/services/items?limit=100&properties=name,category",
        "/collections/public.service/items?limit=100&properties=name,category_code",
        (0, 0),
    ),
    "nearest-10": ("/services/nearest?lat=40.85&lon=14.26&k=10", None, (0, 0)),
    "items crs=EPSG:3857": (  # Features Part 2: tipg has no crs parameter
        "/collections/services/items?limit=100&crs=EPSG:3857",
        None,
        (0, 0),
    ),
    "items limit=1000": (
        "/collections/services/items?limit=1000",
        "/collections/public.service/items?limit=1000",
        (38, 71),
    ),
    # vector tiles over Naples; OGC orders tileMatrix/tileRow/tileCol (z/y/x), tipg z/x/y
    **{
        f"tile z{z}": (
            f"/collections/services/tiles/WebMercatorQuad/{z}/{y}/{x}",
            f"/collections/public.service/tiles/WebMercatorQuad/{z}/{x}/{y}",
            (0, 0),
        )
        for z, x, y in ((8, 138, 96), (12, 2210, 1537), (15, 17681, 12303))
    },
}
UVICORN = ["--workers", "2", "--http", "httptools", "--loop", "uvloop", "--no-access-log"]


if ONLY:
    REQUESTS = {k: v for k, v in REQUESTS.items() if any(word in k for word in ONLY)}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(app: list[str], env: dict[str, str], probe: str) -> Iterator[str]:
    """Run uvicorn with 2 workers on a free port until the probe path answers 200."""
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", *app, "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        [*command, *UVICORN, "--log-level", "warning"], cwd=ROOT, env={**os.environ, **env}
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + probe, timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{app[0]} did not start")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk(url: str, connections: int, seconds: int) -> tuple[float, float, float]:
    """requests/s, p50 and p99 in ms of one wrk run."""
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Requests/sec" not in output or "50%" not in output:
        raise RuntimeError(f"wrk gave no figures for {url}:\n{output}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses")
    return rps, p50, p99


def prepare(url: str) -> None:
    """Geography, 100k seeded services, statistics."""
    load_south(url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        seed_services(conn, SERVICES)
        conn.execute(text("VACUUM ANALYZE service"))
    engine.dispose()


def settle(url: str, limit_s: float = 120) -> None:
    """Wait until the database runs no query of the servers: a request wrk gave up on at the
    end of a run (a tipg z8 tile takes seconds) must not run during the next server's run."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    deadline = time.monotonic() + limit_s
    with engine.connect() as conn:
        while time.monotonic() < deadline and conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'active' AND pid <> pg_backend_pid()"
        )).scalar():
            time.sleep(0.1)
    engine.dispose()


def measure(
    servers: dict[str, str], url: str
) -> dict[tuple[str, str, int], tuple[float, float, float]]:
    """Median requests/s, p50, p99 per request type, server and concurrency; each run starts
    once the database is idle."""
    runs: dict[tuple[str, str, int], list[tuple[float, float, float]]] = {}
    for name, (ours, theirs, _) in REQUESTS.items():
        paths = {"osservatorio": ours, "tipg": theirs}
        for server, path in paths.items():
            if path:
                wrk(servers[server] + path, 8, 1)
                settle(url)
        for connections in CONCURRENCY:
            for _ in range(RUNS):
                for server, path in paths.items():
                    if path:
                        key = (name, server, connections)
                        runs.setdefault(key, []).append(
                            wrk(servers[server] + path, connections, SECONDS)
                        )
                        settle(url)
    return {
        key: tuple(statistics.median(r[i] for r in results) for i in range(3))
        for key, results in runs.items()
    }


def body_sizes(servers: dict[str, str]) -> dict[tuple[str, str], int]:
    """Response body bytes per request type and server; the first (cold) request's time of
    each tile, before any cache holds it, is printed."""
    sizes = {}
    for name, (ours, theirs, _) in REQUESTS.items():
        for server, path in (("osservatorio", ours), ("tipg", theirs)):
            if path:
                start = time.perf_counter()
                sizes[(name, server)] = len(httpx.get(servers[server] + path, timeout=60).content)
                if name.startswith("tile"):
                    elapsed = (time.perf_counter() - start) * 1000
                    print(f"{name} {server}: first request {elapsed:.0f} ms")
    return sizes


def report(results: dict, sizes: dict, load: tuple[float, float]) -> None:
    """Print the side-by-side table and the verdicts."""
    print(
        f"\n{SERVICES} services, uvicorn 2 workers each, wrk {SECONDS} s, median of {RUNS} runs; "
        f"{os.cpu_count()} cores, 1-min load average {load[0]:.1f} before, {load[1]:.1f} after\n"
        f"{'request':18} {'ours req/s c1/c8':>17} {'tipg req/s c1/c8':>17} "
        f"{'ratio c1/c8':>12} {'ours p50/p99 c8 ms':>19} {'tipg p99 c8':>11} "
        f"{'body ours/tipg':>16}"
    )
    failures = []
    for name, (_, theirs, target) in REQUESTS.items():
        ours = [results[(name, "osservatorio", c)] for c in CONCURRENCY]
        tipg = [results[(name, "tipg", c)] for c in CONCURRENCY] if theirs else None
        ratio = f"{ours[0][0] / tipg[0][0]:.2f}/{ours[1][0] / tipg[1][0]:.2f}" if tipg else "n/a"
        tipg_rps = f"{tipg[0][0]:.0f}/{tipg[1][0]:.0f}" if tipg else "n/a"
        tipg_p99 = f"{tipg[1][2]:.1f}" if tipg else "n/a"
        body = f"{sizes[(name, 'osservatorio')]}/{sizes.get((name, 'tipg'), '-')}"
        print(
            f"{name:18} {ours[0][0]:>8.0f}/{ours[1][0]:<8.0f} {tipg_rps:>17} {ratio:>12} "
            f"{ours[1][1]:>9.1f}/{ours[1][2]:<9.1f} {tipg_p99:>11} {body:>16}"
        )
        for (rps, _, _), goal, connections in zip(ours, target, CONCURRENCY, strict=True):
            if rps < goal:
                failures.append(f"{name} c={connections}: {rps:.0f} < issue target {goal}")
        if tipg:
            for (rps, _, _), (their_rps, _, _), c in zip(ours, tipg, CONCURRENCY, strict=True):
                if rps < their_rps:
                    failures.append(f"{name} c={c}: {rps:.0f} < tipg {their_rps:.0f}")
        if ours[1][2] >= 60:
            failures.append(f"{name}: p99 at c=8 {ours[1][2]:.1f} ms >= 60 ms")
    print("\nall targets met" if not failures else "\nmissed:\n  " + "\n  ".join(failures))


def main() -> None:
    """Load the scratch database, serve it twice, measure, report."""
    if shutil.which("wrk") is None:
        subprocess.run([str(ROOT / "scripts" / "ensure-apt.sh"), "wrk"], check=True)
    with scratch_database() as url:
        prepare(url)
        libpq = libpq_url(url)
        ours = serve(["api.main:create_app", "--factory"], {"DATABASE_URL": url}, "/readyz")
        tipg = serve(
            ["tipg.main:app"],
            {"DATABASE_URL": libpq, "TIPG_DB_TABLES": '["public.service"]'},
            "/collections/public.service/items?limit=1",
        )
        with ours as ours_url, tipg as tipg_url:
            servers = {"osservatorio": ours_url, "tipg": tipg_url}
            sizes = body_sizes(servers)
            before = os.getloadavg()[0]
            results = measure(servers, url)
            after = os.getloadavg()[0]
        report(results, sizes, (before, after))


if __name__ == "__main__":
    main()
