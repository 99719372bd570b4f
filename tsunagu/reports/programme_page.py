"""What the programme report page shows, built from a computed report.

The page sends the figures, the charts and the drill-down links of what is on
the screen. The two long tables (by month, by prefecture: up to a thousand
links on a ten-year report) are closed `<details>` whose content the browser
loads when a person opens them (htmx, or `?open=…` without JavaScript).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext as _

from tsunagu.reports import charts, exports, programme
from tsunagu.reports.forms import params_query, selection_label
from tsunagu.reports.labels import (
    PREFECTURE_COLUMNS,
    REASON_LABELS,
    SUMMARY_ROWS,
    figure_label,
    flow_labels,
)
from tsunagu.reports.links import link, linker, query

MAP_FIGURES = ("advised", "received_share", "recurrence")
SORT_KEYS = ("code", *PREFECTURE_COLUMNS)
# The parts loaded on demand, and their templates.
PARTS = {
    "months": "reports/_programme_months.html",
    "prefectures": "reports/_programme_prefectures.html",
}


@dataclass(frozen=True)
class Options:
    """How the page is asked to show a report: map shading, sort, open parts, release."""

    map_figure: str = "advised"
    sort: str = "code"
    descending: bool = False
    release: bool = False
    open: tuple[str, ...] = ()
    # With the breakdown by risk level at advice.
    by_level: bool = False


def options(get: QueryDict, may_release: bool, by_level: bool = False) -> Options:
    map_figure = get.get("map", "advised")
    sort = get.get("sort", "code")
    release = bool(get.get("release")) and may_release
    opened = tuple(sorted({p for p in get.getlist("open") if p in PARTS}))
    if release:  # the release table replaces the linked one
        opened = tuple(p for p in opened if p != "prefectures")
    return Options(
        map_figure=map_figure if map_figure in MAP_FIGURES else "advised",
        sort=sort if sort in SORT_KEYS else "code",
        descending=get.get("dir") == "desc",
        release=release,
        open=opened,
        by_level=by_level,
    )


def map_figure_label(figure: str) -> str:
    return {
        "advised": _("Advised"),
        "received_share": _("Share received treatment (%)"),
        "recurrence": _("Episodes with a recurrence"),
    }[figure]


def map_drill(figure: str) -> dict[str, Any]:
    if figure == "received_share":
        return {"figure": "received"}
    if figure == "recurrence":
        return {"figure": "advised", "recurrence": 1}
    return {"figure": "advised"}


def _base(params: programme.Params, opts: Options) -> dict[str, Any]:
    """The query of the report, with the breakdown option when it is on."""
    return {**params_query(params), **({"by_level": 1} if opts.by_level else {})}


def _drill(params: programme.Params) -> Callable[..., str]:
    return linker("reports:episodes", params_query(params))


def page_url(params: programme.Params, opts: Options, **change: Any) -> str:
    """This page's query string with some options changed (sort links, parts)."""
    values = {
        "map": opts.map_figure,
        "sort": opts.sort,
        "dir": "desc" if opts.descending else "",
        "release": 1 if opts.release else "",
        "open": list(opts.open),
        **change,
    }
    return "?" + query(
        {**_base(params, opts), **{k: v for k, v in values.items() if v not in ("", [], None)}}
    )


def months_context(report: programme.Report, params: programme.Params) -> dict[str, Any]:
    drill = _drill(params)
    months = report.monthly()
    for m in months:
        m["urls"] = {
            k: drill(figure=k, month=m["month"])
            for k in ("advised", "accepted", "received", "rejected")
        }
    return {"months": months}


def prefectures_context(
    report: programme.Report, params: programme.Params, names: dict[str, str], opts: Options
) -> dict[str, Any]:
    drill = _drill(params)
    sort = opts.sort
    rows = [
        {
            "code": code,
            "name": names.get(code, code),
            "cells": [
                {"count": figs[c], "url": drill(figure=c, pref=code)} for c in PREFECTURE_COLUMNS
            ],
            "sort": code if sort == "code" else figs[sort],
        }
        for code, figs in report.by_prefecture.items()
    ]
    rows.sort(key=lambda r: (r["sort"], r["code"]), reverse=opts.descending)
    opened = tuple(sorted({*opts.open, "prefectures"}))
    sort_links = {
        key: page_url(
            params,
            opts,
            sort=key,
            dir="asc" if sort == key and opts.descending else "desc",
            open=list(opened),
        )
        + "#by-prefecture"
        for key in SORT_KEYS
    }
    return {
        "pref_rows": rows,
        # The total row is the report's own totals (the same figures as the
        # summary), not a sum made here.
        "pref_total": [
            {"count": report.totals[c], "url": drill(figure=c)} for c in PREFECTURE_COLUMNS
        ],
        "pref_columns": [(c, figure_label(c), sort_links[c]) for c in PREFECTURE_COLUMNS],
        "code_sort_link": sort_links["code"],
        "sort": sort,
        "descending": opts.descending,
    }


