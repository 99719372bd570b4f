"""Where notices come from: the audited writes of the apps below.

Every service writes its audit event inside its own transaction, so a notice
written on `post_save` of that event (and its outbox row) commits or rolls back
with the write that caused it. Periodic notices (deadlines, follow-ups) are
written by `due.run` (`tsunagu notify-due`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone

from tsunagu.cases.models import Case, Event
from tsunagu.core.models import AuditEvent, PendingAccountChange, User
from tsunagu.interchange.signals import import_failed
from tsunagu.notifications import kinds
from tsunagu.notifications.outbox import notify
from tsunagu.notifications.recipients import clinic_staff, supervisors
from tsunagu.treatment import derive
from tsunagu.treatment.loop import CLINIC_ACTIONS
from tsunagu.treatment.models import Referral


def connect() -> None:
    post_save.connect(on_audit, sender=AuditEvent, dispatch_uid="notifications.audit")
    post_save.connect(
        on_account_change, sender=PendingAccountChange, dispatch_uid="notifications.approval"
    )
    import_failed.connect(on_import_failed, dispatch_uid="notifications.import_failed")


def on_audit(sender: Any, instance: AuditEvent, created: bool, **_: Any) -> None:
    if not created:
        return
    handler = HANDLERS.get(instance.action)
    if handler is None and instance.action.startswith("referral."):
        if instance.action.removeprefix("referral.") in CLINIC_ACTIONS:
            handler = referral_status
    if handler is not None:
        handler(instance)


def on_account_change(sender: Any, instance: PendingAccountChange, created: bool, **_: Any) -> None:
    if created:
        notify(
            supervisors(instance.prefecture_id),
            kinds.ACCOUNT_APPROVAL,
            link=reverse("core:approvals"),
            key=f"approval:{instance.pk}",
        )


def import_link(user: User) -> str:
    """The import page, for a supervisor; nothing for anyone else (the command's
    `--actor` may be an administrator, for whom the page does not exist)."""
    return reverse("interchange:import") if user.is_supervisor else ""


def on_import_failed(sender: Any, actor: User, **_: Any) -> None:
    """The import wrote nothing and its own transaction has already rolled back
    (or never began): were this notice written in it, the rollback would take the
    notice with it. So it is written here, after the rollback, in a transaction
    of its own (the signal is sent from every path: page, API, `tsunagu import`)."""
    with transaction.atomic():
        notify(
            User.objects.filter(pk=actor.pk),
            kinds.IMPORT_FAILED,
            link=import_link(actor),
            key=f"import_failed:{uuid.uuid4().hex}",
        )


def _referral(event: AuditEvent) -> Referral | None:
    return Referral.objects.filter(pk=event.object_id).select_related("case").first()


def referral_new(event: AuditEvent) -> None:
    referral = _referral(event)
    if referral is not None:
        notify(
            clinic_staff(referral.clinic_id),
            kinds.REFERRAL_NEW,
            target=referral,
            key=f"referral_new:{referral.pk}",
        )


def referral_status(event: AuditEvent) -> None:
    """A clinic's step, told to the referring officer only while the police may
    know the referral's stage: the cached `police_stage` (derived by the treatment
    loop from the clinic-to-police consent) must show the new stage."""
    referral = _referral(event)
    if referral is None or referral.sent_by_id is None:
        return
    if referral.police_stage != referral.stage:
        return
    notify(
        User.objects.filter(pk=referral.sent_by_id),
        kinds.REFERRAL_STATUS,
        target=referral.case,
        key=f"referral_status:{event.pk}",
    )


def contact_report(event: AuditEvent) -> None:
    """A report of renewed contact while a condition on the offender is active."""
    row = Event.objects.filter(pk=event.object_id).select_related("case").first()
    if row is None:
        return
    case: Case = row.case
    events = case.timeline_events()
    if not any(c.active_on(row.date) for c in derive.conditions(events)):
        return
    people = list(supervisors(case.prefecture_id))
    if case.created_by_id is not None:
        people += list(User.objects.filter(pk=case.created_by_id))
    notify(
        people,
        kinds.CONTACT_REPORT,
        target=case,
        key=f"contact_report:{row.pk}",
    )


def lockout(event: AuditEvent) -> None:
    if not event.object_id:
        return  # an unknown user name: nobody's account is locked
    notify(
        supervisors(event.prefecture_id),
        kinds.LOCKOUT,
        link=reverse("core:security"),
        key=f"lockout:{event.object_id}:{timezone.localdate().isoformat()}",
    )


def reveal_volume(event: AuditEvent) -> None:
    """Once a day per user, when their reveals of the last 24 hours pass the alert level."""
    if event.actor_id is None or event.prefecture_id is None:
        return
    since = timezone.now() - dt.timedelta(hours=24)
    count = AuditEvent.objects.filter(
        actor_id=event.actor_id, action="person.reveal", at__gte=since
    ).count()
    if count <= settings.REVEAL_ALERT_PER_USER:
        return
    notify(
        supervisors(event.prefecture_id),
        kinds.REVEAL_VOLUME,
        link=reverse("core:security"),
        key=f"reveal:{event.actor_id}:{timezone.localdate().isoformat()}",
    )


def import_done(event: AuditEvent) -> None:
    """Whoever started the import (page, API or `tsunagu import --actor`)."""
    actor = User.objects.filter(pk=event.actor_id).first() if event.actor_id else None
    if actor is not None:
        notify([actor], kinds.IMPORT_DONE, link=import_link(actor), key=f"import:{event.pk}")


HANDLERS = {
    "referral.send": referral_new,
    "event.recurrence": contact_report,
    "user.locked_out": lockout,
    "person.reveal": reveal_volume,
    "interchange.import": import_done,
}
