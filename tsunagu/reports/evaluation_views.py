"""The evaluation screens (DESIGN §5): the page, its downloads and the episodes
behind every number.

The same scope as the programme report: `Case.objects.for_statistics(user)`,
police of a prefecture see their prefecture, analysts any set of prefectures
(de-identified), anyone else gets 404.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render

from tsunagu.cases.models import Case
from tsunagu.core.access import AuthedRequest
from tsunagu.core.models import User
from tsunagu.reports import (
    episode_list,
    evaluation,
    evaluation_data,
    evaluation_exports,
    exports,
    risk_levels,
)
from tsunagu.reports import evaluation_charts as ec
from tsunagu.reports.evaluation_forms import (
    EvaluationDrillForm,
    EvaluationForm,
    default_evaluation_data,
    drill,
    evaluation_query,
)
from tsunagu.reports.evaluation_labels import (
    caveat,
    evalue_sentence,
    group_label,
    pct,
    ratio,
    small_group_note,
)
from tsunagu.reports.forms import scope_label
from tsunagu.reports.links import link
from tsunagu.reports.survival import MIN_GROUP, TIMES
from tsunagu.reports.views import CONTENT_TYPES
from tsunagu.reports.views import names_for as _names
from tsunagu.reports.views import reporting_user as _user


def _form(request: AuthedRequest, user: User) -> EvaluationForm:
    data: QueryDict | dict[str, Any] = request.GET
    if "preset" not in request.GET:
        merged = request.GET.copy()
        for key, value in default_evaluation_data().items():
            merged[key] = value
        data = merged
    return EvaluationForm(data, user)


def prefecture_figures(
    ev: evaluation.Evaluation,
) -> tuple[float | None, dict[str, tuple[int, int, float | None]]]:
    """The national 12-month outcome proportion, and each prefecture's (episodes,
    outcomes, 12-month proportion; None when nobody there is followed a year)."""
    from tsunagu.reports import survival

    def proportion(rows: list[evaluation.FollowedEpisode]) -> float | None:
        if not rows or max(r.days for r in rows) < 365:
            return None
        free, _, _ = survival.km([r.days for r in rows], [r.event for r in rows]).at(365)
        return 1 - free

    per: dict[str, list[evaluation.FollowedEpisode]] = {}
    for r in ev.episodes:
        per.setdefault(r.prefecture, []).append(r)
    figures = {
        code: (len(rows), sum(1 for r in rows if r.event), proportion(rows))
        for code, rows in sorted(per.items())
    }
    return proportion(ev.episodes), figures


def shown_at(figs: dict[str, Any], small: bool) -> dict[str, str]:
    """A Kaplan–Meier figure as pages show it: a percentage and its interval, or
    "–" (not estimable, or a group under 10 episodes)."""
    return {
        "free": "–" if small else pct(figs["free"]) or "–",
        "low": "" if small else pct(figs["low"]),
        "high": "" if small else pct(figs["high"]),
    }


def level_rows(ev: evaluation.Evaluation, drill_url: Any) -> list[dict[str, Any]]:
    """The table by risk level at advice (`evaluation_exports.level_entries`), each
    count linked to its episodes; the level's name spans its rows."""
    entries = evaluation_exports.level_entries(ev)
    spans: dict[str, int] = {}
    for key, *_rest in entries:
        spans[key] = spans.get(key, 0) + 1
    rows = []
    for i, (key, label, group, figs) in enumerate(entries):
        first = i == 0 or entries[i - 1][0] != key
        rows.append(
            {
                "level": label,
                "span": spans[key] if first else 0,
                "group": group_label(group),
                "n": figs["n"],
                "events": figs["events"],
                "n_url": drill_url(group=group, level=key),
                "events_url": drill_url(group=group, events=1, level=key),
                "year": shown_at(figs["at"]["365"], figs["n"] < MIN_GROUP),
            }
        )
    return rows


