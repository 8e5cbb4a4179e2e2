"""Pages this worker already served, answered again on the event loop.

A route remembers, per request as asked, the page-cache key its page is kept under (and a note,
such as the file name). The next ask reads the data version in one query on the async pool and,
when the worker holds the page for that version, answers without a session or a thread.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from fastapi import Request

from observatory.data_version import VERSION_QUERY
from observatory.page_cache import PageCache
from observatory.pool import fetch_row


class HeldPages:
    """The page-cache key (and note) of each request as asked, for one `PageCache`."""

    def __init__(self, cache: PageCache) -> None:
        self.cache = cache
        self._keys: dict[Hashable, tuple[Hashable, Any]] = {}

    async def find(self, request: Request, asked: Hashable) -> tuple[str, str, Any] | None:
        """The page, its ETag and note when this worker holds it for the current data."""
        known = self._keys.get(asked)
        if known is None:
            return None
        async with request.app.state.pool.connection() as conn:
            row = await fetch_row(conn, VERSION_QUERY, {})
        held = self.cache.held(known[0], row[0]) if row is not None else None
        return None if held is None else (*held, known[1])

    def remember(self, asked: Hashable, key: Hashable, note: Any = None) -> None:
        """Keep the page-cache key a request resolved to (a bounded map: cleared when full)."""
        if len(self._keys) >= self.cache.size:
            self._keys.clear()
        self._keys[asked] = (key, note)
