"""Count tables as the pages, the downloads and the public release share them.

A `Table` is labelled rows × columns of counts. The programme report's
by-prefecture figures and every annual table are turned into one, so a public
release (small-cell suppression) and the CSV/XLSX/PDF writers work on any of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tsunagu.reports import suppression


@dataclass
class Table:
    """Rows × columns of counts. With `margins`, row and column totals are part of
    the table (and of what a release must protect); without, the rows are unrelated
    lists and no total is shown."""

    key: str
    title: str
    row_keys: list[str]
    row_labels: list[str]
    col_keys: list[str]
    col_labels: list[str]
    cells: list[list[int]]
    margins: bool = True
    total_label: str = "Total"
    # The heading of the row labels' column ("Age", "Prefecture"): no header cell is empty.
    row_heading: str = ""
    # The heading of the row totals' column, when it is not "Total" (e.g. "Advised").
    row_total_label: str = ""
    # Row key → the list behind a one-column row's count (for users who may open it).
    links: dict[str, str] = field(default_factory=dict)
    # Filled by `release()`: the published values, None where hidden.
    published: list[list[int | None]] | None = None
    published_row_totals: list[int | None] = field(default_factory=list)
    published_col_totals: list[int | None] = field(default_factory=list)
    published_grand: int | None = None

    @property
    def row_totals(self) -> list[int]:
        return [sum(row) for row in self.cells]

    @property
    def col_totals(self) -> list[int]:
        return [sum(row[c] for row in self.cells) for c in range(len(self.col_keys))]

    @property
    def grand(self) -> int:
        return sum(self.row_totals)

    def release(self, threshold: int, hide_zero: bool = False) -> Table:
        """This table with small cells suppressed (a new table; `cells` unchanged)."""
        released = Table(
            **{k: v for k, v in self.__dict__.items() if not k.startswith("published")}
        )
        if not self.cells:
            released.published = []
            return released
        if not self.margins:
            low = 0 if hide_zero else 1
            released.published = [
                [None if low <= v <= threshold else v for v in row] for row in self.cells
            ]
            return released
        single_column = len(self.col_keys) == 1
        # A one-column table's row totals repeat its cells: suppress it as one row.
        matrix = [[row[0] for row in self.cells]] if single_column else self.cells
        result = suppression.suppress(matrix, threshold, hide_zero)
        if single_column:
            released.published = [[v] for v in result.cells[0]]
            released.published_row_totals = list(
                released.published[i][0] for i in range(len(self.cells))
            )
            released.published_col_totals = [result.grand]
        else:
            released.published = result.cells
            released.published_row_totals = result.row_totals
            released.published_col_totals = result.col_totals
        released.published_grand = result.grand
        return released

    def rows(self) -> list[tuple[str, str, list[int | None], int | None]]:
        """(key, label, values, row total) for display: the published values after
        a release, else the counts. (`linked_rows` adds the links.)"""
        out = []
        for i, (key, label) in enumerate(zip(self.row_keys, self.row_labels, strict=True)):
            if self.published is not None:
                values = self.published[i]
                total = self.published_row_totals[i] if self.margins else None
            else:
                values = list(self.cells[i])
                total = sum(self.cells[i]) if self.margins else None
            out.append((key, label, values, total))
        return out

    def linked_rows(self) -> list[tuple[str, list[int | None], int | None, str]]:
        """(label, values, row total, link) for the page; no link once released."""
        released = self.published is not None
        return [
            (label, values, total, "" if released else self.links.get(key, ""))
            for key, label, values, total in self.rows()
        ]

    def totals_row(self) -> tuple[list[int | None], int | None] | None:
        if not self.margins:
            return None
        if self.published is not None:
            return list(self.published_col_totals), self.published_grand
        return list(self.col_totals), self.grand

    @property
    def released(self) -> bool:
        return self.published is not None

    def matrix(self, with_totals: bool = True) -> list[list[object]]:
        """Header row then body rows as plain values ("" for hidden, "x" marker left
        to the writer), for CSV and XLSX."""
        single_column_total = self.margins and len(self.col_keys) > 1
        header: list[object] = [self.row_heading, *self.col_labels]
        if single_column_total and with_totals:
            header.append(self.row_total_label or self.total_label)
        out: list[list[object]] = [header]
        for _key, label, values, total in self.rows():
            line: list[object] = [label, *values]
            if single_column_total and with_totals:
                line.append(total)
            out.append(line)
        totals = self.totals_row()
        if totals is not None and with_totals:
            col_totals, grand = totals
            line = [self.total_label, *col_totals]
            if single_column_total:
                line.append(grand)
            out.append(line)
        return out
