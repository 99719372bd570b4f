"""Downloads of the evaluation (DESIGN §5): JSON, CSV, XLSX and PDF.

Like `exports`, these take figures (and the curves behind them), never cases:
nothing personal can reach a file from here. The JSON is §5's shape exactly;
the others round for reading (percentages to one decimal, ratios to two).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook

from tsunagu.reports import evaluation_charts as ec
from tsunagu.reports import exports, risk_levels
from tsunagu.reports.evaluation import GROUPS, Evaluation
from tsunagu.reports.evaluation_labels import (
    caveat,
    evalue_sentence,
    group_label,
    pct,
    ratio,
    small_group_note,
    term_label,
)
from tsunagu.reports.survival import MIN_GROUP, TIMES


def to_json(ev: Evaluation) -> str:
    # Non-finite numbers were made None already; allow_nan=False proves it.
    return json.dumps(ev.as_json(), ensure_ascii=False, indent=1, allow_nan=False)


def figure_rows(ev: Evaluation) -> list[list[Any]]:
    """One row per curve: n, events, median and, at each time, S, CI and at risk
    (percent to one decimal)."""
    result = ev.result
    rows = []
    for key in ("overall", *GROUPS):
        figs = result["overall"] if key == "overall" else result["groups"][key]
        row: list[Any] = [group_label(key), figs["n"], figs["events"]]
        row.append("" if figs["median_days"] is None else f"{figs['median_days']:.0f}")
        small = key != "overall" and figs["n"] < MIN_GROUP
        for t in TIMES:
            at = figs["at"][str(t)]
            # Fewer than 10 episodes: counts only (§5).
            row += ["", "", ""] if small else [pct(at["free"]), pct(at["low"]), pct(at["high"])]
            row.append("" if at["at_risk"] is None else at["at_risk"])
        rows.append(row)
    return rows


def level_entries(ev: Evaluation) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(level, level label, group, figures) of the table by risk level at advice:
    for each level, all its episodes then each non-empty group. The page, the
    CSV, the XLSX and the PDF all show these rows."""
    assert ev.levels is not None
    entries = []
    for key, label in risk_levels.ordered(ev.levels):
        figures = ev.levels[key]
        entries.append((key, label, "overall", figures["overall"]))
        entries += [
            (key, label, g, figures["groups"][g]) for g in GROUPS if figures["groups"][g]["n"]
        ]
    return entries


def level_header() -> list[str]:
    return [
        _("Risk level"),
        _("Group"),
        _("Episodes"),
        _("Outcomes"),
        _("%(days)s d: free %%") % {"days": 365},
        _("%(days)s d: low %%") % {"days": 365},
        _("%(days)s d: high %%") % {"days": 365},
    ]


def level_rows(ev: Evaluation) -> list[list[Any]]:
    """The table by risk level at advice as flat rows; under 10 episodes, counts only."""
    rows = []
    for _key, label, group, figs in level_entries(ev):
        at = figs["at"]["365"]
        small = figs["n"] < MIN_GROUP
        row: list[Any] = [label, group_label(group), figs["n"], figs["events"]]
        row += ["", "", ""] if small else [pct(at["free"]), pct(at["low"]), pct(at["high"])]
        rows.append(row)
    return rows


def figure_header() -> list[str]:
    header = [_("Group"), _("Episodes"), _("Outcomes"), _("Median (days)")]
    for t in TIMES:
        header += [
            _("%(days)s d: free %%") % {"days": t},
            _("%(days)s d: low %%") % {"days": t},
            _("%(days)s d: high %%") % {"days": t},
            _("%(days)s d: at risk") % {"days": t},
        ]
    return header


def cox_rows(ev: Evaluation) -> list[list[Any]]:
    cox = ev.result["cox"]
    if not cox:
        return []
    return [
        [term_label(k), ratio(t["hr"]), ratio(t["low"]), ratio(t["high"]), _p(t["p"])]
        for k, t in cox["terms"].items()
    ]


