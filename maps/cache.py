"""Rendered maps kept in memory while the data version holds (any change of services,
population, geography, areas or categories renders them again)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlalchemy.orm import Session

from observatory.data_version import data_version


class MapCache:
    """A small LRU of rendered pages, each valid while the data version it was rendered at holds."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._pages: OrderedDict[Hashable, tuple[int, str, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._rendering: dict[Hashable, threading.Lock] = {}

    def _fresh(self, key: Hashable, version: int) -> tuple[str, str] | None:
        with self._lock:
            cached = self._pages.get(key)
            if cached is None or cached[0] != version:
                return None
            self._pages.move_to_end(key)
            return cached[1], cached[2]

    def page(self, session: Session, key: Hashable, render: Callable[[], str]) -> tuple[str, str]:
        """The page for `key` and its ETag, rendered again only when the data changed.

        Requests for a page being rendered wait for that render instead of starting their own.
        """
        version = data_version(session)
        if (found := self._fresh(key, version)) is not None:
            return found
        with self._lock:
            rendering = self._rendering.setdefault(key, threading.Lock())
        with rendering:
            if (found := self._fresh(key, version)) is not None:
                return found
            page = render()
            etag = '"' + hashlib.sha256(repr((key, version)).encode()).hexdigest()[:32] + '"'
            with self._lock:
                self._pages[key] = (version, page, etag)
                self._pages.move_to_end(key)
                while len(self._pages) > self.size:
                    self._pages.popitem(last=False)
        return page, etag

    def clear(self) -> None:
        """Forget every page."""
        with self._lock:
            self._pages.clear()
