"""Small-cell suppression for public release of a count table (pure).

A table is published with its row totals, column totals and grand total. Counts
from 1 to the threshold are hidden (primary suppression), and so is a total in
that range. Then more cells are hidden (complementary suppression) until no
hidden cell can be worked out from what is published: for every hidden cell we
solve two linear programmes — its least and greatest value under the published
cells, the row and column equations and non-negativity — and require that the
interval has a width. The equations of a table with margins are totally
unimodular, so the bounds are whole numbers and a width means at least two
possible values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

Cell = tuple[int, int]


@dataclass(frozen=True)
class Released:
    """A table as published: `None` where a cell is hidden.

    `cells[r][c]` for the body, `row_totals[r]`, `col_totals[c]`, `grand`.
    `primary` are the small counts, `complementary` the cells hidden to protect
    them; both in the coordinates of the augmented table, where column C holds
    the row totals and row R the column totals.
    """

    cells: list[list[int | None]]
    row_totals: list[int | None]
    col_totals: list[int | None]
    grand: int | None
    primary: frozenset[Cell]
    complementary: frozenset[Cell]

    @property
    def hidden(self) -> frozenset[Cell]:
        return self.primary | self.complementary


def augmented(table: Sequence[Sequence[int]]) -> list[list[int]]:
    """The table with a column of row totals and a row of column totals."""
    rows = [list(map(int, row)) for row in table]
    width = len(rows[0]) if rows else 0
    body = [row + [sum(row)] for row in rows]
    totals = [sum(row[c] for row in body) for c in range(width + 1)]
    return body + [totals]


def _relations(n_rows: int, n_cols: int) -> list[list[tuple[Cell, int]]]:
    """The equations of the augmented table: each row and each column sums to its total."""
    relations = []
    for r in range(n_rows + 1):
        relations.append([((r, c), 1) for c in range(n_cols)] + [((r, n_cols), -1)])
    for c in range(n_cols + 1):
        relations.append([((r, c), 1) for r in range(n_rows)] + [((n_rows, c), -1)])
    return relations


def bounds(
    aug: Sequence[Sequence[int]], hidden: set[Cell] | frozenset[Cell]
) -> dict[Cell, tuple[float, float]]:
    """Least and greatest value of each hidden cell given everything else published
    (`inf` when unbounded)."""
    n_rows, n_cols = len(aug) - 1, len(aug[0]) - 1
    order = sorted(hidden)
    index = {cell: i for i, cell in enumerate(order)}
    a_eq, b_eq = [], []
    for relation in _relations(n_rows, n_cols):
        coeffs = np.zeros(len(order))
        rhs = 0.0
        touched = False
        for cell, sign in relation:
            if cell in index:
                coeffs[index[cell]] += sign
                touched = True
            else:
                rhs -= sign * aug[cell[0]][cell[1]]
        if touched:
            a_eq.append(coeffs)
            b_eq.append(rhs)
    result: dict[Cell, tuple[float, float]] = {}
    if not order:
        return result
    a = np.array(a_eq) if a_eq else None
    b = np.array(b_eq) if b_eq else None
    for cell, i in index.items():
        objective = np.zeros(len(order))
        objective[i] = 1.0
        low = linprog(objective, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        lo = low.fun if low.status == 0 else 0.0
        hi = -high.fun if high.status == 0 else float("inf")
        result[cell] = (lo, hi)
    return result


def recoverable(aug: Sequence[Sequence[int]], hidden: set[Cell] | frozenset[Cell]) -> list[Cell]:
    """Hidden cells whose value the published cells and totals determine."""
    return [cell for cell, (lo, hi) in bounds(aug, hidden).items() if hi - lo < 0.5]


def _complement_for(aug: Sequence[Sequence[int]], hidden: set[Cell], cell: Cell) -> Cell | None:
    """A visible cell to hide next to a recoverable one: in its row or column,
    preferring body cells, then the smallest positive count, then zeros."""
    n_rows, n_cols = len(aug) - 1, len(aug[0]) - 1
    r, c = cell
    candidates = {(r, j) for j in range(n_cols + 1)} | {(i, c) for i in range(n_rows + 1)}
    candidates -= hidden
    if not candidates:
        candidates = {
            (i, j) for i in range(n_rows + 1) for j in range(n_cols + 1) if (i, j) not in hidden
        }
    if not candidates:
        return None

    def cost(x: Cell) -> tuple[int, int, int, Cell]:
        value = aug[x[0]][x[1]]
        margin = int(x[0] == n_rows or x[1] == n_cols)
        return (margin, int(value == 0), value, x)

    return min(candidates, key=cost)


def suppress(
    table: Sequence[Sequence[int]], threshold: int = 4, hide_zero: bool = False
) -> Released:
    """Hide small counts and enough others that none of them can be recovered."""
    aug = augmented(table)
    n_rows, n_cols = len(aug) - 1, len(aug[0]) - 1
    low = 0 if hide_zero else 1
    primary = {
        (r, c)
        for r in range(n_rows + 1)
        for c in range(n_cols + 1)
        if low <= aug[r][c] <= threshold
    }
    hidden = set(primary)
    while True:
        exposed = recoverable(aug, hidden) if hidden else []
        if not exposed:
            break
        # One complement per exposed cell, except where a complement added in this
        # round already shares its row or column (that may well protect it).
        added: list[Cell] = []
        for cell in exposed:
            if any(x[0] == cell[0] or x[1] == cell[1] for x in added):
                continue
            extra = _complement_for(aug, hidden, cell)
            if extra is not None:
                hidden.add(extra)
                added.append(extra)
        if not added:  # pragma: no cover - everything is hidden already
            break

    def shown(r: int, c: int) -> int | None:
        return None if (r, c) in hidden else aug[r][c]

    return Released(
        cells=[[shown(r, c) for c in range(n_cols)] for r in range(n_rows)],
        row_totals=[shown(r, n_cols) for r in range(n_rows)],
        col_totals=[shown(n_rows, c) for c in range(n_cols)],
        grand=shown(n_rows, n_cols),
        primary=frozenset(primary),
        complementary=frozenset(hidden - primary),
    )
