"""Report screens: the programme report, its drill-down, downloads, the annual
statistics and the release log.

Every figure comes from `Case.objects.for_statistics(user)`: police see their
prefecture, analysts every prefecture (de-identified), anyone else gets 404.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from tsunagu.cases.models import Case
from tsunagu.core import spreadsheet
from tsunagu.core.access import AuthedRequest
from tsunagu.core.models import User
from tsunagu.reports import annual, charts, exports, programme
from tsunagu.reports.forms import (
    AnnualForm,
    DrillForm,
    ProgrammeForm,
    default_programme_data,
    params_query,
)
from tsunagu.reports.labels import (
    PREFECTURE_COLUMNS,
    REASON_LABELS,
    SUMMARY_ROWS,
    figure_label,
    flow_labels,
)
from tsunagu.reports.models import ReleaseLog
from tsunagu.reports.services import release_record
from tsunagu.reports.tables import Table

MAP_FIGURES = ("advised", "received_share", "recurrence")
SORT_KEYS = ("code", *PREFECTURE_COLUMNS)
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def reporting_user(request: AuthedRequest) -> User:
    """The user if they may see figures (police of a prefecture, analysts), else 404."""
    user = request.user
    if user.is_analyst or (user.is_police and user.prefecture_id):
        return user
    raise Http404


def _may_release(user: User) -> bool:
    return user.is_supervisor or user.is_analyst


def _hide_zero() -> bool:
    return bool(settings.SUPPRESSION_HIDE_ZERO)


def _programme_form(request: AuthedRequest, user: User) -> ProgrammeForm:
    data: QueryDict | dict[str, Any] = request.GET
    if "preset" not in request.GET:
        merged = request.GET.copy()
        for key, value in default_programme_data().items():
            merged[key] = value
        data = merged
    return ProgrammeForm(data, user)


def _link(name: str, base: dict[str, Any], **extra: Any) -> str:
    query = {**base, **{k: v for k, v in extra.items() if v not in (None, "", False)}}
    return f"{reverse(name)}?{urlencode(query, doseq=True)}"


def _download(content: bytes | str, fmt: str, filename: str) -> HttpResponse:
    body = content.encode("utf-8") if isinstance(content, str) else content
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _names(user: User) -> dict[str, str]:
    """Prefecture names a user's report may carry: all for analysts, their own for police."""
    names = exports.prefecture_names()
    if user.is_analyst:
        return names
    own = user.prefecture
    return {own.code: names[own.code]} if own else {}


def _map_values(report: programme.Report, figure: str) -> dict[str, float | None]:
    values: dict[str, float | None] = {}
    for code, figs in report.by_prefecture.items():
        if figure == "received_share":
            values[code] = programme.percent(figs["received"], figs["advised"])
        elif figure == "recurrence":
            values[code] = sum(figs["recurrence"][leaf] for leaf in programme.LEAVES)
        else:
            values[code] = figs["advised"]
    return values


def _map_drill(figure: str) -> dict[str, Any]:
    if figure == "received_share":
        return {"figure": "received"}
    if figure == "recurrence":
        return {"figure": "advised", "recurrence": 1}
    return {"figure": "advised"}