def evaluation_report(request: AuthedRequest) -> HttpResponse:
    """Does treatment go with less recurrence? Curves, figures, comparison (DESIGN §5)."""
    user = _user(request)
    form = _form(request, user)
    context: dict[str, Any] = {"form": form}
    if not form.is_valid():
        return render(request, "reports/evaluation.html", context, status=200)
    params = form.evaluation_params
    ev = evaluation_data.compute(Case.objects.for_statistics(user), params, form.with_levels)
    r = ev.result
    base = evaluation_query(params)
    page_base = {**base, **({"by_level": 1} if form.with_levels else {})}
    L = params.landmark

    def drill_url(**extra: Any) -> str:
        return link("reports:evaluation_episodes", base, **extra)

    rows = []
    for key in ("overall", *evaluation.GROUPS):
        figs = r["overall"] if key == "overall" else r["groups"][key]
        small = key != "overall" and figs["n"] < MIN_GROUP
        rows.append(
            {
                "key": key,
                "label": group_label(key),
                "n": figs["n"],
                "events": figs["events"],
                "n_url": drill_url(group=key),
                "events_url": drill_url(group=key, events=1),
                "median": "–" if figs["median_days"] is None else f"{figs['median_days']:.0f}",
                "small": small,
                "at": [
                    {
                        **shown_at(figs["at"][str(t)], small),
                        "at_risk": figs["at"][str(t)]["at_risk"],
                    }
                    for t in TIMES
                ],
            }
        )
    shown = [g for g in evaluation.GROUPS if r["groups"][g]["n"] >= MIN_GROUP]
    overall_chart = ec.km_chart({"overall": ev.curves["overall"]}, 0) if r["overall"]["n"] else None
    group_chart = ec.km_chart({g: ev.curves[g] for g in shown}, L) if shown else None
    risk_rows = [
        {"label": group_label("overall"), "values": ec.at_risk_row(ev.curves["overall"], 0)}
    ] + [{"label": group_label(g), "values": ec.at_risk_row(ev.curves[g], L)} for g in shown]
    cox = r["cox"]
    terms = []
    forest = None
    if cox and cox["terms"]:
        forest = ec.forest(cox["terms"])
        for row, (key, t) in zip(forest.rows, cox["terms"].items(), strict=True):
            terms.append(
                {
                    "row": row,
                    "label": group_label(key),
                    "hr": ratio(t["hr"]),
                    "low": ratio(t["low"]) or "∞",
                    "high": ratio(t["high"]) or "∞",
                    "p": "<0.001" if t["p"] is not None and t["p"] < 0.001 else ratio(t["p"]),
                }
            )
    funnel = None
    funnel_rows = []
    if user.is_analyst:
        names = _names(user)
        centre, per_pref = prefecture_figures(ev)
        values = {c: (n, p) for c, (n, _e, p) in per_pref.items() if p is not None}
        if centre is not None and values:
            funnel = ec.funnel(values, centre)
        outside = {p.code: p.outside for p in funnel.points} if funnel else {}
        funnel_rows = [
            {
                "name": names.get(code, code),
                "n": n,
                "events": e,
                "n_url": drill_url(group="overall", pref=code),
                "events_url": drill_url(group="overall", events=1, pref=code),
                "proportion": pct(p) or "–",
                "outside": outside.get(code, ""),
            }
            for code, (n, e, p) in per_pref.items()
        ]
        context["funnel_centre"] = pct(centre)
    context.update(
        {
            "ev": ev,
            "result": r,
            "params": params,
            "scope_label": scope_label(params.prefectures),
            "rows": rows,
            "times": TIMES,
            "overall_chart": overall_chart,
            "group_chart": group_chart,
            "risk_rows": risk_rows,
            "months": ec.AXIS_MONTHS,
            "small_notes": [
                small_group_note(group_label(g))
                for g in evaluation.GROUPS
                if r["groups"][g]["n"] < MIN_GROUP
            ],
            "logrank": r["logrank"],
            "logrank_stat": ratio(r["logrank"]["statistic"]) if r["logrank"] else "",
            "logrank_p": ratio(r["logrank"]["p"]) if r["logrank"] else "",
            "cox": cox,
            "cox_dropped": [group_label(k) for k in (cox or {}).get("dropped", [])],
            "cox_concordance": ratio(cox["concordance"]) if cox else "",
            "terms": terms,
            "forest": forest,
            "evalue_text": evalue_sentence(r["evalue"]),
            "caveat": caveat(),
            "excluded_url": drill_url(group="excluded"),
            "funnel": funnel,
            "funnel_rows": funnel_rows,
            "downloads": {
                fmt: link("reports:evaluation_download", page_base, format=fmt)
                for fmt in CONTENT_TYPES
            },
            "level_rows": level_rows(ev, drill_url) if ev.levels is not None else None,
        }
    )
    return render(request, "reports/evaluation.html", context)


