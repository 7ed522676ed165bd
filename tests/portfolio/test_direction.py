"""The portfolio package imports ``features`` and never ``training``, ``serving`` or ``health``."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "portfolio"
FORBIDDEN = {"training", "serving", "health"}


def imported_packages(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_portfolio_imports_only_features_of_ours():
    files = sorted(PACKAGE.glob("*.py"))
    assert len(files) >= 8
    used = set().union(*(imported_packages(p) for p in files))
    assert "features" in used
    assert not used & FORBIDDEN
