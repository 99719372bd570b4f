"""JSON API of the reports app, mounted under /api/v1/reports.

The same scoping as the pages: police see their prefecture, analysts every
prefecture and de-identified episodes; anyone else gets 404. Bad input answers
422 with the field named.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError

from tsunagu.cases.models import Case
from tsunagu.core.api import StrictDate, auth_for, choice, paged, reporting, responses
from tsunagu.core.models import Region, User
from tsunagu.reports import annual, evaluation, evaluation_data, programme
from tsunagu.reports import api_schemas as schemas
from tsunagu.reports import cache as report_cache
from tsunagu.reports.forms import EARLIEST_YEAR, LATEST_YEAR, bounds_errors, period_errors
from tsunagu.reports.models import ProgrammeVersion

router = Router(tags=["reports"], auth=auth_for(reporting))


def _reporting_user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if user.is_analyst or (user.is_police and user.prefecture_id):
        return user
    raise Http404


def _invalid(field: str, message: str) -> ValidationError:
    return _invalids([(field, message)])


def _invalids(errors: list[tuple[str, str]]) -> ValidationError:
    return ValidationError(
        [
            {"loc": ["query", field], "msg": message, "type": "value_error"}
            for field, message in errors
        ]
    )


def _prefectures(user: User, codes: list[str]) -> tuple[str, ...]:
    if not user.is_analyst:
        pref = user.prefecture
        if codes and (pref is None or set(codes) != {pref.code}):
            raise _invalid("prefecture", gettext("You may report on your own prefecture only."))
        return (pref.code,) if pref else ()
    known = set(Region.objects.filter(kind=Region.Kind.PREFECTURE).values_list("code", flat=True))
    for code in codes:
        if code not in known:
            raise _invalid(
                "prefecture", gettext("Unknown prefecture code %(code)s.") % {"code": code}
            )
    return tuple(codes)


def _report(path: str, schema: Any) -> Any:
    """The GET of a report: its JSON is validated against `schema` and given back as
    it is (keys such as "from" are aliases; a key that may be absent stays absent)."""
    return router.get(path, response=responses(schema), by_alias=True, exclude_unset=True)


class ProgrammeQuery(Schema):
    date_from: StrictDate
    date_to: StrictDate
    as_of: StrictDate | None = None
    prefecture: list[str] = []


def _params(user: User, q: ProgrammeQuery) -> programme.Params:
    errors = bounds_errors(
        {"date_from": q.date_from, "date_to": q.date_to, "as_of": q.as_of}
    ) or period_errors(q.date_from, q.date_to, q.as_of)
    if errors:
        raise _invalids(errors)
    return programme.Params.make(q.date_from, q.date_to, q.as_of, _prefectures(user, q.prefecture))


@_report("/programme", schemas.ProgrammeReportOut)
def programme_report(request: HttpRequest, q: Query[ProgrammeQuery]) -> dict[str, Any]:
    """The programme status report as the JSON of DESIGN §4 (plus `percentages`)."""
    user = _reporting_user(request)
    params = _params(user, q)
    # Each prefecture's episodes are cached on its own data version; the JSON on
    # the data version of the whole scope.
    return report_cache.cached(
        "programme-json",
        user,
        (params,),
        lambda: programme.compute_for(user, params).as_json(),
        counter=ProgrammeVersion,
    )


class ProgrammeEpisodeOut(Schema):
    id: str
    prefecture: str
    advised_on: dt.date
    answered_on: dt.date | None
    started_on: dt.date | None
    leaf: str
    leaf_on: dt.date | None
    rejection_reason: str | None
    recurrence_on: dt.date | None


class DrillQuery(ProgrammeQuery):
    figure: str = "advised"
    pref: str = ""
    reason: str = ""
    recurrence: bool = False
    month: str = ""
    page: int = 1


class ProgrammeEpisodePage(Schema):
    count: int
    page: int
    pages: int
    results: list[ProgrammeEpisodeOut]


@router.get("/programme/episodes", response=responses(ProgrammeEpisodePage))
def programme_episodes(request: HttpRequest, q: Query[DrillQuery]) -> dict[str, Any]:
    """The episodes behind a figure. Police get their case references; analysts a
    pseudonymous id only."""
    user = _reporting_user(request)
    if q.figure not in programme.FIGURES:
        raise _invalid("figure", gettext("Unknown figure %(figure)s.") % {"figure": q.figure})
    if q.reason and q.reason not in programme.REASONS:
        raise _invalid(
            "reason", gettext("Unknown rejection reason %(reason)s.") % {"reason": q.reason}
        )
    params = _params(user, q)
    rows = programme.drill(
        # Police rows leave out clinic status hidden by a consent withdrawal.
        programme.episode_rows(
            Case.objects.for_statistics(user), params, police_view=user.is_police
        ),
        programme.Drill(q.figure, q.pref, q.reason, q.recurrence, q.month),
    )
    refs: dict[int, str] = {}
    if user.is_police:
        refs = dict(
            Case.objects.visible_to(user)
            .filter(pk__in=[r.case_id for r in rows])
            .values_list("pk", "ref")
        )
    ordered = sorted(rows, key=lambda r: (r.prefecture, r.advised_on, r.case_id))
    return paged(
        ordered,
        q.page,
        lambda r: {
            "id": refs.get(r.case_id, "") if user.is_police else programme.pseudonym(r.case_id),
            "prefecture": r.prefecture,
            "advised_on": r.advised_on,
            "answered_on": r.answered_on,
            "started_on": r.started_on,
            "leaf": r.leaf,
            "leaf_on": r.leaf_on,
            "rejection_reason": r.reason,
            "recurrence_on": r.recurrence_on,
        },
    )


class AnnualQuery(Schema):
    year: int = Field(ge=EARLIEST_YEAR, le=LATEST_YEAR)
    fiscal: bool = False
    prefecture: list[str] = []


@_report("/annual", schemas.AnnualStatisticsOut)
def annual_statistics(request: HttpRequest, q: Query[AnnualQuery]) -> dict[str, Any]:
    """Annual stalking statistics of a calendar or fiscal year, and year on year."""
    user = _reporting_user(request)
    if not EARLIEST_YEAR <= q.year <= LATEST_YEAR:
        raise _invalid("year", gettext("Give a year between 2000 and 2100."))
    stats = annual.compute(
        Case.objects.for_statistics(user), q.year, q.fiscal, _prefectures(user, q.prefecture)
    )
    return stats.as_json()


class EvaluationQuery(ProgrammeQuery):
    landmark: int = Field(evaluation.DEFAULT_LANDMARK, ge=0, le=evaluation.MAX_LANDMARK)
    outcome: choice(evaluation.OUTCOME_KINDS) = "recurrence"  # type: ignore[valid-type]


@_report("/evaluation", schemas.EvaluationReportOut)
def evaluation_report(request: HttpRequest, q: Query[EvaluationQuery]) -> dict[str, Any]:
    """Does treatment go with less recurrence? The JSON of DESIGN §5."""
    user = _reporting_user(request)
    if not 0 <= q.landmark <= evaluation.MAX_LANDMARK:
        raise _invalid(
            "landmark", gettext("Give 0 to %(max)s days.") % {"max": evaluation.MAX_LANDMARK}
        )
    if q.outcome not in evaluation.OUTCOME_KINDS:
        raise _invalid("outcome", gettext("Give recurrence or any_measure."))
    p = _params(user, q)
    params = evaluation.Params.make(
        p.date_from, p.date_to, p.as_of, p.prefectures, q.landmark, q.outcome
    )
    return evaluation_data.compute(Case.objects.for_statistics(user), params).as_json()
