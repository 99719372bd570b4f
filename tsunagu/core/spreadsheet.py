"""Cells that a spreadsheet can never read as a formula (CSV and XLSX downloads).

A spreadsheet treats a cell that starts with `=`, `+`, `-`, `@`, a tab or a
carriage return as a formula ("CSV injection"). Every CSV or XLSX the system
writes goes through this module:

- **CSV**: a text value that starts with one of those characters, or with an
  apostrophe, gets one apostrophe in front (`=1+1` → `'=1+1`, `'abc` → `''abc`).
  Spreadsheets show the apostrophe-led cell as text. The importer removes one
  leading apostrophe from every cell (`csv_unescape`), so the round trip is
  lossless. Numbers and dates written as numbers (not strings) are left alone,
  so a column of negative numbers stays a column of numbers.
- **XLSX**: every string cell is typed as text (never a formula), whatever it
  starts with; no apostrophe is added.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
_ESCAPED_START = (*FORMULA_START, ESCAPE)


def csv_escape(value: str) -> str:
    """The text as a CSV cell that no spreadsheet reads as a formula (reversible)."""
    if value.startswith(_ESCAPED_START):
        return ESCAPE + value
    return value


def csv_unescape(value: str) -> str:
    """The text a CSV cell written by `csv_escape` stands for."""
    if value.startswith(ESCAPE):
        return value[1:]
    return value


def csv_unescape_row(row: list[str]) -> list[str]:
    """A row of CSV cells unescaped (fast when no cell starts with an apostrophe)."""
    if ESCAPE not in "".join(cell[:1] for cell in row):
        return row
    return [csv_unescape(cell) for cell in row]


def csv_cell(value: Any) -> Any:
    """A value for a CSV writer: strings escaped, numbers and the rest as they are."""
    return csv_escape(value) if isinstance(value, str) else value


class SafeCsvWriter:
    """`csv.writer` whose string cells are escaped with `csv_escape`."""

    def __init__(self, out: IO[str], **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([csv_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: IO[str], **kwargs: Any) -> SafeCsvWriter:
    """A CSV writer for any download (CRLF line ends, as Excel expects)."""
    kwargs.setdefault("lineterminator", "\r\n")
    return SafeCsvWriter(out, **kwargs)


def as_text(cell: Any) -> Any:
    """An openpyxl cell holding a string, typed as text (never a formula)."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def text_cells(workbook: Any) -> None:
    """Type every string cell of a (normal, not write-only) workbook as text."""
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                as_text(cell)


def write_only_row(ws: Any, values: Iterable[Any]) -> list[Any]:
    """Cells for a write-only sheet's `append`, string ones typed as text."""
    from openpyxl.cell import WriteOnlyCell

    return [as_text(WriteOnlyCell(ws, value=v)) if isinstance(v, str) else v for v in values]
