"""Notices that come from the calendar, not a write: `tsunagu notify-due`.

Idempotent: each notice has a key per referral (or follow-up) and kind, so a
second run on the same day, or the next day, writes nothing new for it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tsunagu.core.models import User
from tsunagu.notifications import kinds
from tsunagu.notifications.outbox import notify
from tsunagu.notifications.recipients import clinic_staff, supervisors
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
    return counts
