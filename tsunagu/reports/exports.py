"""Downloads of the reports: JSON, CSV (UTF-8 with BOM), XLSX and PDF.

The same writers serve the page and the command line. They take figures and
tables, never cases: nothing personal can reach a file from here.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from tsunagu.cases import timeline
from tsunagu.core import regions, spreadsheet
from tsunagu.reports import charts
from tsunagu.reports.labels import (
    PREFECTURE_COLUMNS,
    REASON_LABELS,
    REPORT_TITLE,
    SUMMARY_ROWS,
    figure_label,
    flow_labels,
    total_label,
)
from tsunagu.reports.programme import (
    REASONS,
    RECURRENCE_KEYS,
    Report,
    map_scope,
    map_values,
    percentages,
)
from tsunagu.reports.tables import Table

BOM = "\ufeff"
HIDDEN = "x"  # how a suppressed cell is written in a public release


def prefecture_names() -> dict[str, str]:
    return regions.prefecture_names()


def to_json(report: Report) -> str:
    return json.dumps(report.as_json(), ensure_ascii=False, indent=1)


# --- programme: flat rows ----------------------------------------------------------


def programme_columns() -> list[str]:
    return [
        *PREFECTURE_COLUMNS,
        *(f"rejection_reasons.{r}" for r in REASONS),
        *(f"recurrence.{k}" for k in RECURRENCE_KEYS),
    ]


def _flat(figures: dict[str, Any], key: str) -> int:
    if "." in key:
        group, sub = key.split(".", 1)
        return int(figures[group][sub])
    return int(figures[key])


def programme_rows(report: Report) -> list[list[Any]]:
    """One row per prefecture then the total: code, then every figure."""
    columns = programme_columns()
    rows = [
        [code, *(_flat(figs, c) for c in columns)] for code, figs in report.by_prefecture.items()
    ]
    rows.append(["total", *(_flat(report.totals, c) for c in columns)])
    return rows


def column_label(column: str) -> str:
    """A programme column in words: "rejection_reasons.cost" → 「拒否の理由: 費用の負担」."""
    group, _dot, key = column.partition(".")
    if group == "rejection_reasons":
        return f"{_('Rejection reason')}: {REASON_LABELS[key]}"
    if group == "recurrence":
        return f"{_('Recurrence')}: {figure_label(key)}"
    return figure_label(column)


def programme_csv(report: Report, *, in_words: bool = False) -> str:
    """The figures by prefecture. Headers are the column keys (for programs) unless
    `in_words`: then every header, prefecture and total is in words, in the user's
    language (for people opening the file in a spreadsheet)."""
    out = io.StringIO()
    writer = spreadsheet.csv_writer(out)
    columns = programme_columns()
    if not in_words:
        writer.writerow(["period_from", "period_to", "as_of"])
    else:
        writer.writerow([_("From"), _("To"), _("As of")])
    writer.writerow(
        [
            report.params.date_from.isoformat(),
            report.params.date_to.isoformat(),
            report.params.as_of.isoformat(),
        ]
    )
    writer.writerow([])
    if not in_words:
        writer.writerow(["prefecture", *columns])
        writer.writerows(programme_rows(report))
    else:
        writer.writerow([_("Prefecture"), *(column_label(c) for c in columns)])
        names = {**regions.prefecture_names(), "total": _("Total")}
        writer.writerows([names.get(row[0], row[0]), *row[1:]] for row in programme_rows(report))
    if report.with_levels:
        writer.writerow([])
        if not in_words:
            writer.writerow(["risk_level", *columns])
        else:
            writer.writerow([_("Risk level"), *(column_label(c) for c in columns)])
        for key, label, figs in report.by_risk_level():
            writer.writerow([label if in_words else key, *(_flat(figs, c) for c in columns)])
    return BOM + out.getvalue()


def by_prefecture_table(report: Report, names: dict[str, str]) -> Table:
    """The by-prefecture leaves as a table with margins (for a public release)."""
    leaves = timeline.LEAVES
    return Table(
        key="programme_by_prefecture",
        title=_("Advice episodes by prefecture"),
        row_keys=list(report.by_prefecture),
        row_labels=[names.get(code, code) for code in report.by_prefecture],
        col_keys=list(leaves),
        col_labels=[figure_label(k) for k in leaves],
        cells=[[figs[k] for k in leaves] for figs in report.by_prefecture.values()],
        total_label=total_label(),
        row_total_label=figure_label("advised"),
        row_heading=_("Prefecture"),
    )


def by_level_table(report: Report) -> Table:
    """The leaves by risk level at advice as a table with margins (page, release)."""
    leaves = timeline.LEAVES
    levels = report.by_risk_level()
    return Table(
        key="programme_by_risk_level",
        title=_("Advice episodes by risk level at advice"),
        row_keys=[key for key, _, _ in levels],
        row_labels=[label for _, label, _ in levels],
        col_keys=list(leaves),
        col_labels=[figure_label(k) for k in leaves],
        cells=[[figs[k] for k in leaves] for _, _, figs in levels],
        total_label=_("Total"),
        row_total_label=figure_label("advised"),
    )


def table_csv(tables: Sequence[Table]) -> str:
    out = io.StringIO()
    writer = spreadsheet.csv_writer(out)
    for i, table in enumerate(tables):
        if i:
            writer.writerow([])
        writer.writerow([table.title])
        for line in table.matrix():
            writer.writerow([HIDDEN if v is None else v for v in line])
    return BOM + out.getvalue()


# --- XLSX ----------------------------------------------------------------------------------

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="0B4F8A")
TITLE_FONT = Font(bold=True, size=14)


def _header(ws: Any, row: int, values: Sequence[Any]) -> None:
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col, value=value)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _widths(ws: Any, first: int = 24, rest: int = 12) -> None:
    for col in range(1, ws.max_column + 1):
        ws.column_dimensions[get_column_letter(col)].width = first if col == 1 else rest


def _save(wb: Workbook) -> bytes:
    spreadsheet.text_cells(wb)  # no string cell can be read as a formula
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def period_text(report: Report) -> str:
    return _("%(from)s to %(to)s, as of %(as_of)s") % {
        "from": report.params.date_from.isoformat(),
        "to": report.params.date_to.isoformat(),
        "as_of": report.params.as_of.isoformat(),
    }


def programme_xlsx(
    report: Report,
    names: dict[str, str],
    release: Table | None = None,
    levels: Table | None = None,
) -> bytes:
    """A summary sheet and a by-prefecture sheet, headers in the active language;
    with `levels` (the by-level table, released or not), a sheet for it.

    With `release` (a suppressed by-prefecture table), only that table is
    published, with hidden cells written as "x".
    """
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("Summary")[:31]
    ws.cell(row=1, column=1, value=str(REPORT_TITLE)).font = TITLE_FONT
    ws.cell(row=2, column=1, value=period_text(report))
    if release is None:
        _header(ws, 4, [_("Figure"), _("Count"), _("Percent of advised")])
        pcts = percentages(report.totals)
        row = 5
        for key, level in SUMMARY_ROWS:
            ws.cell(row=row, column=1, value=("  " * level) + figure_label(key))
            ws.cell(row=row, column=2, value=report.totals[key])
            ws.cell(row=row, column=3, value=pcts.get(key) if key != "advised" else None)
            row += 1
        for key in ("prefectures_advised", "prefectures_received"):
            ws.cell(row=row, column=1, value=figure_label(key))
            ws.cell(row=row, column=2, value=report.totals[key])
            row += 1
        row += 1
        _header(ws, row, [_("Rejection reason"), _("Count")])
        for reason in REASONS:
            row += 1
            ws.cell(row=row, column=1, value=str(REASON_LABELS[reason]))
            ws.cell(row=row, column=2, value=report.totals["rejection_reasons"][reason])
        row += 2
        _header(ws, row, [_("Recurrence among"), _("Count")])
        for key in RECURRENCE_KEYS:
            row += 1
            ws.cell(row=row, column=1, value=figure_label(key))
            ws.cell(row=row, column=2, value=report.totals["recurrence"][key])
        _widths(ws, 30)
        ws2 = wb.create_sheet(_("By prefecture")[:31])
        _header(
            ws2, 1, [_("Code"), _("Prefecture"), *(figure_label(c) for c in PREFECTURE_COLUMNS)]
        )
        r = 2
        for code, figs in report.by_prefecture.items():
            ws2.cell(row=r, column=1, value=code)
            ws2.cell(row=r, column=2, value=names.get(code, code))
            for i, c in enumerate(PREFECTURE_COLUMNS, start=3):
                ws2.cell(row=r, column=i, value=figs[c])
            r += 1
        ws2.cell(row=r, column=2, value=total_label()).font = Font(bold=True)
        for i, c in enumerate(PREFECTURE_COLUMNS, start=3):
            ws2.cell(row=r, column=i, value=report.totals[c]).font = Font(bold=True)
        ws2.freeze_panes = "C2"
        _widths(ws2, 8)
        ws2.column_dimensions["B"].width = 16
    else:
        ws.cell(
            row=3,
            column=1,
            value=_("Public release: counts from 1 to the threshold are hidden (x)."),
        )
        _write_table(ws, 5, release)
        _widths(ws)
    if levels is not None:
        ws3 = wb.create_sheet(_("By risk level")[:31])
        ws3.cell(row=1, column=1, value=levels.title).font = Font(bold=True)
        _write_table(ws3, 3, levels)
        _widths(ws3)
    return _save(wb)


def _write_table(ws: Any, row: int, table: Table) -> int:
    lines = table.matrix()
    _header(ws, row, lines[0])
    for line in lines[1:]:
        row += 1
        for col, value in enumerate(line, start=1):
            ws.cell(row=row, column=col, value=HIDDEN if value is None else value)
    return row + 2


def tables_xlsx(title: str, subtitle: str, tables: Sequence[Table]) -> bytes:
    """Annual statistics: one sheet per table."""
    wb = Workbook()
    first = True
    for table in tables:
        if first:
            ws = wb.active
            assert ws is not None
            ws.title = table.title[:31]
            first = False
        else:
            ws = wb.create_sheet(table.title[:31])
        ws.cell(row=1, column=1, value=title).font = TITLE_FONT
        ws.cell(row=2, column=1, value=subtitle)
        ws.cell(row=3, column=1, value=table.title).font = Font(bold=True)
        _write_table(ws, 4, table)
        _widths(ws)
    return _save(wb)


# --- PDF -----------------------------------------------------------------------------------


def font_path() -> Path:
    """Noto Sans CJK JP, shipped through pip (package noto-cjk-sans-jp-regular)."""
    import noto_cjk_sans_jp_regular

    return Path(noto_cjk_sans_jp_regular.__file__).parent / "NotoSansCJKjp-Regular.otf"


def _pdf() -> Any:
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("NotoSansJP", "", str(font_path()))
    pdf.set_font("NotoSansJP", size=10)
    pdf.set_creator("Tsunagu")
    return pdf


HEADER_LINE = 3.6  # mm, the line height of the tables' header cells (8 pt)


def header_lines(pdf: Any, text: str, width: float) -> list[str]:
    """A header cell's text broken into lines that fit its width (1 mm padding).
    Japanese has no spaces to break at, so the break may fall between any two
    characters; a label never overflows into its neighbour."""
    from fpdf.enums import WrapMode

    lines: list[str] = pdf.multi_cell(
        width - 1, HEADER_LINE, text, dry_run=True, output="LINES", wrapmode=WrapMode.CHAR
    )
    return lines or [""]


def _pdf_table(
    pdf: Any, header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float]
) -> None:
    """A table whose header cells wrap onto as many lines as their label needs
    (all of a row the same height), and whose body rows never spill off a page."""
    pdf.set_font_size(8)
    wrapped = [header_lines(pdf, str(text), w) for text, w in zip(header, widths, strict=True)]
    height = max(len(lines) for lines in wrapped) * HEADER_LINE + 2

    def draw_header() -> None:
        pdf.set_fill_color(11, 79, 138)
        pdf.set_draw_color(27, 31, 36)
        pdf.set_text_color(255, 255, 255)
        x, y = pdf.get_x(), pdf.get_y()
        for lines, w in zip(wrapped, widths, strict=True):
            pdf.rect(x, y, w, height, style="DF")
            top = y + (height - len(lines) * HEADER_LINE) / 2
            for i, line in enumerate(lines):
                pdf.set_xy(x, top + i * HEADER_LINE)
                pdf.cell(w, HEADER_LINE, line, align="C")
            x += w
        pdf.set_xy(pdf.l_margin, y + height)
        pdf.set_text_color(27, 31, 36)

    draw_header()
    for row in rows:
        if pdf.get_y() > 280:
            pdf.add_page()
            draw_header()
        for i, (value, w) in enumerate(zip(row, widths, strict=True)):
            text = HIDDEN if value is None else str(value)
            pdf.cell(w, 5.5, text, border=1, align="L" if i == 0 else "R")
        pdf.ln()
    pdf.set_font_size(10)


def _pdf_flow(pdf: Any, report: Report, top: float) -> float:
    boxes, arrows = charts.flow_layout(report.totals, flow_labels())
    scale = 180 / charts.FLOW_WIDTH
    left = 15

    def at(x: float, y: float) -> tuple[float, float]:
        return left + x * scale, top + y * scale

    pdf.set_draw_color(91, 101, 112)
    pdf.set_font_size(7)
    for a in arrows:
        x1, y1 = at(a.x1, a.y1)
        x2, y2 = at(a.x2, a.y2)
        pdf.set_line_width(0.2 + min(a.count, 400) / 600)
        pdf.line(x1, y1, x2, y2)
        pdf.set_xy((x1 + x2) / 2 - 6, (y1 + y2) / 2 - 4)
        pdf.cell(12, 3, str(a.count), align="C")
    pdf.set_line_width(0.2)
    pdf.set_draw_color(11, 79, 138)
    pdf.set_fill_color(238, 244, 251)
    for b in boxes:
        x, y = at(b.x, b.y)
        pdf.rect(x, y, charts.BOX_W * scale, charts.BOX_H * scale, style="DF")
        pdf.set_xy(x + 1, y + 0.5)
        pdf.cell(charts.BOX_W * scale - 2, 4, b.label)
        pdf.set_xy(x + 1, y + 4.5)
        pdf.cell(charts.BOX_W * scale - 2, 4, str(b.count), align="R")
    pdf.set_font_size(10)
    return top + charts.FLOW_HEIGHT * scale


MAP_LEFT, MAP_SIZE = 15, 180  # mm: the map spans the page's width


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    r, g, b = (int(colour[i : i + 2], 16) for i in (0, 2, 4))
    return r, g, b


def _pdf_swatch(pdf: Any, x: float, y: float, size: float, shade: int) -> None:
    """A square of a shade, or the hatching of no data (as on the page)."""
    if shade == charts.NO_DATA:
        pdf.set_fill_color(244, 245, 247)
        pdf.rect(x, y, size, size, style="DF")
        pdf.set_draw_color(*_rgb(charts.HATCH))
        step = size / 6
        for i in range(1, 12):
            c = i * step  # the line x + y = c, clipped to the square
            pdf.line(x + max(0, c - size), y + min(c, size), x + min(c, size), y + max(0, c - size))
        pdf.set_draw_color(91, 101, 112)
        pdf.rect(x, y, size, size)
        return
    pdf.set_fill_color(*_rgb(charts.SHADES[shade]))
    pdf.rect(x, y, size, size, style="DF")


def _pdf_map(
    pdf: Any, values: dict[str, float | None], names: dict[str, str], title: str, top: float
) -> float:
    """The tile map at the page's width, with its legend in the sea north-west of
    Honshu (the same places as on the page)."""
    scale = MAP_SIZE / charts.MAP_WIDTH
    no_data = _("No data")
    pdf.set_draw_color(91, 101, 112)
    pdf.set_line_width(0.2)
    size = (charts.TILE - 3) * scale
    for t in charts.map_layout(values, names):
        x, y = MAP_LEFT + t.x * scale, top + t.y * scale
        _pdf_swatch(pdf, x, y, size, t.shade)
        pdf.set_text_color(255, 255, 255) if t.shade >= 4 else pdf.set_text_color(27, 31, 36)
        pdf.set_xy(x, y + 1)
        # The whole short name (「東京」, "Kagoshima"), its font reduced until it fits.
        font = 6.0
        pdf.set_font_size(font)
        while font > 3 and pdf.get_string_width(t.short) > size - 0.4:
            font -= 0.25
            pdf.set_font_size(font)
        pdf.cell(size, 3, t.short, align="C")
        if t.shade != charts.NO_DATA:
            pdf.set_font_size(6)
            pdf.set_xy(x, y + 5)
            pdf.cell(size, 3, charts._fmt(t.value), align="C")
    pdf.set_text_color(27, 31, 36)
    pdf.set_font_size(10)
    pdf.set_xy(MAP_LEFT + charts.LEGEND_X * scale, top + (charts.LEGEND_Y - 22) * scale)
    pdf.cell(100, 5, title)
    pdf.set_font_size(9)
    swatch = charts.SWATCH * scale
    for item in charts.map_legend(values, no_data, _("over %(low)s to %(high)s")):
        x, y = MAP_LEFT + item.x * scale, top + item.y * scale
        _pdf_swatch(pdf, x, y, swatch, item.shade)
        pdf.set_xy(x + swatch + 2, y)
        pdf.cell(60, swatch, item.label)
    pdf.set_font_size(10)
    return top + charts.MAP_HEIGHT * scale


def programme_pdf(
    report: Report,
    names: dict[str, str],
    release: Table | None = None,
    levels: Table | None = None,
) -> bytes:
    """A release in the NPA's manner, in Japanese: title, period, the figures, the
    flow chart, the map of prefectures and the by-prefecture table."""
    with translation.override("ja"):
        # The same prefectures as given, named in Japanese.
        ja_names = prefecture_names()
        names = {code: ja_names.get(code, name) for code, name in names.items()}
        pdf = _pdf()
        # Dated the as-of day, not the moment it is written: the same figures give
        # the same bytes, so a release's SHA-256 can be checked by regenerating it.
        as_of = report.params.as_of
        pdf.set_creation_date(dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=dt.UTC))
        pdf.set_title(str(REPORT_TITLE))
        pdf.add_page()
        pdf.set_font_size(15)
        pdf.cell(
            0,
            10,
            str(REPORT_TITLE),
            new_x="LMARGIN",
            new_y="NEXT",
            align="C",
        )
        pdf.set_font_size(10)
        pdf.cell(
            0, 6, _("Period") + ": " + period_text(report), new_x="LMARGIN", new_y="NEXT", align="C"
        )
        pdf.ln(3)
        if release is None:
            pcts = percentages(report.totals)
            rows = [
                [
                    "　" * level + figure_label(key),
                    report.totals[key],
                    "" if key == "advised" else f"{pcts[key]} %" if pcts[key] is not None else "–",
                ]
                for key, level in SUMMARY_ROWS
            ]
            rows += [
                [figure_label(k), report.totals[k], ""]
                for k in ("prefectures_advised", "prefectures_received")
            ]
            rows += [
                [
                    figure_label("recurrence") + "（" + figure_label(k) + "）",
                    report.totals["recurrence"][k],
                    "",
                ]
                for k in ("not_finished", "completed")
            ]
            _pdf_table(pdf, [_("Figure"), _("Count"), _("Percent of advised")], rows, [90, 40, 40])
            pdf.ln(4)
            pdf.cell(0, 6, _("Flow of the advice episodes"), new_x="LMARGIN", new_y="NEXT")
            y = _pdf_flow(pdf, report, pdf.get_y() + 2)
            pdf.set_y(y + 4)
            scope = map_scope(report.params, names)
            if len(scope) > 1:  # a map of one prefecture says nothing the figures do not
                pdf.add_page()
                pdf.set_font_size(13)
                pdf.cell(0, 8, _("Advised by prefecture"), new_x="LMARGIN", new_y="NEXT")
                pdf.set_font_size(10)
                values = map_values(report, "advised", scope)
                y = _pdf_map(pdf, values, names, figure_label("advised"), pdf.get_y() + 2)
                pdf.set_xy(MAP_LEFT, y + 2)
                pdf.multi_cell(
                    MAP_SIZE,
                    5,
                    _(
                        "Darker: more episodes advised (each shade a fifth of the largest count). "
                        "Hatched: no data (a prefecture outside the report)."
                    ),
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
            pdf.add_page()
            pdf.cell(0, 6, _("By prefecture"), new_x="LMARGIN", new_y="NEXT")
            header = [_("Prefecture"), *(figure_label(c) for c in PREFECTURE_COLUMNS)]
            body: list[list[Any]] = [
                [names.get(code, code), *(figs[c] for c in PREFECTURE_COLUMNS)]
                for code, figs in report.by_prefecture.items()
            ]
            body.append([total_label(), *(report.totals[c] for c in PREFECTURE_COLUMNS)])
            _pdf_table(pdf, header, body, [26] + [16.4] * len(PREFECTURE_COLUMNS))
        else:
            pdf.cell(
                0,
                6,
                _("Public release: counts from 1 to the threshold are hidden (x)."),
                new_x="LMARGIN",
                new_y="NEXT",
            )
            _pdf_matrix(pdf, release)
        if levels is not None:
            pdf.ln(4)
            pdf.cell(0, 6, levels.title, new_x="LMARGIN", new_y="NEXT")
            _pdf_matrix(pdf, levels)
        return bytes(pdf.output())


def _pdf_matrix(pdf: Any, table: Table) -> None:
    lines = table.matrix()
    width = 180 / len(lines[0])
    _pdf_table(pdf, [str(v) for v in lines[0]], lines[1:], [width] * len(lines[0]))
