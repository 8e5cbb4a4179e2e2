"""The repository stands alone: no code reads the project folder beside the checkout."""

import re
import subprocess
from pathlib import Path

from observatory.settings import PROJECT_ROOT

THIS = Path(__file__).resolve()
CODE_SUFFIXES = {".py", ".sh", ".toml", ".cfg", ".ini", ".yaml", ".yml", ".mako"}
CODE_NAMES = {"Makefile", "run"}
SHARED = ".." + "/shared"  # spelt in parts so this guard does not match itself
OUTSIDE = re.compile(re.escape(SHARED) + "|SHARED" + "_DIR")
SKIPPED_DIRS = {".git", ".venv", ".pgdata", "out", "vendor", "__pycache__", "node_modules"}


def tracked_files() -> list[Path]:
    """The files git tracks in the checkout (every file but build output when not a clone)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=False
    )
    if listed.returncode == 0:
        names = [name for name in listed.stdout.decode().split("\0") if name]
        return [PROJECT_ROOT / name for name in names]
    return [
        path
        for path in PROJECT_ROOT.rglob("*")
        if path.is_file() and not SKIPPED_DIRS & set(path.relative_to(PROJECT_ROOT).parts)
    ]


def code_files() -> list[Path]:
    """Tracked code: Python, shell, Makefile, configuration, CI script (not this test)."""
    return [
        path
        for path in tracked_files()
        if (path.suffix in CODE_SUFFIXES or path.name in CODE_NAMES)
        and path.resolve() != THIS
        and path.is_file()
    ]


def test_no_code_file_refers_to_the_shared_folder_beside_the_checkout():
    files = code_files()
    assert PROJECT_ROOT / "Makefile" in files and PROJECT_ROOT / ".ci" / "run" in files
    offending = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
        and not (path.relative_to(PROJECT_ROOT).as_posix() == ".ci/run"
                 and "HSDS_SCHEMA_DIR=" in line)
    ]
    assert not offending, f"code reads {SHARED} (vendor the data instead):\n" + "\n".join(
        offending
    )
