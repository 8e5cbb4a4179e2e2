"""Shared helpers of the benchmarks: a scratch database, timing and peak memory."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from observatory import geography  # noqa: E402
from tests.conftest import create_database, drop_database, load_reference_data  # noqa: E402


@contextmanager
def scratch_database() -> Iterator[str]:
    """A fresh database on the configured server, dropped afterwards."""
    url = create_database("osservatorio_bench")
    try:
        yield url
    finally:
        drop_database(url)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(func: Callable[[], T]) -> tuple[T, float]:
    """Run `func` once; return its result and its wall time in seconds."""
    start = time.perf_counter()
    result = func()
    return result, time.perf_counter() - start


def load_south(url: str) -> None:
    """Migrate the database of `url` and load the five regions, areas and categories."""
    load_reference_data(url, geography.read_geopop(None, list(geography.SOUTHERN_REGIONS)))
