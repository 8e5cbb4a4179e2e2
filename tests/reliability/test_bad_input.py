"""Bad files: each is refused with a clear message and exit code 2 and stores nothing, or
its bad rows are rejected with their reasons while the good ones are stored."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.ingest.helpers import NAPOLI, reasons, run, services, write_sheet
from tests.reliability import corpus
from tests.reliability.conftest import fingerprint


def _header_only(path: Path) -> Path:
    path.write_text("nome;comune;indirizzo\r\n", encoding="utf-8")
    return path


def _latin1(path: Path) -> Path:
    path.write_bytes("nome;comune\r\nSportello Città;Napoli\r\n".encode("cp1252"))
    return path


REFUSED: list[tuple[str, Callable[[Path], Path], list[str], str]] = [
    ("empty.csv", lambda p: p.write_bytes(b"") and p or p, [], "holds no rows"),
    ("header.csv", _header_only, [], "no rows below the header"),
    ("photo.csv", corpus.binary_csv, [], "a binary file, not CSV text"),
    ("broken.xlsx", corpus.truncated_xlsx, [], "not a readable Excel workbook"),
    ("latin1.csv", _latin1, ["--encoding", "utf-8"], "cannot decode the file as utf-8"),
    ("latin1.csv", _latin1, ["--encoding", "klingon"], "cannot decode the file as klingon"),
    ("huge.csv", corpus.one_huge_line_csv, [], "malformed CSV near line"),
    ("servizi.xls", lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0") and p, [], "old .xls"),
    ("missing.csv", lambda p: p, [], "no such file"),
]


@pytest.mark.parametrize(
    ("name", "make", "options", "message"),
    REFUSED,
    ids=[f"{name}{''.join(options)}" for name, _, options, _ in REFUSED],
)
def test_unreadable_file_exits_2_with_its_reason_and_stores_nothing(
    use_database, tmp_path, monkeypatch, capsys, name, make, options, message
):
    path = make(tmp_path / name)
    before = fingerprint(use_database)
    started = time.monotonic()
    code, _, stderr = run_cli(
        monkeypatch, capsys, "ingest", str(path), "--source", "bad", *options
    )
    assert code == 2, stderr
    assert message in " ".join(stderr.split()), stderr
    assert "Traceback" not in stderr
    assert time.monotonic() - started < 20
    assert fingerprint(use_database) == before


PEAK_MEMORY = """
import resource, sys
from pathlib import Path
from ingest.limits import Limits
from ingest.read import read_table
from observatory.errors import InvalidInput
imported_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    read_table(Path(sys.argv[1]), limits=Limits.for_cli())
except InvalidInput as error:
    print(error)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - imported_kb) // 1024)
"""


@pytest.mark.slow  # about 15 s: left out of make test-fast
def test_a_million_empty_rows_are_read_in_bounded_memory(tmp_path):
    path = corpus.header_and_empty_rows_xlsx(tmp_path / "blank.xlsx")
    result = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY, str(path)], capture_output=True, text=True, check=True
    )
    message, grown_mb = result.stdout.splitlines()
    assert "no rows below the header" in message
    assert int(grown_mb) < 50, grown_mb  # holding the million empty rows took over 100 MB


BAD_ROWS = [
    (["Sportello " + "x" * 100_000, "INF", "Via Roma 1", "Napoli", "NA", *NAPOLI], "too_long"),
    (["Sportello inf", "INF", "Via Roma 3", "Napoli", "NA", "inf", "-inf"], "invalid_coordinates"),
    (["Sportello 999", "INF", "Via Roma 4", "Napoli", "NA", "999", "999"], "invalid_coordinates"),
    (["Sportello -999", "INF", "Via Roma 5", "Napoli", "NA", "-999", "-999"],
     "invalid_coordinates"),
]


def test_bad_rows_are_rejected_with_their_reason_and_good_rows_stored(session, tmp_path):
    good = ["Sportello buono", "INF", "Via Roma 9", "Napoli", "NA", *NAPOLI]
    nan = ["Sportello NaN", "INF", "Via Roma 2", "Napoli", "NA", "nan", "nan"]  # placeholders
    path = write_sheet(tmp_path / "righe.csv", [good, nan, *(row for row, _ in BAD_ROWS)],
                       encoding="utf-8")
    report = run(session, path, "bad-rows")
    assert report.counts["inserted"] == 2
    assert report.counts["placeholders"] == 2
    assert reasons(report) == {n: [code] for n, (_, code) in enumerate(BAD_ROWS, start=4)}
    stored = {s.name: s.geocode_precision for s in services(session, "bad-rows")}
    assert stored == {"Sportello buono": "provided", "Sportello NaN": "municipality"}


def test_a_file_cut_mid_row_and_mid_character_keeps_its_rows_and_accents(session, tmp_path):
    rows = [[f"Sportello Città {n}", "INF", f"Via Roma {n}", "Napoli", "NA", *NAPOLI]
            for n in range(3)]
    path = write_sheet(tmp_path / "cut.csv", rows, encoding="utf-8")
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex("Città".encode()) + 4])  # inside the 'à' of the last
    report = run(session, path, "cut")
    assert [s.name for s in services(session, "cut")] == ["Sportello Città 0", "Sportello Città 1"]
    assert report.counts["rejected"] == 1
