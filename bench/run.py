"""Run every bench/bench_*.py in turn, or those named (`run.py api load`), printing figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    """Run each benchmark script; return non-zero if any failed."""
    failed = 0
    selected = sys.argv[1:]
    for script in sorted(HERE.glob("bench_*.py")):
        if selected and not {script.stem, script.stem.removeprefix("bench_")} & set(selected):
            continue
        print(f"\n=== {script.stem} ===", flush=True)
        failed |= subprocess.call([sys.executable, str(script)])
    return failed


if __name__ == "__main__":
    sys.exit(main())
