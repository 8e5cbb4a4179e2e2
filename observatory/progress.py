"""Progress bars on a TTY, silence elsewhere: one helper for every long job."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

T = TypeVar("T")


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not sys.stderr.isatty(),
        transient=False,
    )


@contextmanager
def steps(total: int, description: str) -> Iterator[Callable[[str], None]]:
    """Yield `advance(label)`, which moves a bar of `total` steps forward by one."""
    with _progress() as progress:
        task = progress.add_task(description, total=total)

        def advance(label: str) -> None:
            progress.update(task, advance=1, description=f"{description}: {label}")

        yield advance


def track(items: Iterable[T], total: int | None, description: str) -> Iterator[T]:
    """Iterate `items` with a bar on a TTY."""
    with _progress() as progress:
        yield from progress.track(items, total=total, description=description)