def _p(p: float | None) -> str:
    if p is None:
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def summary_lines(ev: Evaluation) -> list[str]:
    """The comparison in words: landmark, exclusions, log-rank, Cox, E-value, caveat."""
    r = ev.result
    lines = [
        _("Period %(start)s to %(end)s, as of %(as_of)s; outcome: %(outcome)s.")
        % {
            "start": r["period"]["from"],
            "end": r["period"]["to"],
            "as_of": r["period"]["as_of"],
            "outcome": term_label(r["outcome"]),
        },
        _(
            "Groups are fixed %(days)s days after advice; %(n)s episodes ended follow-up "
            "before that and are left out of the comparison."
        )
        % {"days": r["landmark_days"], "n": r["excluded_before_landmark"]},
    ]
    if r["logrank"]:
        lines.append(
            _("Log-rank test, received against rejected: statistic %(s)s, p = %(p)s.")
            % {"s": ratio(r["logrank"]["statistic"]), "p": _p(r["logrank"]["p"])}
        )
    else:
        lines.append(_("Log-rank test: not possible (a group is empty or has no outcome)."))
    cox = r["cox"]
    if cox is None:
        lines.append(
            _(
                "Cox model: not fitted (the rejected group has fewer than 10 episodes or no outcome)."
            )
        )
    else:
        lines.append(
            _("Cox model: %(n)s episodes, %(events)s outcomes, concordance %(c)s.")
            % {"n": cox["n"], "events": cox["events"], "c": ratio(cox["concordance"])}
        )
        if cox["dropped"]:
            lines.append(
                _("Left out of the model: %(names)s.")
                % {"names": ", ".join(term_label(k) for k in cox["dropped"])}
            )
    lines.append(evalue_sentence(r["evalue"]))
    lines += [small_group_note(group_label(g)) for g in GROUPS if r["groups"][g]["n"] < MIN_GROUP]
    lines.append(caveat())
    return lines


def to_csv(ev: Evaluation) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(figure_header())
    w.writerows(figure_rows(ev))
    w.writerow([])
    w.writerow([_("Term"), _("Hazard ratio"), _("Lower 95 %"), _("Upper 95 %"), "p"])
    w.writerows(cox_rows(ev))
    if ev.levels is not None:
        w.writerow([])
        w.writerow(level_header())
        w.writerows(level_rows(ev))
    w.writerow([])
    for line in summary_lines(ev):
        w.writerow([line])
    return exports.BOM + out.getvalue()


def to_xlsx(ev: Evaluation) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Figures")[:31]
    ws.cell(row=1, column=1, value=_("Treatment and recurrence")).font = exports.TITLE_FONT
    exports._header(ws, 3, figure_header())
    row = 4
    for values in figure_rows(ev):
        for c, v in enumerate(values, 1):
            ws.cell(row=row, column=c, value=v)
        row += 1
    row += 1
    exports._header(ws, row, [_("Term"), _("Hazard ratio"), _("Lower 95 %"), _("Upper 95 %"), "p"])
    for values in cox_rows(ev):
        row += 1
        for c, v in enumerate(values, 1):
            ws.cell(row=row, column=c, value=v)
    if ev.levels is not None:
        row += 2
        exports._header(ws, row, level_header())
        for values in level_rows(ev):
            row += 1
            for c, v in enumerate(values, 1):
                ws.cell(row=row, column=c, value=v)
    row += 2
    for line in summary_lines(ev):
        ws.cell(row=row, column=1, value=line)
        row += 1
    exports._widths(ws, 26, 12)
    return exports._save(wb)


