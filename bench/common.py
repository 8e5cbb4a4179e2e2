"""Shared helpers of the benchmarks: a scratch database, timing and peak memory."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import create_database, drop_database  # noqa: E402


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


def timed(label: str, func: Callable[[], Any]) -> float:
    """Run `func` once, print and return its wall time in seconds."""
    start = time.perf_counter()
    func()
    elapsed = time.perf_counter() - start
    print(f"{label}: {elapsed:.2f} s, peak RSS {peak_rss_mb():.0f} MiB", flush=True)
    return elapsed
