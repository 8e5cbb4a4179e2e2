"""Rows/s and peak memory of `ingest_file`: 10k and 100k rows, with coordinates and comune only.

Each run is its own process (its own peak memory) on a scratch database holding the five
regions. Targets: >= 5,000 rows/s end to end with coordinates; 100k rows under 60 s.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from common import load_south, scratch_database

from ingest.sample import read_places, service_rows, write_sheet

CHILD = """
import sys, time, resource
from pathlib import Path
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from ingest.limits import Limits
from ingest.pipeline import IngestOptions, ingest_file
engine = create_engine(sys.argv[1])
path = Path(sys.argv[2])
start = time.perf_counter()
with Session(engine) as session, session.begin():
    report = ingest_file(session, path, IngestOptions(source=path.stem, limits=Limits.for_cli()))
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
c = report.counts
print(f"{path.stem}: {c['read']} rows in {elapsed:.2f} s = {c['read'] / elapsed:,.0f} rows/s, "
      f"peak RSS {peak:.0f} MiB (inserted {c['inserted']}, unchanged {c['unchanged']}, "
      f"rejected {c['rejected']})", flush=True)
"""


def prepare(url: str) -> None:
    """Migrate and load the five regions, areas and categories."""
    load_south(url)


def main() -> None:
    """Write the synthetic files, then ingest each twice (first load, then unchanged re-run)."""
    places = read_places()
    with tempfile.TemporaryDirectory() as folder, scratch_database() as url:
        prepare(url)
        for rows in (10_000, 100_000):
            for share, kind in ((1.0, "coordinates"), (0.0, "comune_only")):
                path = Path(folder) / f"services_{rows // 1000}k_{kind}.csv"
                write_sheet(path, service_rows(places, rows, coordinates_share=share))
                for _ in range(2):
                    subprocess.run([sys.executable, "-c", CHILD, url, str(path)], check=True)


if __name__ == "__main__":
    main()
