"""The import graph of our packages: no circle between modules, no import against the direction.

Every import counts, including those inside functions and under ``TYPE_CHECKING``: a circle that
only a type checker or a late import walks is still one the next reader has to untangle.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Which of our packages each package may import (besides itself). The edge, ``health``, may use
# them all and nothing imports it; ``features`` stands alone; ``serving`` never needs ``training``.
ALLOWED = {
    "features": set(),
    "serving": {"features"},
    "training": {"features", "serving"},
    "monitoring": {"features", "serving"},
    "portfolio": {"features"},
    "health": {"features", "serving", "training", "monitoring", "portfolio"},
}


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every module of our packages."""
    files = {}
    for package in ALLOWED:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            files[".".join(parts)] = path
    return files


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """Our modules that ``name`` imports anywhere in its file, function bodies included."""
    package = name if path.stem == "__init__" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # ``from p import m`` uses the module p.m when there is one, else p itself.
            names = [f"{module}.{alias.name}" for alias in node.names]
            targets = [n if n in known else module for n in names]
        else:
            continue
        for target in targets:
            # ``import a.b.c`` uses a.b.c; the longest prefix that is one of ours is the module.
            parts = target.split(".")
            for end in range(len(parts), 0, -1):
                candidate = ".".join(parts[:end])
                if candidate in known:
                    found.add(candidate)
                    break
    found.discard(name)
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    files = module_files(root)
    return {name: imported_modules(name, path, set(files)) for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle as a path ``[a, b, ..., a]``, or None (depth-first search, three colours)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def against_direction(graph: dict[str, set[str]]) -> list[str]:
    """Every import of another package that ``ALLOWED`` does not permit, as ``a -> b``."""
    wrong = []
    for source, targets in sorted(graph.items()):
        home = source.split(".")[0]
        for target in sorted(targets):
            other = target.split(".")[0]
            if other != home and other not in ALLOWED[home]:
                wrong.append(f"{source} -> {target}")
    return wrong


def test_the_graph_is_read():
    graph = import_graph()
    assert "features.contract" in graph and "health.cli" in graph
    assert "features.contract" in graph["features.loading"]
    # A function-level import is seen (health.commands imports the backtest inside its job).
    assert "training.backtest" in graph["health.commands"]


def test_no_import_circle():
    assert find_cycle(import_graph()) is None


def test_every_import_follows_the_direction():
    assert against_direction(import_graph()) == []


def test_monitoring_is_pinned_to_features_and_serving():
    graph = import_graph()
    used = {t.split(".")[0] for s, ts in graph.items() if s.startswith("monitoring") for t in ts}
    assert used == {"features", "serving", "monitoring"}


def test_a_hand_made_circle_and_a_wrong_import_are_caught():
    circle = {
        "features.a": {"features.b"},
        "features.b": {"features.c"},
        "features.c": {"features.a"},
    }
    assert find_cycle(circle) == ["features.a", "features.b", "features.c", "features.a"]
    assert find_cycle({"features.a": {"features.b"}, "features.b": set()}) is None
    wrong = {
        "features.a": {"serving.b"},
        "serving.b": {"training.c", "features.a"},
        "portfolio.d": {"health.e"},
        "training.c": {"serving.b"},
    }
    assert against_direction(wrong) == [
        "features.a -> serving.b",
        "portfolio.d -> health.e",
        "serving.b -> training.c",
    ]


def test_relative_and_function_level_imports_are_read(tmp_path):
    package = tmp_path / "serving"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from . import b\n    from .b import g\n")
    (package / "b.py").write_text("import training.c\n")
    (tmp_path / "training").mkdir()
    (tmp_path / "training" / "c.py").write_text("from serving.a import f\n")
    graph = import_graph(tmp_path)
    assert graph["serving.a"] == {"serving.b"}
    assert graph["training.c"] == {"serving.a"}
    # The circle runs through a late import inside a function: still a circle.
    assert find_cycle(graph) == ["serving.a", "serving.b", "training.c", "serving.a"]
    assert against_direction(graph) == ["serving.b -> training.c"]


def test_each_package_map_names_exactly_its_modules():
    """The map in each ``__init__.py`` (``- ``module``: its job``) lists every module, no more."""
    for package in ALLOWED:
        doc = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text())) or ""
        named = re.findall(r"^- ``(\w+)``:", doc, flags=re.M)
        present = {p.stem for p in (ROOT / package).glob("*.py") if p.stem != "__init__"}
        assert sorted(named) == sorted(present), package
        assert len(named) == len(set(named)), package
