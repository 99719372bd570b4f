"""Report screens: the programme report, its drill-down, downloads, the annual
statistics and the release log.

Every figure comes from `Case.objects.for_statistics(user)`: police see their
prefecture, analysts every prefecture (de-identified), anyone else gets 404.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from tsunagu.cases.models import Case
from tsunagu.core.access import AuthedRequest
from tsunagu.core.models import User
from tsunagu.reports import (
    annual,
    annual_page,
    episode_list,
    exports,
    links,
    programme,
    programme_page,
)
from tsunagu.reports import cache as report_cache
from tsunagu.reports.forms import (
    AnnualForm,
    DrillForm,
    ProgrammeForm,
    default_programme_data,
    params_query,
    scope_label,
)
from tsunagu.reports.models import ProgrammeVersion, ReleaseLog
from tsunagu.reports.services import release_record

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


def _download(content: bytes | str, fmt: str, filename: str) -> HttpResponse:
    body = content.encode("utf-8") if isinstance(content, str) else content
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _in_words(request: AuthedRequest) -> bool:
    """`?headers=words`: a CSV for people, headers and codes in the user's language.
    Without it the CSV keeps its column keys, for programs that read it."""
    return request.GET.get("headers") == "words"


def names_for(user: User) -> dict[str, str]:
    """Prefecture names a user's report may carry: all for analysts, their own for police."""
    names = exports.prefecture_names()
    if user.is_analyst:
        return names
    own = user.prefecture
    return {own.code: names[own.code]} if own else {}


def _report(user: User, params: programme.Params, with_levels: bool = False) -> programme.Report:
    """The programme report of `user`'s scope, each prefecture's episodes cached on
    that prefecture's data version (`programme.compute_for`); `with_levels`: with
    the breakdown by risk level at advice. What is shown of it is cached whole
    too (the body of the page, a part, the API's JSON)."""
    return programme.compute_for(user, params, with_levels)


def programme_report(request: AuthedRequest) -> HttpResponse:
    """The programme status report (DESIGN §4) with charts, tables and downloads.

    The body is rendered once per report, options and data version (the cache
    key); `?part=months|prefectures` answers one long table on its own, for the
    page to load when a person opens it.
    """
    user = reporting_user(request)
    form = _programme_form(request, user)
    may_release = _may_release(user)
    context: dict[str, Any] = {"form": form, "may_release": may_release}
    if not form.is_valid():
        return render(request, "reports/programme.html", context)
    params = form.params
    opts = programme_page.options(request.GET, may_release, form.with_levels)
    part = request.GET.get("part", "")
    if part in programme_page.PARTS:
        html = report_cache.cached(
            "programme-part",
            user,
            (params, opts, part),
            lambda: render_to_string(
                programme_page.PARTS[part],
                programme_page.part_context(
                    part, _report(user, params), params, names_for(user), opts
                ),
            ),
            counter=ProgrammeVersion,
        )
        return HttpResponse(html)
    suppression = (settings.SUPPRESSION_THRESHOLD, _hide_zero()) if opts.release else ()

    def body() -> tuple[str, dict[str, Any]]:
        report = _report(user, params, opts.by_level)
        page = programme_page.page_context(report, params, names_for(user), opts, may_release)
        return render_to_string("reports/_programme_body.html", page), report.totals

    # The body and the totals; the report itself is only computed (from the cached
    # parts of each prefecture) when the body is not in the cache.
    body_html, totals = report_cache.cached(
        "programme-body",
        user,
        (params, opts, may_release, suppression),
        body,
        counter=ProgrammeVersion,
    )
    context["totals"] = totals
    context["body"] = mark_safe(body_html)  # noqa: S308 - rendered by our own template, escaped there
    return render(request, "reports/programme.html", context)


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
    report = _report(user, params, form.with_levels)
    names = names_for(user)
    stem = f"programme_{params.date_from:%Y%m%d}_{params.date_to:%Y%m%d}"
    release = None
    levels = exports.by_level_table(report) if form.with_levels else None
    if release_mode:
        threshold = settings.SUPPRESSION_THRESHOLD
        release = exports.by_prefecture_table(report, names).release(threshold, _hide_zero())
        if levels is not None:
            levels = levels.release(threshold, _hide_zero())
        stem += "_release"
    content: bytes | str
    if fmt == "json":
        content = exports.to_json(report)
    elif fmt == "csv":
        if release:
            content = exports.table_csv([release, *([levels] if levels else [])])
        else:
            content = exports.programme_csv(report, in_words=_in_words(request))
    elif fmt == "xlsx":
        content = exports.programme_xlsx(report, names, release, levels)
    else:
        content = exports.programme_pdf(report, names, release, levels)
    if release is not None:
        body = content.encode("utf-8") if isinstance(content, str) else content
        release_record(
            actor=user,
            report="programme",
            format=fmt,
            parameters={**params.as_dict(), **({"by_level": True} if levels else {})},
            threshold=settings.SUPPRESSION_THRESHOLD,
            content=body,
        )
    return _download(content, fmt, f"{stem}.{fmt}")


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
        level=d["level"] or "",
    )
    rows = programme.drill(
        programme.episode_rows(
            Case.objects.for_statistics(user),
            params,
            police_view=user.is_police,
            with_levels=bool(selector.level),
        ),
        selector,
    )
    rows.sort(key=lambda r: (r.prefecture, r.advised_on, r.case_id))
    names = names_for(user)
    if request.GET.get("format") == "csv":
        content = episode_list.episodes_csv(user, rows, in_words=_in_words(request))
        return _download(content, "csv", "episodes.csv")
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    items = episode_list.items(user, list(page), names)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "reports/episodes.html",
        {
            "form": form,
            "params": params,
            "page": page,
            "items": items,
            "count": len(rows),
            "description": episode_list.description(selector, names),
            "query": query.urlencode(),
            "report_url": links.link("reports:programme", params_query(params)),
        },
    )