def programme_report(request: AuthedRequest) -> HttpResponse:
    """The programme status report (DESIGN §4) with charts, tables and downloads."""
    user = reporting_user(request)
    form = _programme_form(request, user)
    context: dict[str, Any] = {"form": form, "may_release": _may_release(user)}
    if not form.is_valid():
        return render(request, "reports/programme.html", context)
    params = form.params
    report = programme.compute(Case.objects.for_statistics(user), params)
    names = _names(user)
    base = params_query(params)

    def drill(**extra: Any) -> str:
        return _link("reports:episodes", base, **extra)

    totals = report.totals
    pcts = programme.percentages(totals)
    summary = [
        {
            "key": key,
            "label": figure_label(key),
            "level": level,
            "count": totals[key],
            "percent": pcts.get(key),
            "url": drill(figure=key),
        }
        for key, level in SUMMARY_ROWS
    ]
    reasons = [
        {
            "label": str(REASON_LABELS[r]),
            "count": totals["rejection_reasons"][r],
            "url": drill(figure="rejected", reason=r),
        }
        for r in programme.REASONS
    ]
    recurrence = [
        {
            "label": figure_label(k),
            "count": totals["recurrence"][k],
            "url": drill(figure=k, recurrence=1),
        }
        for k in programme.RECURRENCE_KEYS
    ]
    edges = [
        {
            "source": figure_label(a),
            "target": figure_label(b),
            "count": totals[b],
            "url": drill(figure=b),
        }
        for a, b in charts.FLOW_EDGES
    ]
    map_figure = request.GET.get("map", "advised")
    if map_figure not in MAP_FIGURES:
        map_figure = "advised"
    map_values = _map_values(report, map_figure)
    map_rows = [
        {
            "code": code,
            "name": names.get(code, code),
            "value": value,
            "url": drill(pref=code, **_map_drill(map_figure)),
        }
        for code, value in map_values.items()
    ]
    months = report.monthly()
    for m in months:
        m["urls"] = {
            k: drill(figure=k, month=m["month"])
            for k in ("advised", "accepted", "received", "rejected")
        }
    sort = request.GET.get("sort", "code")
    if sort not in SORT_KEYS:
        sort = "code"
    descending = request.GET.get("dir") == "desc"
    pref_rows = [
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
    pref_rows.sort(key=lambda r: (r["sort"], r["code"]), reverse=descending)
    page_query = {**base, "map": map_figure}
    sort_links = {
        key: "?"
        + urlencode(
            {**page_query, "sort": key, "dir": "asc" if sort == key and descending else "desc"},
            doseq=True,
        )
        for key in SORT_KEYS
    }
    release = None
    if request.GET.get("release") and _may_release(user):
        release = exports.by_prefecture_table(report, names).release(
            settings.SUPPRESSION_THRESHOLD, _hide_zero()
        )
    downloads = {
        fmt: _link("reports:programme_download", base, format=fmt)
        for fmt in ("json", "csv", "xlsx", "pdf")
    }
    release_downloads = {
        fmt: _link("reports:programme_download", base, format=fmt, release=1)
        for fmt in ("csv", "xlsx", "pdf")
    }
    labels = flow_labels()
    context.update(
        report=report,
        totals=totals,
        summary=summary,
        reasons=reasons,
        recurrence=recurrence,
        edges=edges,
        flow_svg=charts.flow_svg(
            totals, labels, lambda key: drill(figure=key), _("Flow of the advice episodes")
        ),
        map_figure=map_figure,
        map_figures=[(f, _map_figure_label(f)) for f in MAP_FIGURES],
        map_svg=charts.map_svg(
            map_values,
            names,
            lambda code: drill(pref=code, **_map_drill(map_figure)),
            _map_figure_label(map_figure),
        ),
        map_rows=map_rows,
        months=months,
        trend_svg=charts.trend_svg(
            months,
            {k: figure_label(k) for k in ("advised", "received", "rejected")},
            _("Advice episodes by month"),
        ),
        pref_rows=pref_rows,
        pref_columns=[(c, figure_label(c), sort_links[c]) for c in PREFECTURE_COLUMNS],
        code_sort_link=sort_links["code"],
        sort=sort,
        descending=descending,
        release=release,
        downloads=downloads,
        release_downloads=release_downloads,
        page_query=urlencode({**base}, doseq=True),
        prefectures_url=drill(figure="advised"),
    )
    return render(request, "reports/programme.html", context)


def _map_figure_label(figure: str) -> str:
    return {
        "advised": _("Advised"),
        "received_share": _("Share received treatment (%)"),
        "recurrence": _("Episodes with a recurrence"),
    }[figure]


def programme_download(request: AuthedRequest) -> HttpResponse:
    """The report as JSON, CSV, XLSX or PDF; `release=1` publishes the
    by-prefecture table with small cells suppressed and logs the release."""
    user = reporting_user(request)
    fmt = request.GET.get("format", "")
    release_mode = bool(request.GET.get("release"))
    if fmt not in CONTENT_TYPES or (release_mode and (fmt == "json" or not _may_release(user))):
        raise Http404
    form = _programme_form(request, user)
    if not form.is_valid():
        return HttpResponse(
            json.dumps(form.errors.get_json_data(), ensure_ascii=False),
            status=400,
            content_type="application/json",
        )
    params = form.params
    report = programme.compute(Case.objects.for_statistics(user), params)
    names = _names(user)
    stem = f"programme_{params.date_from:%Y%m%d}_{params.date_to:%Y%m%d}"
    release = None
    if release_mode:
        threshold = settings.SUPPRESSION_THRESHOLD
        release = exports.by_prefecture_table(report, names).release(threshold, _hide_zero())
        stem += "_release"
    content: bytes | str
    if fmt == "json":
        content = exports.to_json(report)
    elif fmt == "csv":
        content = exports.table_csv([release]) if release else exports.programme_csv(report)
    elif fmt == "xlsx":
        content = exports.programme_xlsx(report, names, release)
    else:
        content = exports.programme_pdf(report, names, release)
    if release is not None:
        body = content.encode("utf-8") if isinstance(content, str) else content
        release_record(
            actor=user,
            report="programme",
            format=fmt,
            parameters=params.as_dict(),
            threshold=settings.SUPPRESSION_THRESHOLD,
            content=body,
        )
    return _download(content, fmt, f"{stem}.{fmt}")


def _case_link(pk: int) -> str:
    try:
        return reverse("cases:detail", args=[pk])
    except NoReverseMatch:  # pragma: no cover - the cases app always has it
        return ""


def episodes(request: AuthedRequest) -> HttpResponse:
    """The advice episodes behind a number. Police get links to their cases;
    analysts a pseudonymous id, prefecture, dates and states, nothing personal."""
    user = reporting_user(request)
    form = _programme_form(request, user)
    drill_form = DrillForm(request.GET)
    if not form.is_valid() or not drill_form.is_valid():
        return render(
            request, "reports/episodes.html", {"form": form, "drill_form": drill_form}, status=400
        )
    params = form.params
    d = drill_form.cleaned_data
    selector = programme.Drill(
        figure=d["figure"] or "advised",
        prefecture=d["pref"] or "",
        reason=d["reason"] or "",
        recurrence=bool(d["recurrence"]),
        month=d["month"] or "",
    )
    rows = programme.drill(
        programme.episode_rows(
            Case.objects.for_statistics(user), params, police_view=user.is_police
        ),
        selector,
    )
    rows.sort(key=lambda r: (r.prefecture, r.advised_on, r.case_id))
    names = _names(user)
    if request.GET.get("format") == "csv":
        return _download(_episodes_csv(user, rows, names), "csv", "episodes.csv")
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    refs: dict[int, str] = {}
    if user.is_police:
        refs = dict(
            Case.objects.visible_to(user)
            .filter(pk__in=[r.case_id for r in page])
            .values_list("pk", "ref")
        )
    items = [
        {
            "row": r,
            "id": refs.get(r.case_id) if user.is_police else programme.pseudonym(r.case_id),
            "url": _case_link(r.case_id) if user.is_police else "",
            "prefecture": names.get(r.prefecture, r.prefecture),
            "leaf": figure_label(r.leaf),
            "reason": str(REASON_LABELS[r.reason]) if r.reason else "",
        }
        for r in page
    ]
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    description = figure_label(selector.figure)
    if selector.recurrence:
        description += " · " + figure_label("recurrence")
    if selector.reason:
        description += " · " + str(REASON_LABELS[selector.reason])
    if selector.prefecture:
        description += " · " + names.get(selector.prefecture, selector.prefecture)
    if selector.month:
        description += " · " + selector.month
    return render(
        request,
        "reports/episodes.html",
        {
            "form": form,
            "params": params,
            "page": page,
            "items": items,
            "count": len(rows),
            "description": description,
            "query": query.urlencode(),
            "report_url": _link("reports:programme", params_query(params)),
        },
    )


def _episodes_csv(user: User, rows: list[programme.EpisodeRow], names: dict[str, str]) -> str:
    out = io.StringIO()
    writer = spreadsheet.csv_writer(out)
    writer.writerow(
        [
            "case_ref" if user.is_police else "pseudonym",
            "prefecture",
            "advised_on",
            "answered_on",
            "started_on",
            "leaf",
            "leaf_on",
            "rejection_reason",
            "recurrence_on",
        ]
    )
    refs: dict[int, str] = {}
    if user.is_police:
        refs = dict(
            Case.objects.visible_to(user)
            .filter(pk__in=[r.case_id for r in rows])
            .values_list("pk", "ref")
        )
    for r in rows:
        writer.writerow(
            [
                refs.get(r.case_id, "") if user.is_police else programme.pseudonym(r.case_id),
                r.prefecture,
                r.advised_on.isoformat(),
                r.answered_on.isoformat() if r.answered_on else "",
                r.started_on.isoformat() if r.started_on else "",
                r.leaf,
                r.leaf_on.isoformat() if r.leaf_on else "",
                r.reason or "",
                r.recurrence_on.isoformat() if r.recurrence_on else "",
            ]
        )
    return exports.BOM + out.getvalue()


# --- annual statistics -----------------------------------------------------------------


def _annual_form(request: AuthedRequest, user: User) -> AnnualForm:
    data: QueryDict = request.GET
    if "year" not in request.GET:
        data = request.GET.copy()
        data["year"] = str(annual.default_year())
    return AnnualForm(data, user)


def _annual_subtitle(stats: annual.Annual) -> str:
    label = _("Fiscal year %(year)s") if stats.fiscal else _("Year %(year)s")
    return (label % {"year": stats.year}) + f" ({stats.date_from} – {stats.date_to})"


def annual_report(request: AuthedRequest) -> HttpResponse:
    """Consultations, measures, relationship, sex and age; year on year."""
    user = reporting_user(request)
    form = _annual_form(request, user)
    context: dict[str, Any] = {"form": form, "may_release": _may_release(user)}
    if form.is_valid():
        stats = annual.compute(
            Case.objects.for_statistics(user),
            form.cleaned_data["year"],
            form.cleaned_data["fiscal"],
            form.prefectures(),
        )
        tables = stats.tables()
        if user.is_police:
            _link_to_cases(tables, stats)
        release = bool(request.GET.get("release")) and _may_release(user)
        if release:
            tables = [t.release(settings.SUPPRESSION_THRESHOLD, _hide_zero()) for t in tables]
        base: dict[str, Any] = {"year": stats.year}
        if stats.fiscal:
            base["fiscal"] = "on"
        extra = {"prefecture": list(stats.prefectures)} if stats.prefectures else {}
        context.update(
            stats=stats,
            tables=tables,
            release=release,
            subtitle=_annual_subtitle(stats),
            years=_year_cells(stats, user.is_police and not release),
            links_note=user.is_police and not release,
            downloads={
                fmt: _link("reports:annual_download", {**base, **extra}, format=fmt)
                for fmt in ("json", "csv", "xlsx")
            },
            release_downloads={
                fmt: _link("reports:annual_download", {**base, **extra}, format=fmt, release=1)
                for fmt in ("csv", "xlsx")
            },
        )
    return render(request, "reports/annual.html", context)


def _measure_params(kind: str) -> dict[str, str]:
    """The case-list filter of a measure column: arrests split by kind."""
    if kind.startswith("arrest_"):
        return {"measure": "arrest", "measure_detail": kind[len("arrest_") :]}
    return {"measure": kind}


def _cases_link(kind: str, start: dt.date, end: dt.date) -> str:
    """The case list behind a count of the annual page.

    Consultations are the cases opened in the period, the same number. A measure
    count counts events, the list shows the cases with at least one such measure
    dated in the period (the list says so): a case with two warnings in a year is
    counted twice and listed once.
    """
    if kind == "consultations":
        return _link("cases:list", {"opened_from": start.isoformat(), "opened_to": end.isoformat()})
    return _link(
        "cases:list",
        {
            **_measure_params(kind),
            "measure_from": start.isoformat(),
            "measure_to": end.isoformat(),
        },
    )


def _link_to_cases(tables: list[Table], stats: annual.Annual) -> None:
    """Police may open their cases: every count of consultations, measures and
    relationships links to the case list filtered the same way. (The sex × age
    tables stay plain: the case list has no filter on the people's sex and age.)"""
    base = {"opened_from": stats.date_from.isoformat(), "opened_to": stats.date_to.isoformat()}
    for table in tables:
        if table.key == "measures":
            table.links = {
                key: _cases_link(key, stats.date_from, stats.date_to) for key in table.row_keys
            }
        elif table.key == "relationship":
            table.links = {
                key: _link("cases:list", base, relationship=key) for key in table.row_keys
            }


def _year_cells(stats: annual.Annual, police: bool) -> list[dict[str, Any]]:
    """The year-on-year rows; for police each count links to its case list."""
    rows = []
    for y in stats.years:
        start, end = annual.period_of(y["year"], stats.fiscal)
        rows.append(
            {
                "year": y["year"],
                "cells": [
                    {
                        "value": y[k],
                        "change": y["change"][k],
                        "url": _cases_link(k, start, end) if police else "",
                    }
                    for k in annual.YEAR_COLUMNS
                ],
            }
        )
    return rows


def annual_download(request: AuthedRequest) -> HttpResponse:
    user = reporting_user(request)
    fmt = request.GET.get("format", "")
    release_mode = bool(request.GET.get("release"))
    if fmt not in ("json", "csv", "xlsx") or (
        release_mode and (fmt == "json" or not _may_release(user))
    ):
        raise Http404
    form = _annual_form(request, user)
    if not form.is_valid():
        return HttpResponse(
            json.dumps(form.errors.get_json_data(), ensure_ascii=False),
            status=400,
            content_type="application/json",
        )
    stats = annual.compute(
        Case.objects.for_statistics(user),
        form.cleaned_data["year"],
        form.cleaned_data["fiscal"],
        form.prefectures(),
    )
    stem = f"annual_{'fy' if stats.fiscal else ''}{stats.year}"
    if fmt == "json":
        return _download(
            json.dumps(stats.as_json(), ensure_ascii=False, indent=1), fmt, f"{stem}.json"
        )
    tables = stats.tables()
    if release_mode:
        tables = [t.release(settings.SUPPRESSION_THRESHOLD, _hide_zero()) for t in tables]
        stem += "_release"
    content: bytes | str
    if fmt == "csv":
        content = exports.table_csv(tables)
    else:
        content = exports.tables_xlsx(_("Stalking statistics"), _annual_subtitle(stats), tables)
    if release_mode:
        body = content.encode("utf-8") if isinstance(content, str) else content
        release_record(
            actor=user,
            report="annual",
            format=fmt,
            parameters={
                "year": stats.year,
                "fiscal": stats.fiscal,
                "prefectures": list(stats.prefectures),
            },
            threshold=settings.SUPPRESSION_THRESHOLD,
            content=body,
        )
    return _download(content, fmt, f"{stem}.{fmt}")


def releases(request: AuthedRequest) -> HttpResponse:
    """The release log: who published which table, when, and the file's hash."""
    user = reporting_user(request)
    if not _may_release(user):
        raise Http404
    logs = ReleaseLog.objects.visible_to(user).select_related("actor", "prefecture")
    page = Paginator(logs, 50).get_page(request.GET.get("page"))
    return render(request, "reports/releases.html", {"page": page})