def levels_context(
    report: programme.Report, params: programme.Params, opts: Options
) -> dict[str, Any]:
    """The breakdown by risk level at advice: the by-prefecture columns for each
    level, every count linked to its episodes (released: the suppressed table)."""
    if opts.release:
        table = exports.by_level_table(report).release(
            settings.SUPPRESSION_THRESHOLD, bool(settings.SUPPRESSION_HIDE_ZERO)
        )
        return {"level_release": table}
    drill = _drill(params)
    return {
        "level_columns": [figure_label(c) for c in PREFECTURE_COLUMNS],
        "level_rows": [
            {
                "label": label,
                "cells": [
                    {"count": figs[c], "url": drill(figure=c, level=key)}
                    for c in PREFECTURE_COLUMNS
                ],
            }
            for key, label, figs in report.by_risk_level()
        ],
    }


def part_context(
    part: str,
    report: programme.Report,
    params: programme.Params,
    names: dict[str, str],
    opts: Options,
) -> dict[str, Any]:
    if part == "months":
        return months_context(report, params)
    return prefectures_context(report, params, names, opts)


def page_context(
    report: programme.Report,
    params: programme.Params,
    names: dict[str, str],
    opts: Options,
    may_release: bool,
) -> dict[str, Any]:
    """Everything the report's body shows; the long tables only when asked open."""
    drill = _drill(params)
    base = _base(params, opts)
    totals = report.totals
    pcts = programme.percentages(totals)
    scope = programme.map_scope(params, names)
    values = programme.map_values(report, opts.map_figure, scope)
    no_data = _("No data")
    over = _("over %(low)s to %(high)s")
    months = report.monthly()
    context: dict[str, Any] = {
        "report": report,
        "totals": totals,
        "may_release": may_release,
        "scope_label": selection_label(params.prefectures, names),
        "summary": [
            {
                "key": key,
                "label": figure_label(key),
                "level": level,
                "count": totals[key],
                "percent": pcts.get(key),
                "url": drill(figure=key),
            }
            for key, level in SUMMARY_ROWS
        ],
        "reasons": [
            {
                "label": str(REASON_LABELS[r]),
                "count": totals["rejection_reasons"][r],
                "url": drill(figure="rejected", reason=r),
            }
            for r in programme.REASONS
        ],
        "recurrence": [
            {
                "label": figure_label(k),
                "count": totals["recurrence"][k],
                "url": drill(figure=k, recurrence=1),
            }
            for k in programme.RECURRENCE_KEYS
        ],
        "edges": [
            {
                "source": figure_label(a),
                "target": figure_label(b),
                "count": totals[b],
                "url": drill(figure=b),
            }
            for a, b in charts.FLOW_EDGES
        ],
        "flow_svg": charts.flow_svg(
            totals, flow_labels(), lambda key: drill(figure=key), _("Flow of the advice episodes")
        ),
        # A map of one prefecture says nothing the figures do not (police see one).
        "show_map": len(scope) > 1,
        "map_figure": opts.map_figure,
        "map_figures": [(f, map_figure_label(f)) for f in MAP_FIGURES],
        "map_svg": charts.map_svg(
            values,
            names,
            lambda code: drill(pref=code, **map_drill(opts.map_figure)),
            map_figure_label(opts.map_figure),
            no_data,
            over,
        ),
        "map_rows": [
            {
                "code": code,
                "name": names.get(code, code),
                "value": value,
                "url": drill(pref=code, **map_drill(opts.map_figure)) if value else "",
            }
            # Every prefecture on the map, those outside the report with no data.
            for code, value in ((c, values.get(c)) for c in sorted(names))
        ],
        "month_count": len(months),
        "trend_svg": charts.trend_svg(
            months,
            {k: figure_label(k) for k in ("advised", "received", "rejected")},
            _("Advice episodes by month"),
            y_label=_("Episodes"),
            x_label=_("Month of advice"),
        ),
        "open": opts.open,
        "part_urls": {
            part: page_url(params, opts, part=part, open=list(opts.open)) for part in PARTS
        },
        "open_urls": {
            part: page_url(params, opts, open=sorted({*opts.open, part})) + f"#{part}"
            for part in PARTS
        },
        "release": None,
        "downloads": {
            **{
                fmt: link("reports:programme_download", base, format=fmt)
                for fmt in ("json", "csv", "xlsx", "pdf")
            },
            "csv_words": link("reports:programme_download", base, format="csv", headers="words"),
        },
        "release_downloads": {
            fmt: link("reports:programme_download", base, format=fmt, release=1)
            for fmt in ("csv", "xlsx", "pdf")
        },
        "page_query": query(base),
    }
    if opts.release:
        context["release"] = exports.by_prefecture_table(report, names).release(
            settings.SUPPRESSION_THRESHOLD, bool(settings.SUPPRESSION_HIDE_ZERO)
        )
    context["by_level"] = opts.by_level
    if opts.by_level:
        context.update(levels_context(report, params, opts))
    for part in opts.open:
        context.update(part_context(part, report, params, names, opts))
    return context
