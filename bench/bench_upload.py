"""Time and peak memory of an upload's ingest: CSVs of 10k, the upload limit and 100k rows,
xlsx of 10k rows and of the upload limit.

First each file is ingested by `ingest_file` in its own process that first imports the API
app (as a worker has), so "base" is the RSS of an idle worker and "peak" its RSS during the
ingest. The 100k-row CSV is above the upload row limit: it runs with the command line's
limits, as a large file would (over HTTP it is refused, 413).

Then the same sizes go over HTTP to a real `observatory serve --workers 1` with an operator
key of the Napoli area (files of Napoli-area services): the time of the whole request and
the worker's peak RSS (sampled every 20 ms and the kernel's high-water mark).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from common import load_south, scratch_database
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from ingest.sample import read_places, service_rows, write_sheet, write_workbook
from observatory import keys
from observatory.settings import get_settings
from tests.served import PeakRss, Served, observatory_serve

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

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


def operator_key(url: str, area: str) -> str:
    """A new operator key of `area` in the database of `url`."""
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        _, key = keys.create_key(session, f"bench upload {area}", "operator", [area])
    engine.dispose()
    return key


def upload(served: Served, key: str, path: Path) -> None:
    """POST `path` to the server; print the answer, the time and the worker's peak RSS."""
    kind = XLSX if path.suffix == ".xlsx" else "text/csv"
    with PeakRss(served.worker) as memory:
        start = time.perf_counter()
        response = httpx.post(
            f"{served.url}/ingest/upload", headers={"X-API-Key": key},
            files={"file": (path.name, path.read_bytes(), kind)},
            data={"source": f"http-{path.name}"}, timeout=900,
        )
        elapsed = time.perf_counter() - start
    body = response.json()
    outcome = body["counts"] if response.status_code == 200 else {"detail": body["detail"]}
    counts = ", ".join(f"{k} {v}" for k, v in outcome.items() if k in
                       {"read", "inserted", "rejected", "detail"})
    print(f"HTTP {path.name} ({path.stat().st_size / 2**20:.1f} MiB): {response.status_code} "
          f"in {elapsed:.2f} s; worker RSS {memory.start_mib:.0f} MiB before, peak "
          f"{memory.peak_mib:.0f} MiB (+{memory.peak_mib - memory.start_mib:.0f}); {counts}",
          flush=True)


def http_figures(url: str, places: list, folder: Path) -> None:
    """Upload CSVs and workbooks of Napoli-area services to a real `observatory serve`."""
    napoli = [place for place in places if place.area == "napoli"]
    files = []
    for rows in (10_000, MAX_UPLOAD_ROWS, 100_000):
        path = folder / f"http_{rows // 1000}k.csv"
        write_sheet(path, service_rows(napoli, rows, coordinates_share=0.5))
        files.append(path)
    for rows in (10_000, MAX_UPLOAD_ROWS):
        path = folder / f"http_{rows // 1000}k.xlsx"
        write_workbook(path, list(service_rows(napoli, rows, coordinates_share=0.5)))
        files.append(path)
    key = operator_key(url, "napoli")
    with observatory_serve(url, folder / "serve.log") as served:
        idle = served.worker.memory_info().rss / 2**20
        print(f"observatory serve --workers 1: idle worker RSS {idle:.0f} MiB", flush=True)
        for path in files:
            upload(served, key, path)


def main() -> None:
    """Write the files, ingest each in a fresh process, then over HTTP; print the figures."""
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
            write_workbook(path, list(service_rows(places, rows, coordinates_share=0.5)))
            files.append((path, "upload"))
        for path, limits in files:
            size = path.stat().st_size / 1024 / 1024
            print(f"{path.name}: {size:.1f} MiB on disk", flush=True)
            subprocess.run([sys.executable, "-c", CHILD, url, str(path), limits], check=True)
        http_figures(url, places, Path(folder))


if __name__ == "__main__":
    main()
