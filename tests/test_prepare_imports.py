"""The preparation steps import in one direction: no cycle through planner.problem."""

from __future__ import annotations

import ast
from pathlib import Path

import planner

PLANNER_DIR = Path(planner.__file__).parent
PREPARE_MODULES = ("planner.problem", "planner.feasibility", "planner.figures", "planner.prep")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PLANNER_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _planner_imports(path: Path) -> set[str]:
    """Every planner module a file imports, including imports under TYPE_CHECKING."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("planner"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("planner"))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PLANNER_DIR.rglob("*.py")}
    return {m: {d for d in _planner_imports(p) if d in modules and d != m}
            for m, p in modules.items()}


def _reaches(graph: dict[str, set[str]], start: str, target: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        m = todo.pop()
        if m == target:
            return True
        if m not in seen:
            seen.add(m)
            todo.extend(graph.get(m, ()))
    return False


def test_no_import_cycle_through_prepare() -> None:
    graph = _graph()
    scoped = [m for m in graph if m.startswith(PREPARE_MODULES)]
    assert "planner.prep.regions" in scoped  # the scan sees the step modules
    cycles = [(a, b) for a in scoped for b in graph[a] if _reaches(graph, b, a)]
    assert cycles == []


def test_feasibility_does_not_import_problem() -> None:
    assert "planner.problem" not in _graph()["planner.feasibility"]
