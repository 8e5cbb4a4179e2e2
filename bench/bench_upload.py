"""Time and peak memory of an upload's ingest: CSVs of 10k, the upload limit and 100k rows,
xlsx of 10k rows and of the upload limit.

Each file is ingested by `ingest_file` in its own process that first imports the API app
(as a worker has), so "base" is the RSS of an idle worker and "peak" its RSS during the
ingest. The 100k-row CSV is above the upload row limit: it runs with the command line's
limits, as a large file would. The HTTP figures are measured separately.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from common import load_south, scratch_database
from openpyxl import Workbook

from ingest.sample import HEADER, read_places, service_rows, write_sheet
from observatory.settings import get_settings

MAX_UPLOAD_ROWS = get_settings().upload_max_rows

CHILD = """
import sys, time
from pathlib import Path
import api.main  # noqa: F401  (what a worker has imported)
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from ingest.limits import Limits
from ingest.pipeline import IngestOptions, ingest_file
engine = create_engine(sys.argv[1])
path = Path(sys.argv[2])
limits = Limits.for_cli() if sys.argv[3] == "cli" else Limits.for_upload()
def rss(kind):
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith(kind)) / 1024
base = rss("VmRSS:")
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")  # reset the peak (VmHWM) to the current RSS
start = time.perf_counter()
with Session(engine) as session, session.begin():
    report = ingest_file(session, path, IngestOptions(source=path.name, limits=limits))
elapsed = time.perf_counter() - start
peak = rss("VmHWM:")
c = report.counts
print(f"{path.name} ({sys.argv[3]} limits): {c['read']:,} rows in {elapsed:.2f} s = "
      f"{c['read'] / elapsed:,.0f} rows/s; RSS base {base:.0f} MiB, peak {peak:.0f} MiB "
      f"(+{peak - base:.0f}); inserted {c['inserted']}, rejected {c['rejected']}", flush=True)
"""


def write_xlsx(path: Path, rows: list[list[str]]) -> None:
    """The same rows as a workbook (write-only mode)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Servizi")
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def main() -> None:
    """Write the files, then ingest each in a fresh process and print its figures."""
    places = read_places()
    with tempfile.TemporaryDirectory() as folder, scratch_database() as url:
        load_south(url)
        files = []
        for rows, limits in ((10_000, "upload"), (MAX_UPLOAD_ROWS, "upload"), (100_000, "cli")):
            path = Path(folder) / f"upload_{rows // 1000}k.csv"
            write_sheet(path, service_rows(places, rows, coordinates_share=0.5))
            files.append((path, limits))
        for rows in (10_000, MAX_UPLOAD_ROWS):
            path = Path(folder) / f"upload_{rows // 1000}k.xlsx"
            write_xlsx(path, list(service_rows(places, rows, coordinates_share=0.5)))
            files.append((path, "upload"))
        for path, limits in files:
            size = path.stat().st_size / 1024 / 1024
            print(f"{path.name}: {size:.1f} MiB on disk", flush=True)
            subprocess.run([sys.executable, "-c", CHILD, url, str(path), limits], check=True)


if __name__ == "__main__":
    main()
