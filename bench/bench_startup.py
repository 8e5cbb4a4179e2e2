"""Start-up cost: wall time of `observatory --help`, `db url` and `import api.main`, and top imports."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RUNS = 5
TOP = 8

COMMANDS: dict[str, list[str]] = {
    "observatory --help": [str(BIN / "observatory"), "--help"],
    "observatory db url": [str(BIN / "observatory"), "db", "url"],
    "import api.main": [sys.executable, "-c", "import api.main"],
    "import observatory.cli": [sys.executable, "-c", "import observatory.cli"],
}
TARGETS = {"observatory --help": 0.5, "observatory db url": 0.5, "import api.main": 1.5}


def wall_time(argv: list[str]) -> float:
    """Run `argv` once from the project root; return its wall time in seconds."""
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, capture_output=True, env=os.environ.copy())
    return time.perf_counter() - start


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
    """Print the median of RUNS wall times per command and the top imports; 1 if over a target."""
    over = 0
    for label, argv in COMMANDS.items():
        times = [wall_time(argv) for _ in range(RUNS)]
        median = statistics.median(times)
        target = TARGETS.get(label)
        verdict = "" if target is None else f"  (target < {target} s{'' if median < target else ' MISSED'})"
        over |= target is not None and median >= target
        print(f"{label:<24} median {median:.2f} s of {RUNS}  [min {min(times):.2f}, max {max(times):.2f}]{verdict}")
    for module in ("observatory.cli", "api.main"):
        print(f"\ntop imports of {module} (cumulative, -X importtime):")
        for micros, name in top_imports(module):
            print(f"  {micros / 1000:8.1f} ms  {name}")
    return int(over)


if __name__ == "__main__":
    sys.exit(main())
