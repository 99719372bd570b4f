"""The apps depend one way: core <- cases <- treatment <- (interchange, reports).

Every import in an app's code (tests and migrations aside) is read with `ast`,
imports inside functions included, so a lazy import back up fails here too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import tsunagu

ROOT = Path(tsunagu.__file__).parent
LAYER = {
    "core": 0,
    "cases": 1,
    "risk": 2,
    "treatment": 3,
    "interchange": 4,
    "reports": 4,
    "notifications": 5,
}
# Edges waiting for their fix elsewhere (none: a clinician's clinic is declared by
# treatment, `treatment.ClinicStaff`, and reaches core as an affiliation).
ALLOWED: set[tuple[str, str]] = set()


def _app_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "tsunagu" and parts[1] in LAYER:
        return parts[1]
    return None


def _imports(path: Path) -> set[str]:
    inside = path.is_relative_to(ROOT.parent)
    package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[:-1]) if inside else ""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def app_edges() -> dict[tuple[str, str], set[str]]:
    """(importing app, imported app) -> the files that make the edge."""
    edges: dict[tuple[str, str], set[str]] = {}
    for app in LAYER:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT / app).parts
            if rel[0] in ("tests", "migrations"):
                continue
            for module in _imports(path):
                target = _app_of(module)
                if target and target != app:
                    edges.setdefault((app, target), set()).add(str(path.relative_to(ROOT)))
    return edges


def _cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    found = []

    def walk(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == path[0]:
                found.append([*path, nxt])
            elif nxt not in path and nxt > path[0]:
                walk(nxt, [*path, nxt])

    for start in sorted(graph):
        walk(start, [start])
    return found


def test_no_import_cycle_between_apps():
    edges = set(app_edges()) - ALLOWED
    assert _cycles(edges) == []


def test_apps_import_only_lower_layers():
    upward = {
        edge: sorted(files)
        for edge, files in app_edges().items()
        if edge not in ALLOWED and LAYER[edge[1]] >= LAYER[edge[0]]
    }
    assert upward == {}


def test_the_check_sees_imports_inside_functions(tmp_path):
    source = tmp_path / "mod.py"
    source.write_text("def f():\n    from tsunagu.reports import views\n")
    assert "tsunagu.reports" in _imports(source) or "tsunagu.reports.views" in _imports(source)


def test_no_api_imports_a_view():
    for app in LAYER:
        for path in (ROOT / app).glob("api*.py"):
            views = {m for m in _imports(path) if m.split(".")[-1].startswith("views")}
            assert views == set(), path
