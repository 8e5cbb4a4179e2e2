"""Rendered maps kept in memory until the services, the analysis, the geography or areas change."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlalchemy.orm import Session

from maps.data import DataVersion, data_version


class MapCache:
    """A small LRU of rendered pages, each valid while the data version it was rendered at holds."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._pages: OrderedDict[Hashable, tuple[DataVersion, str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def page(self, session: Session, key: Hashable, render: Callable[[], str]) -> tuple[str, str]:
        """The page for `key` and its ETag, rendered again only when the data changed."""
        version = data_version(session)
        with self._lock:
            cached = self._pages.get(key)
            if cached is not None and cached[0] == version:
                self._pages.move_to_end(key)
                return cached[1], cached[2]
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
