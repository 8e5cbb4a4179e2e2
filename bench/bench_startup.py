"""Start-up cost of `observatory --help`, `db url` and `import api.main`; the top imports."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 5
TOP = 8
# What the `observatory` console script runs, on the code of this checkout (its working tree).
CLI = [sys.executable, "-c", "import sys; from observatory.cli import main; sys.exit(main())"]

COMMANDS: dict[str, list[str]] = {
    "observatory --help": [*CLI, "--help"],
    "observatory db url": [*CLI, "db", "url"],
    "import api.main": [sys.executable, "-c", "import api.main"],
    "import observatory.cli": [sys.executable, "-c", "import observatory.cli"],
}
TARGETS = {"observatory --help": 0.5, "observatory db url": 0.5, "import api.main": 1.5}


def timings(argv: list[str]) -> tuple[float, float]:
    """Run `argv` once from the project root; return its wall and CPU (user + sys) seconds.

    CPU time is what the process itself costs: on a machine busy with other work the wall
    time also counts the waits for a core.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, capture_output=True, env=os.environ.copy())
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def top_imports(module: str) -> list[tuple[int, str]]:
    """The costliest top-level imports of `module` (cumulative µs, name), from -X importtime."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    costs: list[tuple[int, str]] = []
    for line in run.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        depth = (len(name) - len(name.lstrip())) // 2
        if depth == 1 or (depth == 0 and name.strip() == module):
            costs.append((int(cumulative), name.strip()))
    return sorted(costs, reverse=True)[:TOP]


def main() -> int:
    """Print the medians of RUNS runs per command and the top imports; 1 if over a target."""
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    over = 0
    for label, argv in COMMANDS.items():
        runs = [timings(argv) for _ in range(RUNS)]
        wall = statistics.median(run[0] for run in runs)
        cpu = statistics.median(run[1] for run in runs)
        target = TARGETS.get(label)
        verdict = ""
        if target is not None:
            verdict = f"  target < {target} s{'' if wall < target else ' MISSED'}"
            over |= wall >= target
        print(f"{label:<24} wall {wall:.2f} s (min {min(r[0] for r in runs):.2f}), "
              f"cpu {cpu:.2f} s, median of {RUNS}{verdict}")
    for module in ("observatory.cli", "api.main"):
        print(f"\ntop imports of {module} (cumulative, -X importtime):")
        for micros, name in top_imports(module):
            print(f"  {micros / 1000:8.1f} ms  {name}")
    return int(over)


if __name__ == "__main__":
    sys.exit(main())
