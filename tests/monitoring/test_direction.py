"""The monitoring package imports ``features`` and ``serving``, never ``training``, ``health`` or
``portfolio``; and no library package imports it (only the ``health`` edge does)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = {"features", "training", "serving", "monitoring", "health", "portfolio"}


def imported_packages(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names & OURS


def package_imports(name: str) -> set[str]:
    files = sorted((ROOT / name).glob("*.py"))
    assert files, name
    return set().union(*(imported_packages(p) for p in files))


def test_monitoring_imports_features_and_serving_only():
    assert package_imports("monitoring") == {"features", "serving", "monitoring"}


def test_no_library_imports_monitoring():
    for name in ("features", "training", "serving"):
        assert "monitoring" not in package_imports(name), name
