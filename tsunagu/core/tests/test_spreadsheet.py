"""No downloaded cell can be read as a formula, and the CSV escape is lossless."""

from __future__ import annotations

import io
import zipfile

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from tsunagu.core import spreadsheet
from tsunagu.core.spreadsheet import FORMULA_START, csv_escape, csv_unescape

# Any text a CSV file can carry (no NUL) and UTF-8 can encode (no lone surrogate).
CSV_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"))
# Biased towards the dangerous first characters.
RISKY = st.one_of(
    CSV_TEXT, st.tuples(st.sampled_from([*FORMULA_START, "'"]), CSV_TEXT).map("".join)
)


@given(RISKY)
def test_escape_is_never_a_formula_and_unescape_reverses_it(text):
    escaped = csv_escape(text)
    assert not escaped.startswith(FORMULA_START)
    assert csv_unescape(escaped) == text


@given(st.lists(RISKY, min_size=1, max_size=4))
def test_csv_file_round_trip_through_the_safe_writer(cells):
    import csv

    out = io.StringIO()
    spreadsheet.csv_writer(out).writerow(["x", *cells])
    (row,) = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert not any(cell.startswith(FORMULA_START) for cell in row)
    assert spreadsheet.csv_unescape_row(row) == ["x", *cells]


def test_numbers_and_dates_are_left_as_they_are():
    out = io.StringIO()
    spreadsheet.csv_writer(out).writerow([-5, 3.5, "-5", "=SUM(A1)", "2016-05-10"])
    assert out.getvalue() == "-5,3.5,'-5,'=SUM(A1),2016-05-10\r\n"


XLSX_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\r")).filter(
    lambda t: not ILLEGAL_CHARACTERS_RE.search(t)
)


@settings(deadline=None, max_examples=40)
@given(st.lists(st.one_of(XLSX_TEXT, st.sampled_from(['=HYPERLINK("x","y")', "+1", "-1", "@A1"]))))
def test_xlsx_string_cells_are_text_never_formulas(values):
    book = Workbook(write_only=True)
    ws = book.create_sheet("s")
    ws.append(spreadsheet.write_only_row(ws, ["x", *values]))
    out = io.BytesIO()
    book.save(out)
    sheet_xml = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml
    read = load_workbook(io.BytesIO(out.getvalue()))["s"]
    row = next(read.iter_rows())
    assert all(cell.data_type == "s" for cell in row if cell.value is not None)
    assert [c.value or "" for c in row] == ["x", *values]
