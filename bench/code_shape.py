"""The shape of the code: the largest modules and the spread of function lengths.

    python bench/code_shape.py [ROOT]     (default: tsunagu/)

Modules are counted outside `migrations/` and `tests/` (and `tsunagu/testing/`
and `conftest.py` for functions too). A function's length is its lines from
`def` to its last line, decorators excluded; nested functions count on their own
and inside their parent. Percentiles are nearest-rank.
"""

from __future__ import annotations

import ast
import math
import sys
from pathlib import Path

SKIP_PARTS = {"migrations", "tests", "testing"}


def _included(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    return not (SKIP_PARTS & set(parts[:-1])) and path.name != "conftest.py"


def _percentile(values: list[int], q: float) -> int:
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def measure(root: Path) -> dict[str, object]:
    modules: list[tuple[int, str]] = []
    lengths: list[int] = []
    for path in sorted(root.rglob("*.py")):
        if not _included(path, root):
            continue
        text = path.read_text(encoding="utf-8")
        modules.append((len(text.splitlines()), str(path)))
        for node in ast.walk(ast.parse(text, str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lengths.append((node.end_lineno or node.lineno) - node.lineno + 1)
    modules.sort(reverse=True)
    return {
        "modules": len(modules),
        "largest": modules[:5],
        "over_600": [m for m in modules if m[0] > 600],
        "functions": len(lengths),
        "median": _percentile(lengths, 0.5),
        "p90": _percentile(lengths, 0.9),
        "max": max(lengths),
    }


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "tsunagu")
    shape = measure(root)
    print(f"modules (outside migrations/tests): {shape['modules']}")
    for lines, path in shape["largest"]:  # type: ignore[attr-defined]
        print(f"  {lines:5d}  {path}")
    print(f"modules over 600 lines: {len(shape['over_600'])}")  # type: ignore[arg-type]
    print(
        f"functions: {shape['functions']}, length median {shape['median']}, "
        f"90th percentile {shape['p90']}, max {shape['max']} lines"
    )


if __name__ == "__main__":
    main()
