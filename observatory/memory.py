"""Give the memory a large job freed back to the operating system (a long-lived worker)."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache


@cache
def _libc() -> ctypes.CDLL | None:
    """The C library, when it has glibc's `malloc_trim`."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None


def release_memory() -> None:
    """Collect garbage, then return the freed heap pages to the system (glibc only).

    Without it a worker keeps the peak of its largest upload: the next job starts from there.
    """
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
