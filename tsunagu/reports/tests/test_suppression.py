"""Small-cell suppression: small counts hidden, and no hidden cell recoverable.

The recoverability check here is written independently of the module: it builds
the attacker's system from the published table alone (cells, row totals, column
totals, grand total) and asks scipy for the least and greatest value of each
hidden cell. Both must differ.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from tsunagu.reports import suppression
from tsunagu.reports.tables import Table


def attacker_interval(
    released: suppression.Released, target: tuple[int, int]
) -> tuple[float, float]:
    """What someone holding only the published table can say about one hidden cell."""
    n_rows, n_cols = len(released.cells), len(released.cells[0])
    grid: list[list[int | None]] = [
        [*released.cells[r], released.row_totals[r]] for r in range(n_rows)
    ] + [[*released.col_totals, released.grand]]
    unknown = [(r, c) for r in range(n_rows + 1) for c in range(n_cols + 1) if grid[r][c] is None]
    position = {cell: i for i, cell in enumerate(unknown)}
    equations = []
    for r in range(n_rows + 1):
        equations.append([((r, c), 1.0) for c in range(n_cols)] + [((r, n_cols), -1.0)])
    for c in range(n_cols + 1):
        equations.append([((r, c), 1.0) for r in range(n_rows)] + [((n_rows, c), -1.0)])
    a, b = [], []
    for eq in equations:
        row = np.zeros(len(unknown))
        rhs = 0.0
        for cell, coeff in eq:
            value = grid[cell[0]][cell[1]]
            if value is None:
                row[position[cell]] += coeff
            else:
                rhs -= coeff * value
        if row.any():
            a.append(row)
            b.append(rhs)
        else:
            assert abs(rhs) < 1e-9  # the published table is consistent
    objective = np.zeros(len(unknown))
    objective[position[target]] = 1
    lo = linprog(objective, A_eq=np.array(a), b_eq=np.array(b), bounds=(0, None))
    hi = linprog(-objective, A_eq=np.array(a), b_eq=np.array(b), bounds=(0, None))
    assert lo.status == 0  # the truth is a solution
    return lo.fun, (-hi.fun if hi.status == 0 else float("inf"))


tables = st.integers(1, 5).flatmap(
    lambda rows: st.integers(1, 5).flatmap(
        lambda cols: st.lists(
            st.lists(
                st.one_of(st.integers(0, 6), st.integers(0, 40)), min_size=cols, max_size=cols
            ),
            min_size=rows,
            max_size=rows,
        )
    )
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables, threshold=st.integers(1, 5))
def test_no_hidden_cell_is_recoverable_from_the_published_table(
    table: list[list[int]], threshold: int
) -> None:
    released = suppression.suppress(table, threshold)
    aug = suppression.augmented(table)
    n_rows, n_cols = len(table), len(table[0])
    for r in range(n_rows + 1):
        for c in range(n_cols + 1):
            truth = aug[r][c]
            shown = (
                released.grand
                if (r, c) == (n_rows, n_cols)
                else released.col_totals[c]
                if r == n_rows
                else released.row_totals[r]
                if c == n_cols
                else released.cells[r][c]
            )
            if 1 <= truth <= threshold:
                assert shown is None, "a small count is published"
            if shown is not None:
                assert shown == truth
                assert truth == 0 or truth > threshold
            else:
                lo, hi = attacker_interval(released, (r, c))
                assert hi - lo > 0.5, f"cell {(r, c)} = {truth} recoverable: [{lo}, {hi}]"
                assert lo - 1e-6 <= truth <= hi + 1e-6


@settings(max_examples=30, deadline=None)
@given(table=tables)
def test_zero_stays_visible_unless_configured(table: list[list[int]]) -> None:
    released = suppression.suppress(table, 4)
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            if value == 0 and (r, c) not in released.complementary:
                assert released.cells[r][c] == 0
    hiding = suppression.suppress(table, 4, hide_zero=True)
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            if value == 0:
                assert hiding.cells[r][c] is None


def test_a_lone_small_cell_gets_complements_in_its_row_and_column() -> None:
    table = [[20, 30, 2], [25, 35, 40], [50, 60, 70]]
    released = suppression.suppress(table, 4)
    assert released.primary == {(0, 2)}
    assert released.cells[0][2] is None
    # At least one more cell of its row and of its column is hidden.
    assert any(released.cells[0][c] is None for c in (0, 1))
    assert any(released.cells[r][2] is None for r in (1, 2))
    assert not suppression.recoverable(suppression.augmented(table), released.hidden)


def test_a_table_without_small_cells_is_published_whole() -> None:
    table = [[20, 0, 9], [25, 35, 40]]
    released = suppression.suppress(table, 4)
    assert released.cells == table
    assert released.grand == 129 and not released.hidden


def test_one_column_table_is_suppressed_as_a_row() -> None:
    table = Table(
        key="t",
        title="t",
        row_keys=["a", "b", "c"],
        row_labels=["a", "b", "c"],
        col_keys=["n"],
        col_labels=["n"],
        cells=[[3], [50], [60]],
    )
    released = table.release(4)
    assert released.published is not None
    values = [row[0] for row in released.published]
    assert values[0] is None
    # With the total published, a second cell must go, or the first is 113 - 50 - 60.
    assert values.count(None) >= 2 or released.published_grand is None
    assert table.cells == [[3], [50], [60]]  # the original is untouched
