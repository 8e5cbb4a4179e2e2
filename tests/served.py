"""A real `observatory serve` for tests and benchmarks: its worker's memory, /healthz polled.

Shared by tests/reliability/test_hostile_uploads.py and bench/bench_upload.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from observatory.settings import PROJECT_ROOT
from tests.clusters import free_port
from tests.helpers import wait_until_answering

MIB = 1024 * 1024


@dataclass(frozen=True)
class Served:
    """A running `observatory serve`: its base URL, its process and its one uvicorn worker."""

    url: str
    process: subprocess.Popen
    worker: psutil.Process


def worker_of(pid: int) -> psutil.Process:
    """The process that runs the app: the serve process's one child if it spawned workers.

    uvicorn runs the app in the serve process itself with one worker, and in child
    processes (a supervisor above them) with more.
    """
    serve = psutil.Process(pid)
    children = serve.children(recursive=False)
    if len(children) > 1:
        raise RuntimeError(f"serve process {pid} has {len(children)} workers, not one")
    return children[0] if children else serve


@contextmanager
def observatory_serve(database_url: str, log: Path, **env: str) -> Iterator[Served]:
    """`observatory serve --workers 1` on a free loopback port over `database_url`.

    Its output goes to `log`; `env` adds settings (UPLOAD_MAX_ROWS=..., for instance).
    """
    port = free_port()
    command = [sys.executable, "-c", "from observatory.cli import main; main()",
               "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]  # fmt: skip
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": database_url, **env},
            stdout=output, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_answering(process, f"{url}/healthz", within_s=90)
        except RuntimeError as error:
            raise RuntimeError(f"{error}\n{log.read_text()[-3000:]}") from error
        yield Served(url, process, worker_of(process.pid))
    finally:
        process.terminate()
        process.wait(timeout=30)


class PeakRss:
    """The peak resident memory of a process while the block runs, in MiB.

    A thread samples the RSS every `every_s` seconds; the kernel's own high-water mark
    (VmHWM, reset when the block starts) catches a spike between two samples.
    """

    def __init__(self, process: psutil.Process, every_s: float = 0.02) -> None:
        self.process = process
        self.every_s = every_s
        self.sampled = 0
        self.samples = 0
        self.start = 0
        self.high_water = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        self.sampled = max(self.sampled, self.process.memory_info().rss)
        self.samples += 1

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self._sample()

    def _vm(self, field_name: str) -> int:
        with open(f"/proc/{self.process.pid}/status") as status:
            line = next(line for line in status if line.startswith(f"{field_name}:"))
        return int(line.split()[1]) * 1024

    def __enter__(self) -> PeakRss:
        """Reset the high-water mark to the current RSS and start sampling."""
        with open(f"/proc/{self.process.pid}/clear_refs", "w") as refs:
            refs.write("5")
        self.start = self.process.memory_info().rss
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop sampling; read the high-water mark."""
        self._stop.set()
        self._thread.join()
        self._sample()
        self.high_water = self._vm("VmHWM")

    @property
    def peak_mib(self) -> float:
        """The highest RSS seen, sampled or by the kernel's mark, in MiB."""
        return max(self.sampled, self.high_water) / MIB

    @property
    def start_mib(self) -> float:
        """The RSS when the block started, in MiB."""
        return self.start / MIB


@dataclass
class HealthPoller:
    """GET `url`/healthz every `every_s` seconds in a thread, recording each status and time.

    A status of None is a request that failed (no answer, or none within `timeout_s`).
    """

    url: str
    every_s: float = 0.1
    timeout_s: float = 10.0
    answers: list[tuple[int | None, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Prepare the thread (started by the `with` block)."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout_s) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    status: int | None = client.get(f"{self.url}/healthz").status_code
                except httpx.HTTPError:
                    status = None
                self.answers.append((status, time.monotonic() - started))
                self._stop.wait(self.every_s)

    def __enter__(self) -> HealthPoller:
        """Start polling."""
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop polling."""
        self._stop.set()
        self._thread.join()

    @property
    def slowest_s(self) -> float:
        """The longest time a poll took."""
        return max((elapsed for _, elapsed in self.answers), default=0.0)

    @property
    def failed(self) -> list[tuple[int | None, float]]:
        """The polls that did not answer 200."""
        return [answer for answer in self.answers if answer[0] != 200]
