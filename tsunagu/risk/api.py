"""JSON API of risk assessment, mounted at /api/v1/risk.

Police of the case's prefecture only (404 otherwise, as the case API); writes
through `services.assessment_record` and `services.review_change`; a refusal
answers 422 naming the field.
Answers, notes, rationale and scenarios are not listed here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext
from ninja import Router, Schema
from ninja.responses import Status

from tsunagu.cases import refusals
from tsunagu.cases.models import Case
from tsunagu.core.access import get_for_user
from tsunagu.core.api import StrictDate, responses
from tsunagu.risk import services, summary
from tsunagu.risk.models import Assessment, Instrument

router = Router(tags=["risk"])


def _user(request: HttpRequest) -> Any:
    user = request.user
    if not getattr(user, "is_police", False) or user.prefecture is None:  # type: ignore[union-attr]
        raise Http404
    return user


class InstrumentOut(Schema):
    id: int
    name: str
    version: str
    prefecture: str | None
    language: str
    kind: str
    demo: bool
    levels: list[dict[str, Any]]


class PlanActionIn(Schema):
    action: str
    owner: str
    due_on: StrictDate | None = None


class AnswerIn(Schema):
    rating: str
    note: str = ""


class AssessmentIn(Schema):
    instrument_id: int
    date: StrictDate
    answers: dict[str, AnswerIn] = {}
    level: str = ""
    rationale: str = ""
    scenarios: dict[str, str] = {}
    actions: list[PlanActionIn] = []
    review_on: StrictDate | None = None


class ReviewIn(Schema):
    review_on: dt.date


class ActionOut(Schema):
    owner: str
    due_on: dt.date
    done_on: dt.date | None


class AssessmentOut(Schema):
    id: int
    date: dt.date
    instrument: str
    level: str
    level_order: int
    positive_count: int
    review_on: dt.date | None
    counts: bool
    current: bool
    actions: list[ActionOut]


def _out(a: Assessment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "date": a.date,
        "instrument": str(a.instrument),
        "level": a.level,
        "level_order": a.level_order,
        "positive_count": a.positive_count,
        "review_on": a.review_on,
        "counts": a.is_effective,
        "current": a.is_current,
        "actions": [
            {"owner": p.owner, "due_on": p.due_on, "done_on": p.done_on} for p in a.actions.all()
        ],
    }


@router.get("/instruments", response=responses(list[InstrumentOut]))
def instruments_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The instrument versions the user's prefecture uses: its own (`prefecture`,
    its code) and the national ones (`prefecture` null). No item wording: fetch
    the agency's own file."""
    user = _user(request)
    return [
        {
            "id": i.pk,
            "name": i.name,
            "version": i.version,
            "prefecture": i.prefecture.code if i.prefecture else None,
            "language": i.language,
            "kind": i.kind,
            "demo": i.is_demo,
            "levels": i.levels(),
        }
        for i in Instrument.objects.visible_to(user).select_related("prefecture")
    ]


@router.get("/cases/{case_id}/assessments", response=responses(list[AssessmentOut]))
def assessments_list(request: HttpRequest, case_id: int) -> list[dict[str, Any]]:
    case = get_for_user(Case, _user(request), case_id)
    rows = (
        Assessment.objects.filter(case=case)
        .select_related("instrument")
        .prefetch_related("actions")
    )
    return [_out(a) for a in rows]


@router.post("/cases/{case_id}/assessments", response=responses(AssessmentOut, 201))
def assessments_record(
    request: HttpRequest, case_id: int, payload: AssessmentIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    case = get_for_user(Case, user, case_id)
    instrument = Instrument.objects.visible_to(user).filter(pk=payload.instrument_id).first()
    if instrument is None:
        raise refusals.unprocessable("instrument_id", gettext(services.NO_INSTRUMENT))
    data = services.AssessmentData(
        instrument=instrument,
        date=payload.date,
        answers={k: summary.Answer(v.rating, v.note) for k, v in payload.answers.items()},
        level=payload.level,
        rationale=payload.rationale,
        scenarios=payload.scenarios,
        actions=[services.ActionData(a.action, a.owner, a.due_on) for a in payload.actions],
        review_on=payload.review_on,
    )
    assessment = refusals.run(services.assessment_record, actor=user, case=case, data=data)
    return Status(201, _out(assessment))


@router.patch("/assessments/{assessment_id}", response=responses(AssessmentOut))
def assessments_review(
    request: HttpRequest, assessment_id: int, payload: ReviewIn
) -> dict[str, Any]:
    """Move an assessment's review date (not in the past); 422 naming `review_on`."""
    user = _user(request)
    assessment = get_for_user(Assessment, user, assessment_id)
    refusals.run(
        services.review_change, actor=user, assessment=assessment, review_on=payload.review_on
    )
    return _out(assessment)
