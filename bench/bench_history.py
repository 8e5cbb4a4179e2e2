"""The registry as of a date against the current registry, on 100,000 services with 5 rounds.

A scratch database (migrations only: the as-of functions need no geography) gets 100,000
services in round 1; each later round, in its own transaction like an ingest, verifies every
service again (a new `last_verified`, so every service gets a new version), changes 20% of
them, closes 2% and opens 2,000 new ones: 5 rounds, about 500,000 versions. Then, each the
median of 5 runs, fetching every row as the analyses do:

- the supply of the analyses (`observatory.analysis.supply.load_services`, all categories):
  current vs as of the end of each round;
- the first page of the services items (100 by id), and the items of a bounding box (about
  1% of the services): the statement `/collections/services/items` runs (keys, then the
  features as GeoJSON), with `datetime=<instant>` for the as-of;
- the same pages' keys alone (the walk of the key, without building the features);
- the count of the services items (`status <> 'closed'`), as `Services.count` runs it.

Target: as-of within 1.5x the current-state query (the keys alone are printed for the
record: a part of the items statement, which carries the target). Each round runs the current
and the as-of query in turn, at least 5 times each and until they fill 2 x
BENCH_HISTORY_SECONDS (default 0.3); the figures are the medians.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import datetime

import psycopg
from common import scratch_database
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from observatory import db
from observatory.analysis.supply import load_services
from observatory.features import STATIC_PROVIDERS
from observatory.features.base import ItemsQuery
from observatory.temporal import Interval

SERVICES = 100_000
ROUNDS = 5
REPEATS = 5
SECONDS = float(os.environ.get("BENCH_HISTORY_SECONDS", "0.3"))
BOX = (14.0, 39.0, 14.6, 39.45)
SEED = """
INSERT INTO service (source, source_key, name, geom, municipality_code, geocode_precision,
                     geocode_source, capacity, last_verified, private_fields)
SELECT 'bench', 'k' || g, 'Servizio ' || g,
       ST_SetSRID(ST_MakePoint(12.5 + random() * 6.0, 37.0 + random() * 4.5), 4326),
       63049, 'provided', 'bench', (g %% 7)::float, current_date - 400,
       CASE WHEN g %% 10 = 0 THEN ARRAY['address_1'] ELSE '{}' END
