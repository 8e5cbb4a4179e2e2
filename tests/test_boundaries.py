"""The core package never imports the ingest, the maps or the API: only the CLI composes them."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "observatory"
COMPOSITION_ROOT = CORE / "cli"
OUTER = frozenset({"ingest", "maps", "api"})


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module an import statement names, anywhere in the file (lazy imports too)."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append((node.lineno, node.module))
    return names


def outer_imports(folder: Path) -> list[str]:
    """`file:line module` for each import of an outer package by a core module."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        if COMPOSITION_ROOT in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, module in _imported(tree):
            if module.split(".")[0] in OUTER:
                found.append(f"{path.relative_to(ROOT)}:{line} {module}")
    return found


def test_core_imports_neither_ingest_nor_maps_nor_api():
    assert outer_imports(CORE) == []


def test_the_walk_finds_lazy_imports(tmp_path):
    module = tmp_path / "probe.py"
    module.write_text("def f():\n    from ingest.load import load_services\n    import maps.data\n")
    assert [m for _, m in _imported(ast.parse(module.read_text()))] == ["ingest.load", "maps.data"]
