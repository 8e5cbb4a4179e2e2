"""Served pages (maps, gap files) kept while the data version holds (any change of services,
population, geography, areas or categories renders them again).

Two levels: an LRU in the worker's memory, and files in a folder the workers share
(`MAP_CACHE_DIR`), so a page one worker rendered is read, not rendered, by the others. A file
is named by the database, the page's key and the data version; writing a page removes the
files of its older versions.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path

from sqlalchemy.orm import Session

from observatory.data_version import data_version


def database_of(session: Session) -> str:
    """The database a session reads (its URL without password): pages never cross databases."""
    return session.connection().engine.url.render_as_string(hide_password=True)


def default_directory() -> Path:
    """MAP_CACHE_DIR, or a folder of the system's temporary directory."""
    from observatory.settings import get_settings

    return get_settings().map_cache_dir or Path(tempfile.gettempdir()) / "osservatorio-maps"


class PageCache:
    """A small LRU of rendered pages over a shared folder, each valid for one data version.

    `suffix` names the kind of page in the folder (`.html` maps, `.geojson` gap files).
    """

    def __init__(
        self, size: int = 64, directory: Path | None = None, suffix: str = ".html"
    ) -> None:
        self.size = size
        self.suffix = suffix
        self._directory = directory
        self._pages: OrderedDict[Hashable, tuple[int, str, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._rendering: dict[Hashable, threading.Lock] = {}

    @property
    def directory(self) -> Path:
        """The shared folder (MAP_CACHE_DIR unless given)."""
        return self._directory or default_directory()

    def held(self, key: Hashable, version: int) -> tuple[str, str] | None:
        """The page and ETag under `key` (a `full_key`) if held in memory for `version`: a
        lookup without a session, for the event loop."""
        with self._lock:
            cached = self._pages.get(key)
            if cached is None or cached[0] != version:
                return None
            self._pages.move_to_end(key)
            return cached[1], cached[2]

    def _remember(self, key: Hashable, version: int, page: str, etag: str) -> None:
        with self._lock:
            self._pages[key] = (version, page, etag)
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def _file(self, key: Hashable) -> tuple[Path, str]:
        """The folder and the file name stem of `key` (the version is appended)."""
        return self.directory, hashlib.sha256(repr(key).encode()).hexdigest()[:40]

    def _read(self, key: Hashable, version: int) -> str | None:
        folder, stem = self._file(key)
        try:
            return (folder / f"{stem}-{version}{self.suffix}").read_text(encoding="utf-8")
        except OSError:
            return None

    def _write(self, key: Hashable, version: int, page: str) -> None:
        """Write atomically (a reader never sees half a page) and drop older versions."""
        folder, stem = self._file(key)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{stem}-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(page)
            os.replace(temporary, folder / f"{stem}-{version}{self.suffix}")
            for old in folder.glob(f"{stem}-*{self.suffix}"):
                if old.name != f"{stem}-{version}{self.suffix}":
                    old.unlink(missing_ok=True)
        except OSError:
            pass  # the folder is an optimisation: a page not written is rendered again

    @staticmethod
    def full_key(session: Session, key: Hashable) -> Hashable:
        """The key `page` keeps `key` under for the session's database."""
        return (database_of(session), key)

    def page(self, session: Session, key: Hashable, render: Callable[[], str]) -> tuple[str, str]:
        """The page for `key` and its ETag, rendered again only when the data changed.

        Requests for a page being rendered wait for that render instead of starting their own.
        """
        version = data_version(session)
        key = self.full_key(session, key)
        if (found := self.held(key, version)) is not None:
            return found
        etag = '"' + hashlib.sha256(repr((key, version)).encode()).hexdigest()[:32] + '"'
        with self._lock:
            rendering = self._rendering.setdefault(key, threading.Lock())
        with rendering:
            if (found := self.held(key, version)) is not None:
                return found
            page = self._read(key, version)
            if page is None:
                page = render()
                self._write(key, version, page)
            self._remember(key, version, page, etag)
        return page, etag

    def clear(self) -> None:
        """Forget every page, in memory and in the folder."""
        with self._lock:
            self._pages.clear()
        for old in self.directory.glob(f"*{self.suffix}"):
            old.unlink(missing_ok=True)