def evaluation_download(request: AuthedRequest) -> HttpResponse:
    """The evaluation as JSON (§5's shape), CSV, XLSX or PDF."""
    user = _user(request)
    fmt = request.GET.get("format", "")
    if fmt not in CONTENT_TYPES:
        raise Http404
    form = _form(request, user)
    if not form.is_valid():
        return HttpResponse(
            json.dumps(form.errors.get_json_data(), ensure_ascii=False),
            status=400,
            content_type="application/json",
        )
    params = form.evaluation_params
    ev = evaluation_data.compute(Case.objects.for_statistics(user), params, form.with_levels)
    content = evaluation_exports.render(ev, fmt, _names(user))
    body = content.encode("utf-8") if isinstance(content, str) else content
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    stem = f"evaluation_{params.date_from:%Y%m%d}_{params.date_to:%Y%m%d}"
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


def evaluation_episodes(request: AuthedRequest) -> HttpResponse:
    """The episodes behind a number. Police get links to their cases; analysts a
    pseudonymous id and dates, nothing personal."""
    user = _user(request)
    form = _form(request, user)
    drill_form = EvaluationDrillForm(request.GET)
    if not form.is_valid() or not drill_form.is_valid():
        return render(
            request,
            "reports/evaluation_episodes.html",
            {"form": form, "drill_form": drill_form},
            status=400,
        )
    params = form.evaluation_params
    d = drill_form.cleaned_data
    group = d["group"] or "overall"
    level = d["level"] or ""
    followed = evaluation_data.followed_episodes(
        Case.objects.for_statistics(user), params, with_levels=bool(level)
    )
    rows = drill(list(followed), group, bool(d["events"]), d["pref"] or "", level)
    rows.sort(key=lambda r: (r.prefecture, r.advised_on, r.case_id))
    names = _names(user)
    if request.GET.get("format") == "csv":
        return _episodes_csv(user, rows, episode_list.identities(user, rows))
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    ids = episode_list.identities(user, list(page))
    items = [
        {
            "row": r,
            "id": ids[r.case_id][0],
            "url": ids[r.case_id][1],
            "prefecture": names.get(r.prefecture, r.prefecture),
            "group": group_label(r.group or "excluded"),
        }
        for r in page
    ]
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    description = group_label(group)
    if d["events"]:
        description += " · " + group_label(params.outcome)
    if d["pref"]:
        description += " · " + names.get(d["pref"], d["pref"])
    if level:
        description += " · " + risk_levels.ordered([level])[0][1]
    return render(
        request,
        "reports/evaluation_episodes.html",
        {
            "form": form,
            "params": params,
            "page": page,
            "items": items,
            "count": len(rows),
            "description": description,
            "query": query.urlencode(),
            "report_url": link("reports:evaluation", evaluation_query(params)),
        },
    )


def _episodes_csv(
    user: User, rows: list[evaluation.FollowedEpisode], ids: dict[int, tuple[str, str]]
) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "case_ref" if user.is_police else "pseudonym",
            "prefecture",
            "advised_on",
            "group",
            "days",
            "outcome",
            "outcome_on",
        ]
    )
    for r in rows:
        writer.writerow(
            [
                ids[r.case_id][0],
                r.prefecture,
                r.advised_on.isoformat(),
                r.group or "excluded",
                r.days,
                int(r.event),
                r.outcome_on.isoformat() if r.outcome_on else "",
            ]
        )
    response = HttpResponse(
        (exports.BOM + out.getvalue()).encode("utf-8"), content_type=CONTENT_TYPES["csv"]
    )
    response["Content-Disposition"] = 'attachment; filename="evaluation_episodes.csv"'
    return response
