"""The registry as of a date against the current registry, on 100,000 services with 5 rounds.

A scratch database (migrations only: the as-of functions need no geography) gets 100,000
services in round 1; each later round, in its own transaction like an ingest, verifies every
service again (a new `last_verified`, so every service gets a new version), changes 20% of
them, closes 2% and opens 2,000 new ones: 5 rounds, about 500,000 versions. Then, each the
median of 5 runs, fetching every row as the analyses do:

- the supply query of the analyses (`observatory.analysis.supply`): current vs as of the end
  of each round;
- the items count of the services (`status <> 'closed'`): current vs as of each round;
- the items of a bounding box (about 1% of the services).

Target: as-of within 1.5x the current-state query.
"""

from __future__ import annotations

import statistics
import time

import psycopg
from common import scratch_database
from sqlalchemy.engine import make_url

from observatory import db
from observatory.analysis.supply import AS_OF_SQL, CURRENT_SQL

SERVICES = 100_000
ROUNDS = 5
REPEATS = 5
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


def _psycopg(sql: str) -> str:
    """A SQLAlchemy text statement (`:name`) with psycopg placeholders (`%(name)s`)."""
    return sql.replace(":category", "%(category)s").replace(":as_of", "%(as_of)s")


def _median_s(conn: psycopg.Connection, sql: str, params: dict) -> tuple[float, int]:
    """Median wall time (s) of running `sql` and fetching every row; and the row count."""
    times, rows = [], 0
    for _ in range(REPEATS):
        start = time.perf_counter()
        rows = len(conn.execute(sql, params).fetchall())
        times.append(time.perf_counter() - start)
    return statistics.median(times), rows


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
            cases = [
                ("supply (analyses)", _psycopg(CURRENT_SQL), _psycopg(AS_OF_SQL)),
                ("items count", CURRENT_COUNT, AS_OF_COUNT),
                ("items in a bbox", CURRENT_BBOX, AS_OF_BBOX),
            ]
            print(f"{'query':<20} {'as of':<8} {'rows':>8} {'current s':>10} {'as-of s':>9} "
                  f"{'ratio':>6}")
            worst = 0.0
            for label, current_sql, as_of_sql in cases:
                base, base_rows = _median_s(conn, current_sql, {"category": None})
                for round_, instant in enumerate(after, start=1):
                    spent, rows = _median_s(
                        conn, as_of_sql, {"category": None, "as_of": instant}
                    )
                    ratio = spent / base
                    worst = max(worst, ratio)
                    note = f" (current {base_rows:,} rows)" if round_ == ROUNDS else ""
                    print(f"{label:<20} {'round ' + str(round_):<8} {rows:>8,} {base:>10.3f} "
                          f"{spent:>9.3f} {ratio:>6.2f}{note}")
            print(f"worst as-of / current: {worst:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
