"""Writes of risk assessment, each under one transaction with its audit event."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from tsunagu.cases import timeline
from tsunagu.cases.models import Case
from tsunagu.cases.services import ServiceError, event_record
from tsunagu.core.audit import audit
from tsunagu.core.models import User
from tsunagu.risk import summary
from tsunagu.risk.models import Assessment, Instrument, PlanAction

SCENARIO_FIELDS = ("what", "how_serious", "how_soon")


@dataclass
class ActionData:
    action: str
    owner: str
    due_on: dt.date | None


@dataclass
class AssessmentData:
    """Plain input for an assessment (what a form or an API body holds)."""

    instrument: Instrument
    date: dt.date
    answers: dict[str, summary.Answer] = field(default_factory=dict)
    level: str = ""
    rationale: str = ""
    scenarios: dict[str, str] = field(default_factory=dict)
    actions: list[ActionData] = field(default_factory=list)
    review_on: dt.date | None = None


def _refuse(err: timeline.Refusal) -> ServiceError:
    return ServiceError(err.msgid, err.field, err.code, err.params)


def _check(data: AssessmentData) -> tuple[str, int]:
    definition = data.instrument.definition
    if data.date > timezone.localdate():
        raise ServiceError("The date cannot be in the future.", "date")
    if data.review_on is not None and data.review_on < data.date:
        raise ServiceError("The review date cannot be before the assessment.", "review_on")
    texts = [data.rationale, *data.scenarios.values(), *(a.note for a in data.answers.values())]
    texts += [t for a in data.actions for t in (a.action, a.owner)]
    if any("\x00" in t for t in texts):
        raise ServiceError("Text cannot contain NUL characters.", "detail")
    try:
        summary.check_answers(definition, data.answers)
        level = summary.summary_level(definition, data.answers, data.level, data.rationale)
    except timeline.Refusal as err:
        raise _refuse(err) from err
    allowed = definition["summary"].get("scenarios")
    for key, value in data.scenarios.items():
        if key not in SCENARIO_FIELDS or (value and not allowed):
            raise ServiceError("This instrument has no such scenario field.", f"scenarios.{key}")
    if data.actions and not definition["summary"].get("plan"):
        raise ServiceError("This instrument has no management plan.", "actions")
    for i, action in enumerate(data.actions):
        if not action.action.strip():
            raise ServiceError("Describe the action.", f"actions.{i}.action")
        if not action.owner.strip():
            raise ServiceError("Name who owns the action.", f"actions.{i}.owner")
        if action.due_on is None:
            raise ServiceError("Give the action's due date.", f"actions.{i}.due_on")
        if action.due_on < data.date:
            raise ServiceError("The due date is before the assessment.", f"actions.{i}.due_on")
    return level, summary.positive_count(definition, data.answers)


def assessment_record(*, actor: User, case: Case, data: AssessmentData) -> Assessment:
    """Record an assessment: its `risk_assessed` event (the level as detail), the
    encrypted answers, rationale and scenarios, and the plan's actions."""
    if not actor.is_police or actor.prefecture_id != case.prefecture_id:
        raise ServiceError("You may not assess this case.")
    level, count = _check(data)
    order, top = summary.level_order(data.instrument.definition, level)
    with transaction.atomic():
        event = event_record(
            actor=actor, case=case, date=data.date, type=timeline.RISK_ASSESSED, detail=level
        )
        answers = {k: {"rating": a.rating, "note": a.note} for k, a in data.answers.items()}
        assessment = Assessment.objects.create(
            case=case,
            instrument=data.instrument,
            event=event,
            date=data.date,
            level=level,
            level_order=order,
            is_top=top,
            positive_count=count,
            answers=json.dumps(answers, ensure_ascii=False, sort_keys=True),
            rationale=data.rationale.strip(),
            scenarios=json.dumps({k: v for k, v in data.scenarios.items() if v}, ensure_ascii=False)
            if any(data.scenarios.values())
            else "",
            review_on=data.review_on,
            assessed_by=actor,
            assessed_by_role=actor.role,
        )
        for action in data.actions:
            assert action.due_on is not None  # checked by _check
            PlanAction.objects.create(
                assessment=assessment,
                action=action.action.strip(),
                owner=action.owner.strip(),
                due_on=action.due_on,
            )
        assessments_refresh(sender=Case, case=case)
        audit(
            actor=actor,
            action="risk.assess",
            obj=assessment,
            prefecture=case.prefecture_id,
            case=case.pk,
            instrument=str(data.instrument),
            level=level,
            date=data.date.isoformat(),
        )
    assessment.refresh_from_db(fields=["is_effective", "is_current"])
    return assessment


def action_done(*, actor: User, action: PlanAction, on: dt.date | None = None) -> PlanAction:
    case = action.assessment.case
    if not actor.is_police or actor.prefecture_id != case.prefecture_id:
        raise ServiceError("You may not change this case.")
    on = on or timezone.localdate()
    with transaction.atomic():
        PlanAction.objects.filter(pk=action.pk).update(done_on=on)
        action.done_on = on
        audit(
            actor=actor,
            action="risk.action_done",
            obj=action,
            prefecture=case.prefecture_id,
            case=case.pk,
        )
    return action


def assessments_refresh(sender: Any = None, case: Case | None = None, **kwargs: Any) -> None:
    """Mark which assessments of a case still count and which is the latest.

    A `correction` of a `risk_assessed` event voids its assessment, exactly as the
    timeline derives it; run after every event of the case (`timeline_changed`).
    """
    if case is None:
        return
    rows = list(Assessment.objects.filter(case=case).select_related("event"))
    if not rows:
        return
    counted = set(timeline.effective(case.timeline_events()))
    effective = [a for a in rows if a.event.as_ev() in counted]
    latest = max(effective, key=lambda a: (a.date, a.event_id), default=None)
    for row in rows:
        is_effective = row in effective
        is_current = latest is not None and row.pk == latest.pk
        if (row.is_effective, row.is_current) != (is_effective, is_current):
            Assessment.objects.filter(pk=row.pk).update(
                is_effective=is_effective, is_current=is_current
            )