def _pdf_km(
    pdf: Any, chart: ec.KmChart, top: float, left: float = 15, scale: float = 0.28
) -> float:
    colours = {
        "overall": (11, 79, 138),
        "received": (0, 114, 178),
        "accepted_not_received": (0, 158, 115),
        "rejected": (213, 94, 0),
        "undecided": (120, 120, 120),
    }

    def pt(x: float, y: float) -> tuple[float, float]:
        return left + x * scale, top + y * scale

    pdf.set_draw_color(80, 80, 80)
    pdf.set_line_width(0.2)
    pdf.line(*pt(chart.left, chart.bottom), *pt(chart.right, chart.bottom))
    pdf.line(*pt(chart.left, chart.top), *pt(chart.left, chart.bottom))
    pdf.set_font_size(6)
    for x, label in chart.x_ticks:
        px, py = pt(x, chart.bottom)
        pdf.text(px - 1, py + 3, label)
    for y, label in chart.y_ticks:
        px, py = pt(chart.left, y)
        pdf.text(px - 7, py + 1, label)
    for s in chart.series:
        pdf.set_draw_color(*colours.get(s.key, (0, 0, 0)))
        pdf.set_line_width(0.5)
        pts = [pt(x, y) for x, y in s.points]
        for a, b in zip(pts, pts[1:], strict=False):
            pdf.line(*a, *b)
        pdf.set_line_width(0.2)
        upper = s.band_points[: len(s.band_points) // 2]
        lower = s.band_points[len(s.band_points) // 2 :]
        for band in (upper, lower):
            bp = [pt(x, y) for x, y in band]
            for a, b in zip(bp, bp[1:], strict=False):
                pdf.line(*a, *b)
        for x, y in s.ticks:
            px, py = pt(x, y)
            pdf.line(px, py - 0.8, px, py + 0.8)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_font_size(10)
    return top + chart.height * scale


def to_pdf(ev: Evaluation) -> bytes:
    """The curves, the tables and the comparison in words, in Japanese."""
    with translation.override("ja"):
        pdf = exports._pdf()
        as_of = ev.params.as_of
        pdf.set_creation_date(dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=dt.UTC))
        pdf.set_title(_("Treatment and recurrence"))
        pdf.add_page()
        pdf.set_font_size(15)
        pdf.cell(0, 10, _("Treatment and recurrence"), new_x="LMARGIN", new_y="NEXT", align="C")
        pdf.set_font_size(9)
        pdf.multi_cell(0, 5, caveat(), new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(2)
        pdf.cell(0, 6, _("All episodes, from advice"), new_x="LMARGIN", new_y="NEXT")
        y = _pdf_km(pdf, ec.km_chart({"overall": ev.curves["overall"]}, 0), pdf.get_y())
        pdf.set_y(y + 4)
        shown = {g: ev.curves[g] for g in GROUPS if ev.result["groups"][g]["n"] >= MIN_GROUP}
        pdf.cell(
            0,
            6,
            _("By group at the landmark (%(days)s days)") % {"days": ev.params.landmark},
            new_x="LMARGIN",
            new_y="NEXT",
        )
        if shown:
            y = _pdf_km(pdf, ec.km_chart(shown, ev.params.landmark), pdf.get_y())
            pdf.set_y(y + 2)
            pdf.set_font_size(7)
            pdf.cell(
                0,
                4,
                "  ".join(f"{group_label(g)}" for g in shown)
                + "  ("
                + _("blue, green, orange, grey")
                + ")",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            pdf.set_font_size(10)
        _risk_table(pdf, ev, shown)
        pdf.add_page()
        header = [_("Group"), _("Episodes"), _("Outcomes"), _("Median (days)")]
        for t in TIMES:
            header += [_("%(t)s days") % {"t": t}, _("At risk")]
        rows = []
        for row in figure_rows(ev):
            cells = row[:4]
            for i in range(len(TIMES)):
                free, low, high, at_risk = row[4 + 4 * i : 8 + 4 * i]
                cells += [f"{free} ({low}–{high})" if low else free or "–", at_risk]
            rows.append(cells)
        exports._pdf_table(pdf, header, rows, [28, 14, 12, 14] + [26, 12] * len(TIMES))
        pdf.ln(3)
        if cox_rows(ev):
            exports._pdf_table(
                pdf,
                [_("Term"), _("Hazard ratio"), _("Lower 95 %"), _("Upper 95 %"), "p"],
                cox_rows(ev),
                [50, 30, 30, 30, 30],
            )
            pdf.ln(3)
        if ev.levels is not None:
            pdf.cell(0, 6, _("By risk level at advice"), new_x="LMARGIN", new_y="NEXT")
            exports._pdf_table(pdf, level_header(), level_rows(ev), [34, 34, 20, 20, 24, 24, 24])
            pdf.ln(3)
        pdf.set_font_size(9)
        for line in summary_lines(ev):
            pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT", align="L")
        return bytes(pdf.output())


def _risk_table(pdf: Any, ev: Evaluation, shown: dict[str, Any]) -> None:
    header = [_("At risk"), *(_("%(m)s mo") % {"m": m} for m in ec.AXIS_MONTHS)]
    rows: list[Sequence[Any]] = [[group_label("overall"), *ec.at_risk_row(ev.curves["overall"], 0)]]
    rows += [
        [
            group_label(g),
            *("–" if v is None else v for v in ec.at_risk_row(ev.curves[g], ev.params.landmark)),
        ]
        for g in shown
    ]
    exports._pdf_table(pdf, header, rows, [40, 20, 20, 20, 20, 20])


def render(ev: Evaluation, fmt: str, names: dict[str, str] | None = None) -> bytes | str:
    """The evaluation in a download format: json, csv, xlsx or pdf."""
    if fmt == "json":
        return to_json(ev)
    if fmt == "csv":
        return to_csv(ev)
    if fmt == "xlsx":
        return to_xlsx(ev)
    return to_pdf(ev)
