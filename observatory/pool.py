"""The API's async PostgreSQL pool, and JSON fetched as raw bytes for zero-copy responses."""

from __future__ import annotations

import select
from typing import Any

from psycopg import AsyncConnection
from psycopg.abc import Query
from psycopg.adapt import Loader
from psycopg_pool import AsyncConnectionPool

from observatory.db import libpq_url

POOL_MIN_SIZE = 2
POOL_RECONNECT_S = 5.0
STATEMENT_TIMEOUT_MS = 30_000
# Short queries, many at once: JIT compilation (tens of ms on a large count) and parallel
# workers (a process start each) only lengthen the latency tail.
SESSION_SETTINGS = {
    "statement_timeout": STATEMENT_TIMEOUT_MS,
    "jit": "off",
    "max_parallel_workers_per_gather": 0,
}


class RawLoader(Loader):
    """Load `json` and `text` values as the bytes PostgreSQL sent, without decoding them."""

    def load(self, data: Any) -> bytes:
        """Return the value as bytes."""
        return bytes(data)


async def check_idle_connection(conn: AsyncConnection) -> None:
    """Ping a pooled connection only if the server spoke while it sat idle.

    An idle autocommit connection hears nothing from a healthy server; a restarted or stopped
    one sends a termination notice and closes, which makes the socket readable. So a poll,
    not a round trip per request, tells a live connection from a dead one (the round trip
    follows, and fails, only then).
    """
    if conn.closed or conn.broken:
        raise ConnectionError("the connection is closed")
    readable, _, _ = select.select([conn.fileno()], [], [], 0)
    if readable:
        await AsyncConnectionPool.check_connection(conn)


async def open_pool(sqlalchemy_url: str, wait_s: float, size: int) -> AsyncConnectionPool:
    """Open an autocommit pool of at most `size` connections with a statement timeout;
    connections are made in the background.

    A worker runs at most `size` queries at once, the others wait their turn in order: on a
    saturated machine first come, first served keeps the latency tail short, where more
    queries sharing the same cores would all finish late.

    The app starts with the database down. Each connection is checked before it is lent
    (`check_idle_connection`), so a database restart costs no failed request; a pool that
    cannot connect stops retrying after `POOL_RECONNECT_S` and tries afresh at the next
    request, so it is back within seconds of the database. A request waits `wait_s` at most
    for a connection.
    """
    pool = AsyncConnectionPool(
        libpq_url(sqlalchemy_url),
        min_size=min(POOL_MIN_SIZE, size),
        max_size=size,
        timeout=wait_s,
        reconnect_timeout=POOL_RECONNECT_S,
        check=check_idle_connection,
        kwargs={
            "autocommit": True,
            "options": " ".join(f"-c {name}={value}" for name, value in SESSION_SETTINGS.items()),
        },
        open=False,
    )
    await pool.open(wait=False)
    return pool


async def fetch_row(
    conn: AsyncConnection, query: Query, params: dict[str, Any]
) -> tuple[Any, ...] | None:
    """Run `query` and return its first row, `json` and `text` columns as raw bytes."""
    cursor = conn.cursor()
    for type_name in ("json", "text"):
        cursor.adapters.register_loader(type_name, RawLoader)
    await cursor.execute(query, params)
    return await cursor.fetchone()
