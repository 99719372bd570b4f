"""Each kind of notice: who gets it, when, and that it rides the causing transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from tsunagu.cases.models import Case
from tsunagu.core.audit import audit
from tsunagu.core.models import User
from tsunagu.notifications import due, kinds
from tsunagu.notifications.models import Delivery, Notice, Preference
from tsunagu.testing.builders import referred
from tsunagu.treatment import loop
from tsunagu.treatment.models import Clinic, FollowUp

D = dt.date


def kinds_of(user: User) -> list[str]:
    return list(Notice.objects.filter(recipient=user).values_list("kind", flat=True))


def test_new_referral_reaches_the_clinic_staff_only(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
    clinician_osaka: User,
) -> None:
    clinician_tokyo.email = "c@example.jp"
    clinician_tokyo.save()
    Preference.objects.create(user=clinician_tokyo, kind=kinds.REFERRAL_NEW, mode=kinds.IMMEDIATE)
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    notice = Notice.objects.get(recipient=clinician_tokyo)
    assert notice.kind == kinds.REFERRAL_NEW
    assert notice.link == f"/treatment/referrals/{referral.pk}/"
    assert kinds_of(clinician_osaka) == []
    delivery = Delivery.objects.get(notice=notice)
    assert (delivery.mode, delivery.status) == (kinds.IMMEDIATE, "pending")


def test_a_rolled_back_referral_leaves_no_notice_and_no_outbox_row(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    clinician_tokyo.email = "c@example.jp"
    clinician_tokyo.save()
    Preference.objects.create(user=clinician_tokyo, kind=kinds.REFERRAL_NEW, mode=kinds.IMMEDIATE)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        referred(officer_tokyo, make_case, clinic_tokyo)
        assert Notice.objects.filter(recipient=clinician_tokyo).exists()
        raise Boom
    assert not Notice.objects.exists()
    assert not Delivery.objects.exists()


def test_no_address_means_inbox_only(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    Preference.objects.create(user=clinician_tokyo, kind=kinds.REFERRAL_NEW, mode=kinds.IMMEDIATE)
    referred(officer_tokyo, make_case, clinic_tokyo)
    assert kinds_of(clinician_tokyo) == [kinds.REFERRAL_NEW]
    assert not Delivery.objects.exists()


def test_status_change_reaches_the_officer_only_while_consent_allows(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    loop.referral_act(
        actor=clinician_tokyo, referral=referral, action="acknowledge", date=D(2016, 6, 3)
    )
    assert kinds_of(officer_tokyo) == [kinds.REFERRAL_STATUS]
    loop.consent_record(
        actor=clinician_tokyo,
        case=referral.case,
        date=D(2016, 6, 4),
        direction="clinic_to_police",
        given=False,
    )
    referral.refresh_from_db()
    loop.referral_act(
        actor=clinician_tokyo,
        referral=referral,
        action="schedule",
        date=D(2016, 6, 5),
        appointment_on=D(2016, 6, 10),
    )
    # The police may not know the appointment: no second notice.
    assert kinds_of(officer_tokyo) == [kinds.REFERRAL_STATUS]


def test_overdue_then_escalated_once_each(
    settings: Any,
    officer_tokyo: User,
    supervisor_tokyo: User,
    supervisor_osaka: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    settings.ESCALATION_DAYS = 2
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    Notice.objects.all().delete()
    due_on = referral.answer_due  # 5 working days after Thu 2 June 2016: Thu 9 June
    assert due_on == D(2016, 6, 9)
    due.run(due_on)
    assert not Notice.objects.exists()
    due.run(D(2016, 6, 10))
    assert kinds_of(clinician_tokyo) == [kinds.REFERRAL_OVERDUE]
    assert kinds_of(officer_tokyo) == [kinds.REFERRAL_OVERDUE]
    assert kinds_of(supervisor_tokyo) == []
    # Two further working days: Fri 10, Mon 13 June; escalated from Tue 14.
    due.run(D(2016, 6, 13))
    assert kinds_of(supervisor_tokyo) == []
    due.run(D(2016, 6, 14))
    due.run(D(2016, 6, 15))
    assert kinds_of(supervisor_tokyo) == [kinds.REFERRAL_ESCALATED]
    assert kinds_of(supervisor_osaka) == []
    assert Notice.objects.filter(kind=kinds.REFERRAL_OVERDUE).count() == 2


def test_acknowledged_referral_is_never_overdue(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    loop.referral_act(
        actor=clinician_tokyo, referral=referral, action="acknowledge", date=D(2016, 6, 3)
    )
    due.run(D(2016, 7, 1))
    assert not Notice.objects.filter(kind=kinds.REFERRAL_OVERDUE).exists()


def test_followup_due_tomorrow_and_overdue(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(officer_tokyo)
    FollowUp.objects.create(
        case=case,
        source_type="warning",
        source_date=D(2016, 6, 1),
        due_on=D(2016, 7, 1),
        planned_by=officer_tokyo,
    )
    due.run(D(2016, 6, 29))
    assert kinds_of(officer_tokyo) == []
    due.run(D(2016, 6, 30))
    due.run(D(2016, 6, 30))
    assert kinds_of(officer_tokyo) == [kinds.FOLLOWUP_DUE]
    due.run(D(2016, 7, 2))
    assert kinds_of(officer_tokyo) == [kinds.FOLLOWUP_DUE] * 2


def test_risk_review_and_plan_action_are_followups_of_the_assessor(
    officer_tokyo: User, officer_osaka: User, make_case: Callable[..., Case]
) -> None:
    from django.utils import timezone

    from tsunagu.risk import services as risk_services
    from tsunagu.risk.tests import helpers

    today = timezone.localdate()
    day = dt.timedelta(days=1)
    case = make_case(officer_tokyo)
    assessment = helpers.assess(
        officer_tokyo,
        case,
        helpers.load(),
        review_on=today + 10 * day,
        actions=[risk_services.ActionData("call", "Sato", today + 12 * day)],
    )
    due.run(today + 8 * day)
    assert kinds_of(officer_tokyo) == []
    due.run(today + 9 * day)  # the review is due tomorrow
    due.run(today + 9 * day)
    assert kinds_of(officer_tokyo) == [kinds.FOLLOWUP_DUE]
    due.run(today + 11 * day)  # the review overdue, the action due tomorrow
    assert kinds_of(officer_tokyo) == [kinds.FOLLOWUP_DUE] * 3
    risk_services.action_done(actor=officer_tokyo, action=assessment.actions.get())
    risk_services.review_change(
        actor=officer_tokyo, assessment=assessment, review_on=today + 40 * day
    )
    due.run(today + 20 * day)  # the action done, the review moved: nothing more
    assert kinds_of(officer_tokyo) == [kinds.FOLLOWUP_DUE] * 3
    due.run(today + 39 * day)  # the moved review is a follow-up of its own
    assert kinds_of(officer_tokyo) == [kinds.FOLLOWUP_DUE] * 4
    assert kinds_of(officer_osaka) == []
    notice = Notice.objects.filter(recipient=officer_tokyo).first()
    assert notice is not None and notice.link == f"/cases/{case.pk}/"


def test_contact_report_only_under_an_active_condition(
    officer_tokyo: User, supervisor_tokyo: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(officer_tokyo)
    loop.recurrence_record(
        actor=officer_tokyo,
        case=case,
        date=D(2016, 5, 20),
        victim="same_victim",
        sign="contact_report",
    )
    assert kinds_of(supervisor_tokyo) == []
    loop.condition_set(
        actor=officer_tokyo, case=case, date=D(2016, 6, 1), kind="no_contact", expires_on=None
    )
    loop.recurrence_record(
        actor=officer_tokyo,
        case=case,
        date=D(2016, 6, 20),
        victim="same_victim",
        sign="contact_report",
    )
    assert kinds_of(supervisor_tokyo) == [kinds.CONTACT_REPORT]
    assert kinds_of(officer_tokyo) == [kinds.CONTACT_REPORT]


def test_lockout_and_import_and_reveal_volume(
    settings: Any, officer_tokyo: User, supervisor_tokyo: User, supervisor_osaka: User
) -> None:
    audit(
        actor=officer_tokyo,
        action="user.locked_out",
        obj=officer_tokyo,
        prefecture=officer_tokyo.prefecture,
        known=True,
    )
    audit(
        actor=officer_tokyo,
        action="user.locked_out",
        obj=officer_tokyo,
        prefecture=officer_tokyo.prefecture,
        known=True,
    )
    assert kinds_of(supervisor_tokyo) == [kinds.LOCKOUT]
    audit(actor=supervisor_tokyo, action="interchange.import", files=[])
    assert kinds_of(supervisor_tokyo).count(kinds.IMPORT_DONE) == 1
    settings.REVEAL_ALERT_PER_USER = 2
    for _ in range(4):
        audit(actor=officer_tokyo, action="person.reveal", prefecture=officer_tokyo.prefecture)
    assert kinds_of(supervisor_tokyo).count(kinds.REVEAL_VOLUME) == 1
    assert kinds_of(supervisor_osaka) == []


def test_account_change_waits_for_the_prefecture_supervisor(
    officer_tokyo: User, supervisor_tokyo: User, supervisor_osaka: User, admin_user: User
) -> None:
    from tsunagu.core.models import PendingAccountChange

    PendingAccountChange.objects.create(
        kind=PendingAccountChange.Kind.UPDATE,
        user=officer_tokyo,
        requested_by=admin_user,
        prefecture=officer_tokyo.prefecture,
    )
    assert kinds_of(supervisor_tokyo) == [kinds.ACCOUNT_APPROVAL]
    assert kinds_of(supervisor_osaka) == []


def test_notify_rejects_an_unknown_kind(officer_tokyo: User) -> None:
    from tsunagu.notifications.outbox import notify

    with pytest.raises(ValueError):
        notify([officer_tokyo], "gossip", key="x")
