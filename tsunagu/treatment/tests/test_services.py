from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from tsunagu.cases.models import Case
from tsunagu.cases.services import ServiceError
from tsunagu.core.models import AuditEvent, User
from tsunagu.testing.builders import D, accepted, advised, referred, started
from tsunagu.treatment import directory, loop
from tsunagu.treatment.models import Clinic, FollowUp, Referral, clinic_of

pytestmark = pytest.mark.django_db


def test_referral_refused_without_police_to_clinic_consent(
    officer_tokyo: User, make_case: Callable[..., Case], clinic_tokyo: Clinic
) -> None:
    case = make_case(officer_tokyo)
    advised(officer_tokyo, case)
    loop.advice_respond(actor=officer_tokyo, case=case, date=D(2016, 6, 1), response="accepted")
    with pytest.raises(ServiceError, match="consent"):
        loop.referral_send(
            actor=officer_tokyo, case=case, clinic=clinic_tokyo, date=D(2016, 6, 2), summary="x"
        )
    assert not Referral.objects.exists()


def test_referral_refused_when_advice_rejected(
    officer_tokyo: User, make_case: Callable[..., Case], clinic_tokyo: Clinic
) -> None:
    case = make_case(officer_tokyo)
    accepted(officer_tokyo, case)
    loop.advice_respond(
        actor=officer_tokyo, case=case, date=D(2016, 6, 2), response="rejected", reason="cost"
    )
    with pytest.raises(ServiceError):
        loop.referral_send(
            actor=officer_tokyo, case=case, clinic=clinic_tokyo, date=D(2016, 6, 3), summary="x"
        )


