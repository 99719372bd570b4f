"""Notices that come from the calendar, not a write: `tsunagu notify-due`.

Idempotent: each notice has a key per referral (or follow-up) and kind, so a
second run on the same day, or the next day, writes nothing new for it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tsunagu.core.models import User
from tsunagu.notifications import kinds
from tsunagu.notifications.outbox import notify
from tsunagu.notifications.recipients import clinic_staff, supervisors
from tsunagu.risk.models import Assessment, PlanAction
from tsunagu.treatment import workdays
from tsunagu.treatment.models import FollowUp, Referral


def run(today: dt.date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    counts = {kinds.REFERRAL_OVERDUE: 0, kinds.REFERRAL_ESCALATED: 0, kinds.FOLLOWUP_DUE: 0}
    waiting = (
        Referral.objects.filter(is_current=True, stage="sent", answer_due__lt=today)
        .select_related("case")
        .order_by("pk")
    )
    for referral in waiting:
        with transaction.atomic():
            counts[kinds.REFERRAL_OVERDUE] += len(
                notify(
                    clinic_staff(referral.clinic_id),
                    kinds.REFERRAL_OVERDUE,
                    target=referral,
                    key=f"overdue:{referral.pk}",
                )
            )
            if referral.sent_by_id is not None:
                counts[kinds.REFERRAL_OVERDUE] += len(
                    notify(
                        User.objects.filter(pk=referral.sent_by_id),
                        kinds.REFERRAL_OVERDUE,
                        target=referral.case,
                        key=f"overdue:{referral.pk}",
                    )
                )
            escalate_after = workdays.add_workdays(referral.answer_due, settings.ESCALATION_DAYS)
            if today > escalate_after:
                counts[kinds.REFERRAL_ESCALATED] += len(
                    notify(
                        supervisors(referral.case.prefecture_id),
                        kinds.REFERRAL_ESCALATED,
                        target=referral.case,
                        key=f"escalated:{referral.pk}",
                    )
                )
    tomorrow = today + dt.timedelta(days=1)
    followups = (
        FollowUp.objects.filter(
            done_on__isnull=True, due_on__lte=tomorrow, planned_by__isnull=False
        )
        .select_related("case")
        .order_by("pk")
    )
    for followup in followups:
        overdue = followup.due_on < today
        with transaction.atomic():
            counts[kinds.FOLLOWUP_DUE] += len(
                notify(
                    User.objects.filter(pk=followup.planned_by_id or 0),
                    kinds.FOLLOWUP_DUE,
                    target=followup.case,
                    key=f"followup:{followup.pk}:{'overdue' if overdue else 'due'}",
                )
            )
    counts[kinds.FOLLOWUP_DUE] += _risk_followups(today, tomorrow)
    return counts


def _risk_followups(today: dt.date, tomorrow: dt.date) -> int:
    """A risk assessment's review date and its plan's actions are follow-ups too
    (the officer's home lists them): the assessor hears of them due tomorrow and
    overdue, as of a follow-up. A moved review date is a new follow-up."""
    due_rows: list[tuple[int | None, Any, str, dt.date]] = []
    for assessment in (
        Assessment.objects.filter(
            is_current=True, case__is_open=True, review_on__lte=tomorrow, assessed_by__isnull=False
        )
        .select_related("case")
        .order_by("pk")
    ):
        assert assessment.review_on is not None
        key = f"risk_review:{assessment.pk}:{assessment.review_on}"
        due_rows.append((assessment.assessed_by_id, assessment.case, key, assessment.review_on))
    for action in (
        PlanAction.objects.filter(
            done_on__isnull=True,
            due_on__lte=tomorrow,
            assessment__is_effective=True,
            assessment__case__is_open=True,
            assessment__assessed_by__isnull=False,
        )
        .select_related("assessment__case")
        .order_by("pk")
    ):
        assessment = action.assessment
        due_rows.append(
            (assessment.assessed_by_id, assessment.case, f"plan_action:{action.pk}", action.due_on)
        )
    sent = 0
    for user_id, case, key, due_on in due_rows:
        with transaction.atomic():
            sent += len(
                notify(
                    User.objects.filter(pk=user_id or 0),
                    kinds.FOLLOWUP_DUE,
                    target=case,
                    key=f"{key}:{'overdue' if due_on < today else 'due'}",
                )
            )
    return sent
