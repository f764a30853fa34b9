"""The code reads one way: no module of builder/ imports one that imports it
back (directly or through others), at its top or inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

BUILDER = REPO / "builder"


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, known: set[str]) -> set[str]:
    """builder modules *path* imports anywhere, but for type checking only."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            node.body = []
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        found |= {name for name in names if name in known}
    return found


def test_no_import_cycles_in_the_builder() -> None:
    paths = {_module_name(path): path for path in BUILDER.rglob("*.py")}
    graph = {name: _imports(path, set(paths)) - {name} for name, path in paths.items()}
    cycles = []

    def visit(name: str, trail: list[str]) -> None:
        for target in sorted(graph[name]):
            if target in trail:
                cycles.append(" -> ".join([*trail[trail.index(target):], target]))
            elif len(trail) < 30:
                visit(target, [*trail, target])

    for name in sorted(graph):
        visit(name, [name])
    assert cycles == []
