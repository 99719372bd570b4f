"""Follow-ups and conditions in the JSON API (mounted under /api/v1/treatment), for
the police of the case's prefecture: the same services as the pages
(tsunagu/treatment/loop.py), the same scoping (`visible_to`, 404 outside)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from tsunagu.cases import refusals
from tsunagu.cases.models import Case
from tsunagu.core.access import get_for_user
from tsunagu.core.api import StrictDate, StrictIn, auth_for, paged, police, responses
from tsunagu.treatment import derive, loop
from tsunagu.treatment.models import FollowUp

router = Router(tags=["treatment"], auth=auth_for(police))
_run = refusals.run

FOLLOWUP_SOURCES = tuple(t for types in derive.FOLLOWUP_TRIGGERS.values() for t in types)


class ConditionOut(Schema):
    kind: Literal[derive.CONDITION_KINDS]  # type: ignore[valid-type]
    starts_on: dt.date
    expires_on: dt.date | None
    ended_on: dt.date | None


class ConditionIn(StrictIn):
    date: StrictDate
    kind: Literal[derive.CONDITION_KINDS]  # type: ignore[valid-type]
    expires_on: StrictDate | None = None


class ConditionEndIn(StrictIn):
    date: StrictDate
    kind: Literal[derive.CONDITION_KINDS]  # type: ignore[valid-type]


class FollowUpOut(Schema):
    id: int
    case_id: int
    source_type: str
    source_date: dt.date
    offset_days: int | None
    due_on: dt.date
    done_on: dt.date | None
    outcome: str


class FollowUpPage(Schema):
    count: int
    page: int
    pages: int
    results: list[FollowUpOut]


class FollowUpIn(StrictIn):
    source_type: Literal[FOLLOWUP_SOURCES]  # type: ignore[valid-type]
    source_date: StrictDate
    due_on: StrictDate
    offset_days: int | None = Field(None, ge=1, le=730)


class FollowUpDoneIn(StrictIn):
    date: StrictDate
    outcome: str = Field("", max_length=200)


def _conditions(case: Case) -> list[dict[str, Any]]:
    return [
        {
            "kind": c.kind,
            "starts_on": c.starts_on,
            "expires_on": c.expires_on,
            "ended_on": c.ended_on,
        }
        for c in derive.conditions(derive.police_view(case.timeline_events()))
    ]


def _followup(f: FollowUp) -> dict[str, Any]:
    return {
        "id": f.pk,
        "case_id": f.case_id,
        "source_type": f.source_type,
        "source_date": f.source_date,
        "offset_days": f.offset_days,
        "due_on": f.due_on,
        "done_on": f.done_on,
        "outcome": f.outcome,
    }


@router.get("/cases/{case_id}/conditions", response=responses(list[ConditionOut]))
def treatment_conditions(request: HttpRequest, case_id: int) -> list[dict[str, Any]]:
    """The conditions on the offender (no-contact, prohibition order, probation)."""
    return _conditions(get_for_user(Case, request.user, case_id))


@router.post("/cases/{case_id}/conditions", response=responses(list[ConditionOut], 201, 409))
def treatment_condition_set(
    request: HttpRequest, case_id: int, payload: ConditionIn
) -> Status[list[dict[str, Any]]]:
    """Record a condition and its expiry (none: until ended)."""
    case = get_for_user(Case, request.user, case_id)
    _run(
        loop.condition_set,
        actor=request.user,
        case=case,
        date=payload.date,
        kind=payload.kind,
        expires_on=payload.expires_on,
    )
    return Status(201, _conditions(case))


@router.post("/cases/{case_id}/conditions/end", response=responses(list[ConditionOut], 201, 409))
def treatment_condition_end(
    request: HttpRequest, case_id: int, payload: ConditionEndIn
) -> Status[list[dict[str, Any]]]:
    """End an active condition before its expiry."""
    case = get_for_user(Case, request.user, case_id)
    _run(loop.condition_end, actor=request.user, case=case, date=payload.date, kind=payload.kind)
    return Status(201, _conditions(case))


@router.get("/followups", response=responses(FollowUpPage))
def treatment_followups(
    request: HttpRequest, case_id: int | None = None, open_only: bool = False, page: int = 1
) -> dict[str, Any]:
    """Follow-up checks of the prefecture's cases (of one case with `case_id`)."""
    followups = FollowUp.objects.visible_to(request.user).order_by("due_on", "pk")
    if case_id is not None:
        followups = followups.filter(case_id=case_id)
    if open_only:
        followups = followups.filter(done_on__isnull=True)
    return paged(followups, page, _followup)


@router.post("/cases/{case_id}/followups", response=responses(FollowUpOut, 201, 409))
def treatment_followup_plan(
    request: HttpRequest, case_id: int, payload: FollowUpIn
) -> Status[dict[str, Any]]:
    """Plan a check after an event of the case (a warning, an order, a treatment event)."""
    case = get_for_user(Case, request.user, case_id)
    followup = _run(
        loop.followup_plan,
        actor=request.user,
        case=case,
        source_type=payload.source_type,
        source_date=payload.source_date,
        due_on=payload.due_on,
        offset_days=payload.offset_days,
    )
    return Status(201, _followup(followup))


@router.post("/followups/{followup_id}/done", response=responses(FollowUpOut, 200, 409))
def treatment_followup_done(
    request: HttpRequest, followup_id: int, payload: FollowUpDoneIn
) -> dict[str, Any]:
    """Record the check; it closes the follow-up."""
    followup = get_for_user(FollowUp, request.user, followup_id)
    _run(
        loop.followup_done,
        actor=request.user,
        followup=followup,
        date=payload.date,
        outcome=payload.outcome,
    )
    followup.refresh_from_db()
    return _followup(followup)
