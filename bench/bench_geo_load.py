"""Time and peak memory of `geo load`: the five regions and the whole of Italy.

Each load runs in its own process so that peak memory is its own. Target: Italy < 60 s.
"""

from __future__ import annotations

import subprocess
import sys

from common import scratch_database

from observatory import db

CHILD = """
import sys, time, resource
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from observatory import geography
codes = None if sys.argv[2] == "italy" else list(geography.SOUTHERN_REGIONS)
start = time.perf_counter()
data = geography.read_geopop(None, codes)
engine = create_engine(sys.argv[1])
with Session(engine) as session, session.begin():
    counts = geography.store_geopop(session, data, sys.argv[2])
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"geo load {sys.argv[2]}: {counts['municipalities']} comuni in {elapsed:.2f} s, "
      f"peak RSS {peak:.0f} MiB")
"""


def main() -> None:
    """Load each scope twice (cold, warm) into a scratch database."""
    with scratch_database() as url:
        db.upgrade(url)
        for scope in ("south", "italy"):
            for _ in range(2):
                subprocess.run([sys.executable, "-c", CHILD, url, scope], check=True)


if __name__ == "__main__":
    main()