# --- annual statistics -----------------------------------------------------------------


def _annual_form(request: AuthedRequest, user: User) -> AnnualForm:
    data: QueryDict = request.GET
    if "year" not in request.GET:
        data = request.GET.copy()
        data["year"] = str(annual.default_year())
    return AnnualForm(data, user)


def _annual(user: User, form: AnnualForm) -> annual.Annual:
    """The annual statistics of `user`'s scope, computed once per data version."""
    year, fiscal = form.cleaned_data["year"], form.cleaned_data["fiscal"]
    prefectures = tuple(sorted(form.prefectures()))
    return report_cache.cached(
        "annual",
        user,
        (year, fiscal, prefectures),
        lambda: annual.compute(Case.objects.for_statistics(user), year, fiscal, prefectures),
    )


def annual_report(request: AuthedRequest) -> HttpResponse:
    """Consultations, measures, relationship, sex and age; year on year."""
    user = reporting_user(request)
    form = _annual_form(request, user)
    context: dict[str, Any] = {"form": form, "may_release": _may_release(user)}
    if form.is_valid():
        stats = _annual(user, form)
        tables = stats.tables()
        if user.is_police:
            annual_page.link_to_cases(tables, stats)
        release = bool(request.GET.get("release")) and _may_release(user)
        if release:
            tables = [t.release(settings.SUPPRESSION_THRESHOLD, _hide_zero()) for t in tables]
        context.update(
            stats=stats,
            tables=tables,
            release=release,
            subtitle=annual_page.subtitle(stats),
            scope_label=scope_label(stats.prefectures),
            years=annual_page.year_cells(stats, user.is_police and not release),
            links_note=user.is_police and not release,
            downloads=annual_page.downloads(stats, release=False),
            release_downloads=annual_page.downloads(stats, release=True),
        )
    return render(request, "reports/annual.html", context)


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
    stats = _annual(user, form)
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
        content = exports.tables_xlsx(_("Stalking statistics"), annual_page.subtitle(stats), tables)
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