def test_referral_walks_the_stages_and_caches_the_stage(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    assert referral.answer_due == D(2016, 6, 9)
    started(clinician_tokyo, referral)
    loop.referral_act(
        actor=clinician_tokyo, referral=referral, action="session", date=D(2016, 6, 17)
    )
    loop.referral_act(
        actor=clinician_tokyo, referral=referral, action="complete", date=D(2016, 8, 1)
    )
    referral.refresh_from_db()
    assert referral.stage == "completed"
    assert referral.case.state().current_episode is not None
    assert AuditEvent.objects.filter(action="referral.complete").count() == 1


def test_completed_then_halted_is_refused_with_a_clear_message(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    started(clinician_tokyo, referral)
    loop.referral_act(
        actor=clinician_tokyo, referral=referral, action="complete", date=D(2016, 8, 1)
    )
    with pytest.raises(ServiceError, match="stage") as err:
        loop.referral_act(
            actor=clinician_tokyo,
            referral=referral,
            action="halt",
            date=D(2016, 8, 2),
            reason="moved",
        )
    assert "completed" in err.value.message


def test_started_before_acknowledged_or_scheduled_is_refused(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    with pytest.raises(ServiceError, match="stage"):
        loop.referral_act(
            actor=clinician_tokyo, referral=referral, action="start", date=D(2016, 6, 3)
        )
    loop.referral_act(
        actor=clinician_tokyo, referral=referral, action="acknowledge", date=D(2016, 6, 3)
    )
    with pytest.raises(ServiceError, match="stage"):
        loop.referral_act(
            actor=clinician_tokyo, referral=referral, action="start", date=D(2016, 6, 4)
        )


def test_clinician_of_another_clinic_cannot_act(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_osaka: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    with pytest.raises(ServiceError):
        loop.referral_act(
            actor=clinician_osaka, referral=referral, action="acknowledge", date=D(2016, 6, 3)
        )


def test_action_dated_before_the_referral_is_refused(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    with pytest.raises(ServiceError) as err:
        loop.referral_act(
            actor=clinician_tokyo, referral=referral, action="acknowledge", date=D(2016, 6, 1)
        )
    assert err.value.field == "date"


def test_halt_needs_a_reason(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    started(clinician_tokyo, referral)
    with pytest.raises(ServiceError) as err:
        loop.referral_act(
            actor=clinician_tokyo, referral=referral, action="halt", date=D(2016, 7, 1)
        )
    assert err.value.field == "reason"


def test_withdrawing_consent_not_on_file_is_refused(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(officer_tokyo)
    with pytest.raises(ServiceError):
        loop.consent_record(
            actor=officer_tokyo,
            case=case,
            date=D(2016, 6, 1),
            direction="clinic_to_police",
            given=False,
        )


def test_officer_of_another_prefecture_cannot_write(
    officer_tokyo: User, officer_osaka: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(officer_tokyo)
    with pytest.raises(ServiceError):
        advised(officer_osaka, case)


def test_recurrence_with_a_warning_records_both_events(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(officer_tokyo)
    loop.recurrence_record(
        actor=officer_tokyo, case=case, date=D(2016, 9, 1), victim="same_victim", sign="warning"
    )
    types = [ev.type for ev in case.timeline_events()]
    assert "warning" in types and "recurrence" in types


def test_followup_plan_and_done_mirror_the_timeline(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(officer_tokyo)
    followup = loop.followup_plan(
        actor=officer_tokyo,
        case=case,
        source_type="consultation",
        source_date=D(2016, 5, 10),
        due_on=D(2016, 6, 9),
        history=True,
        offset_days=30,
    )
    loop.followup_done(actor=officer_tokyo, followup=followup, date=D(2016, 6, 9))
    followup.refresh_from_db()
    assert followup.done_on == D(2016, 6, 9)
    details = {(ev.type, ev.detail) for ev in case.timeline_events()}
    assert ("followup_planned", "consultation|2016-06-09") in details
    assert ("followup_done", "consultation|2016-06-09") in details
    with pytest.raises(ServiceError):
        loop.followup_done(actor=officer_tokyo, followup=followup, date=D(2016, 6, 10))
    assert FollowUp.objects.count() == 1


def test_condition_of_same_kind_cannot_overlap(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(officer_tokyo)
    loop.condition_set(
        actor=officer_tokyo,
        case=case,
        date=D(2016, 6, 1),
        kind="prohibition_order",
        expires_on=D(2017, 5, 31),
    )
    with pytest.raises(ServiceError):
        loop.condition_set(
            actor=officer_tokyo,
            case=case,
            date=D(2016, 7, 1),
            kind="prohibition_order",
            expires_on=None,
        )
    loop.condition_end(actor=officer_tokyo, case=case, date=D(2016, 8, 1), kind="prohibition_order")


def test_supervisor_creates_clinician_with_temporary_password(
    supervisor_tokyo: User, clinic_tokyo: Clinic
) -> None:
    account = directory.clinic_create_clinician(
        actor=supervisor_tokyo, clinic=clinic_tokyo, username="dr-kato", full_name="加藤 医師"
    )
    assert account.user.check_password(account.password)
    assert clinic_of(account.user) == clinic_tokyo
    assert account.user.must_change_password
    assert account.password not in str(list(AuditEvent.objects.values_list("detail", flat=True)))


def test_supervisor_cannot_attach_another_prefectures_clinician(
    supervisor_tokyo: User, clinic_tokyo: Clinic, clinician_osaka: User
) -> None:
    with pytest.raises(ServiceError):
        directory.clinic_attach(actor=supervisor_tokyo, clinic=clinic_tokyo, user=clinician_osaka)


def test_intervals_save_refuses_bad_days(supervisor_tokyo: User) -> None:
    assert supervisor_tokyo.prefecture is not None
    with pytest.raises(ServiceError) as err:
        loop.intervals_save(
            actor=supervisor_tokyo,
            prefecture=supervisor_tokyo.prefecture,
            days={"warning": "30, abc"},
        )
    assert err.value.field == "warning"
    loop.intervals_save(
        actor=supervisor_tokyo,
        prefecture=supervisor_tokyo.prefecture,
        days={"warning": "14, 60", "order": "", "treatment": "30"},
    )
    assert loop.intervals_for(supervisor_tokyo.prefecture_id) == {
        "warning": [14, 60],
        "order": [],
        "treatment": [30],
    }


def test_second_referral_replaces_the_first(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
    tokyo: object,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    started(clinician_tokyo, referral)
    loop.referral_act(
        actor=clinician_tokyo,
        referral=referral,
        action="halt",
        date=D(2016, 7, 1),
        reason="stopped_attending",
    )
    other = Clinic.objects.create(code="13-C002", prefecture=clinic_tokyo.prefecture, name="B")
    loop.referral_send(
        actor=officer_tokyo, case=referral.case, clinic=other, date=D(2016, 7, 5), summary="再紹介"
    )
    with pytest.raises(ServiceError, match="replaced"):
        loop.referral_act(
            actor=clinician_tokyo, referral=referral, action="start", date=D(2016, 7, 6)
        )
    assert dt.date(2016, 7, 5)


def test_refusal_does_not_reveal_the_stage_hidden_by_a_withdrawal(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    loop.consent_record(
        actor=officer_tokyo,
        case=referral.case,
        date=D(2016, 6, 2),
        direction="clinic_to_police",
        given=False,
    )
    started(clinician_tokyo, referral)
    with pytest.raises(ServiceError) as err:
        loop.referral_send(
            actor=officer_tokyo,
            case=referral.case,
            clinic=clinic_tokyo,
            date=D(2016, 7, 1),
            summary="再紹介",
        )
    assert "in_treatment" not in err.value.message
    assert "consent was withdrawn" in err.value.message


def test_correcting_a_clinic_event_brings_the_referral_stage_back(
    officer_tokyo, clinician_tokyo, clinic_tokyo, make_case
):
    from tsunagu.cases import services as case_services
    from tsunagu.cases.models import Event
    from tsunagu.testing.builders import referred, started

    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    started(clinician_tokyo, referral)
    referral.refresh_from_db()
    assert referral.stage == "in_treatment"
    start = Event.objects.get(case=referral.case, type="treatment_started")
    case_services.event_correct(actor=clinician_tokyo, event=start, reason="wrong patient")
    referral.refresh_from_db()
    assert referral.stage == "scheduled"
