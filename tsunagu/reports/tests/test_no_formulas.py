"""Report downloads: no string cell is a formula; numbers stay numbers."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook

from tsunagu.reports import exports
from tsunagu.reports.tables import Table


def _table() -> Table:
    return Table(
        key="t",
        title="=1+2",
        row_keys=["a", "b"],
        row_labels=["@cmd", '=HYPERLINK("http://evil.example","x")'],
        col_keys=["n"],
        col_labels=["+n"],
        cells=[[-3], [4]],
        total_label="Total",
        row_total_label="All",
    )


def test_report_csv_escapes_formula_text_but_not_numbers():
    text = exports.table_csv([_table()])
    assert "'=HYPERLINK" in text and "'@cmd" in text and "'=1+2" in text and "'+n" in text
    assert ",-3" in text and "'-3" not in text


def test_report_xlsx_types_every_string_cell_as_text():
    book = load_workbook(io.BytesIO(exports.tables_xlsx("=1+1", "-x", [_table()])))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert any(c.value == "=1+1" for c in cells)
    assert all(c.data_type == "s" for c in cells if isinstance(c.value, str))
    assert any(c.value == -3 and c.data_type == "n" for c in cells)


def test_save_types_text_cells_of_any_workbook():
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "=SUM(1,2)"
    ws["A2"] = 7
    book = load_workbook(io.BytesIO(exports._save(wb)))
    assert book.active["A1"].data_type == "s" and book.active["A1"].value == "=SUM(1,2)"
    assert book.active["A2"].value == 7
