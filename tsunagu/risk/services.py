"""Writes of risk assessment, each under one transaction with its audit event."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from tsunagu.cases import timeline
from tsunagu.cases.models import Case, Event
from tsunagu.cases.services import (
    Revealed,
    ServiceError,
    event_record,
    protected_reveal,
    reveal_still_shown,
)
from tsunagu.core.audit import audit
from tsunagu.core.models import User
from tsunagu.risk import summary
from tsunagu.risk.models import Assessment, Instrument, PlanAction

SCENARIO_FIELDS = ("what", "how_serious", "how_soon")
SAME_EVENT = "This event is already on the timeline."
SAME_DAY_LEVEL = "The case already has an assessment at this level on this date."
NO_INSTRUMENT = "No such instrument."
ALREADY_DONE = "This action was already marked done on %(date)s."


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
    # Another prefecture's instrument is not there for this actor (nor its wording).
    if not Instrument.objects.visible_to(actor).filter(pk=data.instrument.pk).exists():
        raise ServiceError(NO_INSTRUMENT, "instrument_id")
    level, count = _check(data)
    order, top = summary.level_order(data.instrument.definition, level)
    with transaction.atomic():
        try:
            event = event_record(
                actor=actor, case=case, date=data.date, type=timeline.RISK_ASSESSED, detail=level
            )
        except ServiceError as err:
            if err.msgid == SAME_EVENT:
                # Its event would be the same as one on the timeline (type, date, level).
                raise ServiceError(SAME_DAY_LEVEL, "date") from err
            raise
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


def _change(
    *, actor: User, row: Any, case: Case, action: str, field: str, value: Any, **detail: Any
) -> None:
    """Set one field of a risk row and write its audit event, in one transaction."""
    with transaction.atomic():
        type(row).objects.filter(pk=row.pk).update(**{field: value})
        setattr(row, field, value)
        audit(
            actor=actor,
            action=action,
            obj=row,
            prefecture=case.prefecture_id,
            case=case.pk,
            **detail,
        )


def _may_change(actor: User, case: Case) -> None:
    """Police of the case's prefecture (officers and supervisors) change its risk records."""
    if not actor.is_police or actor.prefecture_id != case.prefecture_id:
        raise ServiceError("You may not change this case.")


def action_done(*, actor: User, action: PlanAction, on: dt.date | None = None) -> PlanAction:
    """Mark a plan action done (today by default). An action already done is
    refused, naming `done_on`: its date is never overwritten, nothing is written."""
    case = action.assessment.case
    _may_change(actor, case)
    with transaction.atomic():
        # Two clicks at once: the second sees the first's date under the row lock.
        done_on = (
            PlanAction.objects.select_for_update()
            .values_list("done_on", flat=True)
            .get(pk=action.pk)
        )
        if done_on is not None:
            action.done_on = done_on
            raise ServiceError(ALREADY_DONE, "done_on", params={"date": done_on.isoformat()})
        _change(
            actor=actor,
            row=action,
            case=case,
            action="risk.action_done",
            field="done_on",
            value=on or timezone.localdate(),
        )
    return action


def review_change(*, actor: User, assessment: Assessment, review_on: dt.date) -> Assessment:
    """Move an assessment's review date (the follow-up on the home page); audited."""
    case = assessment.case
    _may_change(actor, case)
    if review_on < timezone.localdate():
        raise ServiceError("The review date cannot be in the past.", "review_on")
    if not assessment.is_effective:
        raise ServiceError("This assessment was corrected; it has no review.", "review_on")
    _change(
        actor=actor,
        row=assessment,
        case=case,
        action="risk.review_changed",
        field="review_on",
        value=review_on,
        previous=assessment.review_on.isoformat() if assessment.review_on else None,
        review_on=review_on.isoformat(),
    )
    return assessment


def assessment_reveal(*, actor: User, assessment: Assessment, reason: str) -> Revealed:
    """The encrypted content of an assessment (answers with notes, rationale,
    scenarios, plan actions), audited as a reveal of victim data; with the id of
    its audit event (the page shows the result again from it, `assessment_revealed`)."""
    event = protected_reveal(
        actor=actor,
        case=assessment.case,
        obj=assessment,
        fields=(*Assessment.PROTECTED_FIELDS, "actions"),
        reason=reason,
    )
    return Revealed(_protected(assessment), event.pk)


def assessment_revealed(
    *, actor: User, assessment: Assessment, audit_id: int
) -> dict[str, Any] | None:
    """The content of a reveal this actor made of this assessment less than
    `REVEAL_SHOWN_SECONDS` ago (audit event `audit_id`), else None. Writes nothing."""
    if not reveal_still_shown(actor=actor, case=assessment.case, obj=assessment, audit_id=audit_id):
        return None
    return _protected(assessment)


def _protected(assessment: Assessment) -> dict[str, Any]:
    return {
        "answers": json.loads(assessment.answers or "{}"),
        "rationale": assessment.rationale,
        "scenarios": json.loads(assessment.scenarios or "{}"),
        "actions": {p.pk: p.action for p in assessment.actions.all()},
    }


def assessments_refresh(sender: Any = None, case: Case | None = None, **kwargs: Any) -> None:
    """Mark which assessments of a case still count and which is the latest.

    A `correction` of a `risk_assessed` event voids its assessment, exactly as the
    timeline derives it; run after every event of the case (`timeline_changed`).
    """
    if case is not None:
        assessments_refresh_cases([case.pk])


def _flags(rows: list[tuple[Any, ...]], events: list[timeline.Ev]) -> dict[int, tuple[bool, bool]]:
    """Per assessment (pk, event id, date), whether it counts and whether it is the latest."""
    counted = {ev.key for ev in timeline.effective(events)}
    effective = [r for r in rows if r[1] in counted]
    latest = max(effective, key=lambda r: (r[2], r[1]), default=None)
    return {r[0]: (r[1] in counted, latest is not None and r[0] == latest[0]) for r in rows}


def assessments_refresh_cases(case_ids: Any, chunk: int = 500) -> None:
    """`assessments_refresh` for many cases (an import): a few queries per chunk."""
    ids = list(case_ids)
    for start in range(0, len(ids), chunk):
        rows: dict[int, list[tuple[Any, ...]]] = {}
        for case_id, *row in Assessment.objects.filter(
            case_id__in=ids[start : start + chunk]
        ).values_list("case_id", "pk", "event_id", "date", "is_effective", "is_current"):
            rows.setdefault(case_id, []).append(tuple(row))
        if not rows:
            continue
        events: dict[int, list[timeline.Ev]] = {}
        for case_id, day, type_, detail, pk in (
            Event.objects.filter(case_id__in=list(rows))
            .order_by("id")
            .values_list("case_id", "date", "type", "detail", "id")
        ):
            events.setdefault(case_id, []).append(timeline.Ev(day, type_, detail, pk))
        changes: dict[tuple[bool, bool], list[int]] = {}
        for case_id, case_rows in rows.items():
            flags = _flags(case_rows, events.get(case_id, []))
            for pk, _event, _date, is_effective, is_current in case_rows:
                if flags[pk] != (is_effective, is_current):
                    changes.setdefault(flags[pk], []).append(pk)
        for (is_effective, is_current), pks in changes.items():
            Assessment.objects.filter(pk__in=pks).update(
                is_effective=is_effective, is_current=is_current
            )