FROM generate_series(%(first)s, %(last)s) g
"""
ROUND = [
    "UPDATE service SET last_verified = current_date - %(age)s",
    "UPDATE service SET name = name || ' r' || %(round)s, capacity = capacity + 1 "
    "WHERE id %% 5 = %(round)s %% 5",
    "UPDATE service SET status = 'closed' WHERE id %% 50 = %(round)s AND status <> 'closed'",
]
PAGE_KEYS = "SELECT s.id FROM service_public s WHERE s.status <> 'closed' ORDER BY s.id LIMIT 100"
AS_OF_PAGE_KEYS = (
    "SELECT s.id FROM service_public_as_of(%(as_of)s) s WHERE s.status <> 'closed' "
    "ORDER BY s.id LIMIT 100"
)
CURRENT_COUNT = "SELECT count(*) FROM service_public s WHERE s.status <> 'closed'"
AS_OF_COUNT = (
    "SELECT count(*) FROM service_public_as_of(%(as_of)s) s WHERE s.status <> 'closed'"
)
BBOX = "s.geom && ST_MakeEnvelope(14.0, 39.0, 14.6, 39.45, 4326) AND s.status <> 'closed'"
CURRENT_BBOX = f"SELECT s.id, s.name, s.geom FROM service_public s WHERE {BBOX} ORDER BY s.id"  # noqa: S608
AS_OF_BBOX = (
    f"SELECT s.id, s.name, s.geom FROM service_public_as_of(%(as_of)s) s WHERE {BBOX} "  # noqa: S608
    "ORDER BY s.id"
)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _paired(
    current: Callable[[], int], as_of: Callable[[], int]
) -> tuple[float, int, float, int]:
    """Median wall time (s) and rows of `current` and of `as_of`, run in turn (so drift of the
    machine falls on both) at least REPEATS times each and until they fill 2 x SECONDS."""
    times: tuple[list[float], list[float]] = ([], [])
    rows = [0, 0]
    while len(times[1]) < REPEATS or sum(times[0]) + sum(times[1]) < 2 * SECONDS:
        for index, run in enumerate((current, as_of)):
            start = time.perf_counter()
            rows[index] = run()
            times[index].append(time.perf_counter() - start)
    return statistics.median(times[0]), rows[0], statistics.median(times[1]), rows[1]


def _fetch(conn: psycopg.Connection, sql: str, **params: object) -> Callable[[], int]:
    return lambda: len(conn.execute(sql, params).fetchall())


def _items(
    conn: psycopg.Connection, at: str | None, bbox: tuple[float, ...] | None = None
) -> Callable[[], int]:
    """The statement of `/collections/services/items` (limit 100), now or as of `at`."""
    instant = None if at is None else datetime.fromisoformat(at)
    when = None if instant is None else Interval(instant, instant)
    plan = STATIC_PROVIDERS["services"].plan(ItemsQuery(limit=100, bbox=bbox, datetime=when))
    return lambda: conn.execute(plan.statement, plan.values).fetchone()[1]


def _hinted(conn: psycopg.Connection, sql: str, **params: object) -> Callable[[], int]:
    """As the services items count as of an instant (`Services.count`): planner hinted."""

    def run() -> int:
        with conn.transaction():
            conn.execute("SET LOCAL enable_seqscan = off")
            return len(conn.execute(sql, params).fetchall())

    return run


def _supply(url: str, as_of: str | None) -> Callable[[], int]:
    """`observatory.analysis.supply.load_services` of every category, now or as of."""
    engine = db.get_engine(url)

    def run() -> int:
        with Session(engine) as session:
            return len(load_services(session, None, as_of))

    return run


def _build(conn: psycopg.Connection) -> list[str]:
    """Round 1 and the 4 rounds after it; the instant after each round (ISO)."""
    after = []
    start = time.perf_counter()
    with conn.transaction():
        conn.execute(SEED, {"first": 1, "last": SERVICES})
    after.append(conn.execute("SELECT now()::text").fetchone()[0])
    for round_ in range(2, ROUNDS + 1):
        with conn.transaction():
            for statement in ROUND:
                conn.execute(statement, {"age": 400 - round_ * 60, "round": round_})
            first = SERVICES + (round_ - 2) * 2000 + 1
            conn.execute(SEED, {"first": first, "last": first + 1999})
        after.append(conn.execute("SELECT now()::text").fetchone()[0])
    conn.execute("VACUUM ANALYZE service")
    conn.execute("VACUUM ANALYZE service_version")
    versions = conn.execute("SELECT count(*) FROM service_version").fetchone()[0]
    print(f"built {SERVICES:,} services, {ROUNDS} rounds, {versions:,} versions "
          f"in {time.perf_counter() - start:.1f} s")
    return after


def main() -> None:
    """Build the history, time the queries, print a table of figures."""
    with scratch_database() as url:
        db.upgrade(url)
        with psycopg.connect(_libpq(url), autocommit=True) as conn:
            after = _build(conn)
            cases = [  # label, query now or as of an instant, whether the target applies
                ("supply (analyses)", lambda at: _supply(url, at), True),
                ("items first page", lambda at: _items(conn, at), True),
                ("items in a bbox", lambda at: _items(conn, at, BOX), True),
                ("first page keys", lambda at: _fetch(
                    conn, PAGE_KEYS if at is None else AS_OF_PAGE_KEYS, as_of=at), False),
                ("bbox keys", lambda at: _fetch(conn, CURRENT_BBOX if at is None
                                                else AS_OF_BBOX, as_of=at), False),
                ("items count", lambda at: _fetch(conn, CURRENT_COUNT) if at is None
                 else _hinted(conn, AS_OF_COUNT, as_of=at), True),
            ]
            print(f"{'query':<20} {'as of':<8} {'rows':>8} {'current s':>10} {'as-of s':>9} "
                  f"{'ratio':>6}")
            missed = []
            for label, make, targeted in cases:
                ratios = []
                for round_, instant in enumerate(after, start=1):
                    base, base_rows, spent, rows = _paired(make(None), make(instant))
                    ratios.append(spent / base)
                    note = f" (current: {base_rows:,} rows)" if round_ == ROUNDS else ""
                    print(f"{label:<20} {'round ' + str(round_):<8} {rows:>8,} {base:>10.4f} "
                          f"{spent:>9.4f} {spent / base:>6.2f}{note}")
                goal = "target <= 1.5x" if targeted else "no target: part of the items"
                print(f"{label:<20} worst as-of / current: {max(ratios):.2f}x ({goal})")
                if targeted and max(ratios) > 1.5:
                    missed.append(label)
            print("\nall targets met" if not missed else f"\nmissed: {', '.join(missed)}")
        db.get_engine(url).dispose()


if __name__ == "__main__":
    main()
