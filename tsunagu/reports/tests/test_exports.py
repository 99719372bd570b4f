"""The downloads read back: CSV with BOM, XLSX with openpyxl, PDF text with pypdf."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from tsunagu.cases.models import Case
from tsunagu.reports import exports, programme
from tsunagu.reports.labels import PREFECTURE_COLUMNS, figure_label
from tsunagu.testing.builders import D, case_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(db: Any) -> programme.Report:
    for i in range(7):
        case_with(
            "13",
            f"T{i}",
            (D(2016, 5, 1), "treatment_advised"),
            (D(2016, 5, 2), "advice_accepted"),
            (D(2016, 5, 9), "treatment_started"),
            *([(D(2016, 9, 9), "treatment_completed")] if i < 2 else []),
        )
    for i in range(5):
        case_with(
            "27",
            f"O{i}",
            (D(2016, 6, 1), "treatment_advised"),
            (D(2016, 6, 3), "advice_rejected", "sees_no_need"),
        )
    return programme.compute(
        Case.objects.all(), programme.Params.make(D(2016, 4, 1), D(2016, 12, 31))
    )


def pdf_text(content: bytes) -> str:
    """The text pypdf extracts, without whitespace. pypdf reads fpdf2's embedded
    two-byte CMap one byte at a time and yields a NUL before each character; the
    ToUnicode map itself is right, so the NULs are dropped with the spaces."""
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"[\s\x00]+", "", "".join(page.extract_text() for page in reader.pages))


def test_csv_has_a_bom_and_every_figure(report: programme.Report) -> None:
    text = exports.programme_csv(report)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[1] == ["2016-04-01", "2016-12-31", "2016-12-31"]
    header = rows[3]
    body = {row[0]: dict(zip(header, row, strict=True)) for row in rows[4:]}
    assert body["13"]["advised"] == "7" and body["13"]["completed"] == "2"
    assert body["27"]["rejection_reasons.sees_no_need"] == "5"
    assert body["total"]["advised"] == "12"


@pytest.mark.parametrize(
    ("language", "sheet", "header"),
    [("ja", "都道府県別", "受診"), ("en", "By prefecture", "Received treatment")],
)
def test_xlsx_reads_back_with_headers_in_the_ui_language(
    report: programme.Report, language: str, sheet: str, header: str
) -> None:
    with translation.override(language):
        content = exports.programme_xlsx(report, exports.prefecture_names())
    wb = load_workbook(io.BytesIO(content))
    assert len(wb.sheetnames) == 2
    summary = [row for row in wb.worksheets[0].iter_rows(values_only=True)]
    counts = {str(r[0]).strip(): r[1] for r in summary if r and r[0]}
    advised_label = "受診の働き掛け" if language == "ja" else "Advised"
    assert counts[advised_label] == 12
    by_pref = wb[sheet]
    rows = list(by_pref.iter_rows(values_only=True))
    assert header in rows[0]
    assert by_pref["A1"].font.bold
    tokyo = next(r for r in rows if r[0] == "13")
    assert tokyo[rows[0].index(header)] == 7
    assert rows[-1][2] == 12  # the total row


def test_pdf_is_japanese_with_the_figures_and_an_embedded_font(report: programme.Report) -> None:
    content = exports.programme_pdf(report, exports.prefecture_names())
    text = pdf_text(content)
    for heading in (
        "ストーカー加害者に対する受診の働き掛けの実施状況",
        "受診の働き掛けの流れ",
        "都道府県別",
        "治療継続中",
        "治療終了",
        "拒否",
        "東京都",
        "大阪府",
    ):
        assert heading in text, heading
    assert "2016-04-01～2016-12-31" in text
    # The figures: 12 advised, 7 received (58.3 %), 5 rejected (41.7 %).
    assert "受診の働き掛け12" in text
    assert "58.3%" in text and "41.7%" in text
    reader = PdfReader(io.BytesIO(content))
    page: Any = reader.pages[0]
    fonts: Any = page["/Resources"]["/Font"]
    font: Any = next(iter(fonts.values())).get_object()
    descriptor: Any = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
    file_key = {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor)
    assert file_key, "the font is not embedded"


def test_public_release_pdf_and_xlsx_hide_small_cells(report: programme.Report) -> None:
    names = exports.prefecture_names()
    table = exports.by_prefecture_table(report, names).release(4)
    assert table.published is not None
    # Tokyo: 2 completed, 5 continuing; Osaka: 5 rejected. The 2 must go.
    assert table.published[0][0] is None
    wb = load_workbook(io.BytesIO(exports.programme_xlsx(report, names, table)))
    values = [v for row in wb.worksheets[0].iter_rows(values_only=True) for v in row]
    assert "x" in values and 2 not in values
    text = pdf_text(exports.programme_pdf(report, names, table))
    assert "x" in text


def test_programme_command_writes_every_format(report: programme.Report, tmp_path: Path) -> None:
    out = io.StringIO()
    call_command(
        "report",
        "programme",
        "--from",
        "2016-04-01",
        "--to",
        "2016-12-31",
        "--prefecture",
        "27",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["totals"]["advised"] == 5 and list(data["by_prefecture"]) == ["27"]
    out = io.StringIO()
    call_command(
        "report",
        "programme",
        "--from",
        "2016-04-01",
        "--to",
        "2016-12-31",
        "--as-of",
        "2016-05-05",
        "--format",
        "csv",
        stdout=out,
    )
    assert out.getvalue().startswith("\ufeff") and "2016-05-05" in out.getvalue()
    for fmt in ("xlsx", "pdf", "json", "csv"):
        path = tmp_path / f"r.{fmt}"
        call_command(
            "report",
            "programme",
            "--from",
            "2016-04-01",
            "--to",
            "2016-12-31",
            "--format",
            fmt,
            "--output",
            str(path),
            stderr=io.StringIO(),
        )
        assert path.stat().st_size > 100
    assert load_workbook(tmp_path / "r.xlsx").worksheets[1].max_row == 4
    assert "治療継続中" in pdf_text((tmp_path / "r.pdf").read_bytes())


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--from", "2016-04-01", "--to", "2016-12-31", "--format", "pdf"], "--output"),
        (["--from", "2016-04-01", "--to", "2016-02-31"], "--to"),
        (["--from", "2016-12-01", "--to", "2016-01-31"], "--to"),
        (["--from", "2016-04-01", "--to", "2016-12-31", "--as-of", "2015-01-01"], "--as-of"),
        (["--from", "2016-04-01", "--to", "2016-12-31", "--prefecture", "48"], "--prefecture"),
        (["--from", "2016-04-01", "--to", "2016-12-31", "--format", "docx"], "--format"),
        (["--to", "2016-12-31"], "--from"),
    ],
)
def test_programme_command_names_the_bad_option(args: list[str], option: str) -> None:
    with pytest.raises(CommandError, match=option):
        call_command("report", "programme", *args, stdout=io.StringIO())


def test_the_same_figures_give_the_same_pdf(report: programme.Report) -> None:
    names = exports.prefecture_names()
    first = exports.programme_pdf(report, names)
    assert exports.programme_pdf(report, names) == first
    later = programme.Report(
        params=programme.Params.make(D(2016, 4, 1), D(2016, 12, 31), D(2017, 1, 31)),
        rows=report.rows,
        totals=report.totals,
        by_prefecture=report.by_prefecture,
    )
    assert exports.programme_pdf(later, names) != first


def _fragments(content: bytes) -> list[list[tuple[str, float, float, float]]]:
    """Each page's text pieces as (text, x, y, font size), in points, read by pypdf."""
    pages: list[list[tuple[str, float, float, float]]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        text = text.replace("\x00", "").strip()
        if text:
            pages[-1].append((text, tm[4], tm[5], size))

    for page in PdfReader(io.BytesIO(content)).pages:
        pages.append([])
        page.extract_text(visitor_text=visit)
    return pages


def test_pdf_by_prefecture_headers_are_whole_and_inside_their_cells(
    report: programme.Report,
) -> None:
    """Every header label is written whole, over as many lines as it needs, and no
    line runs past its cell (a CJK character is one em wide: 8 pt here)."""
    content = exports.programme_pdf(report, exports.prefecture_names())
    page = _fragments(content)[-1]  # the by-prefecture table, the last page
    mm = 72 / 25.4
    edges = [10 * mm]
    for width in [26] + [16.4] * len(PREFECTURE_COLUMNS):
        edges.append(edges[-1] + width * mm)
    top = max(y for text, x, y, size in page if size == 8)
    header = [(t, x, y) for t, x, y, size in page if size == 8 and y > top - 20]
    columns: dict[int, list[tuple[float, str]]] = {}
    for text, x, y in header:
        column = next(i for i in range(len(edges) - 1) if edges[i] <= x < edges[i + 1])
        assert x + 8 * len(text) <= edges[column + 1] + 0.01, (text, x, edges[column + 1])
        columns.setdefault(column, []).append((-y, text))
    labels = ["".join(t for _, t in sorted(parts)) for _, parts in sorted(columns.items())]
    with translation.override("ja"):
        expected = ["都道府県", *(figure_label(c) for c in PREFECTURE_COLUMNS)]
    assert labels == expected
    assert "治療不要と判断" in labels and "治療継続中" in labels
    # The same rule as drawn: every line of a wrapped label fits its width.
    pdf = exports._pdf()
    pdf.add_page()
    pdf.set_font_size(8)
    for label in expected[1:]:
        lines = exports.header_lines(pdf, label, 16.4)
        assert "".join(lines) == label
        assert all(pdf.get_string_width(line) <= 16.4 - 1 for line in lines)


def test_pdf_map_page_has_its_legend_and_fills_the_page(report: programme.Report) -> None:
    content = exports.programme_pdf(report, exports.prefecture_names())
    map_page = next(p for p in _fragments(content) if any("データなし" in t for t, *_ in p))
    texts = [t for t, *_ in map_page]
    # Tokyo 7 and Osaka 5 advised, every other prefecture 0: the legend's rows,
    # fifths of 7 (1.4, 2.8, 4.2, 5.6, 7).
    legend = texts[texts.index("受診の働き掛け") :]
    assert legend[:8] == ["受診の働き掛け", "データなし", "0", "1", "2", "3–4", "5", "6–7"]
    assert "斜線はデータなし" in "".join(texts)
    # The map reaches down the page: Okinawa's tile is below its middle (297 mm).
    okinawa = next(y for t, x, y, s in map_page if t == "沖縄")
    assert okinawa < 842 / 2 - 100


def test_pdf_for_one_prefecture_has_no_map_page(report: programme.Report) -> None:
    content = exports.programme_pdf(report, {"13": "東京都"})
    assert "データなし" not in pdf_text(content)
    assert len(PdfReader(io.BytesIO(content)).pages) == 2
