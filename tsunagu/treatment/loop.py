"""Writes of the treatment loop: each a function under one transaction, audited in it.

Advice, consent, referral and its steps, recurrence, conditions and follow-ups.
The clinic directory (clinics and their staff) is `treatment.directory`.

Every step is a timeline event recorded through `cases.services.event_record`,
which checks it against the state derived at its date. The case row is locked
first, so the loop's own checks (this referral is the current one, consent is
on file) and the event that follows cannot race with another user's write.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from tsunagu.cases import stages, timeline
from tsunagu.cases.models import Case, Event
from tsunagu.cases.services import ServiceError, event_record
from tsunagu.core.audit import audit
from tsunagu.core.models import Region, User
from tsunagu.treatment import derive, workdays
from tsunagu.treatment.models import (
    Advice,
    Clinic,
    FollowUp,
    FollowUpPolicy,
    Referral,
    clinic_id_of,
)

__all__ = ["ServiceError"]

# Refusals are English msgids (marked for the catalog, not translated here), like the
# timeline's: pages translate them when they show them (cases.refusals).

ADVICE_METHODS = ("in_person", "phone", "leaflet")
# Also the API's answer for an unknown user name (the same answer: no enumeration).
NOT_AN_OFFICER_HERE = _("Choose an officer of this prefecture.")
CONSENT_METHODS = ("written", "verbal")
RECURRENCE_SIGNS = ("contact_report", "warning", "prohibition_order", "arrest")
# The clinician's steps on a referral and the event each records (the state
# machine, `stages.TRANSITIONS`, says when each is allowed).
CLINIC_ACTIONS: dict[str, str] = {
    "acknowledge": "referral_acknowledged",
    "schedule": "appointment_scheduled",
    "not_needed": "assessed_not_needed",
    "start": "treatment_started",
    "session": "session_attended",
    "complete": "treatment_completed",
    "halt": "treatment_halted",
}
HALT_REASONS = ("stopped_attending", "refused_to_continue", "moved", "detained", "other")


def _police_of(actor: User, case: Case) -> None:
    if not actor.is_police or actor.prefecture_id != case.prefecture_id:
        raise ServiceError(_("You may not act on this case."))


def _lock(case: Case) -> list[timeline.Ev]:
    """Lock the case row for the rest of the transaction; its events as they stand."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    return locked.timeline_events()


def _not_future(day: dt.date, field: str = "date") -> None:
    if day > timezone.localdate():
        raise ServiceError(_("The date cannot be in the future."), field)


def _not_before_advice(events: list[timeline.Ev], day: dt.date) -> None:
    """Consent is asked with the advice: never dated before the case's first advice."""
    advised = [ev.date for ev in timeline.effective(events) if ev.type == "treatment_advised"]
    if not advised or day < min(advised):
        raise ServiceError(_("The date is before the treatment advice."), "date")


# --- advice ---------------------------------------------------------------------


def advice_record(
    *, actor: User, case: Case, date: dt.date, method: str, advised_by: User | None = None
) -> Event:
    """Record that the offender was advised to see a medical expert (how, by whom)."""
    _police_of(actor, case)
    if method not in ADVICE_METHODS:
        raise ServiceError(_("Choose how the offender was advised."), "method")
    advised_by = advised_by or actor
    if not advised_by.is_police or advised_by.prefecture_id != case.prefecture_id:
        raise ServiceError(NOT_AN_OFFICER_HERE, "advised_by")
    with transaction.atomic():
        _lock(case)
        event = event_record(
            actor=actor, case=case, date=date, type="treatment_advised", detail=method
        )
        Advice.objects.update_or_create(
            case=case, advised_on=date, defaults={"advised_by": advised_by}
        )
    return event


RESPONSE_TYPES = {
    "accepted": "advice_accepted",
    "rejected": "advice_rejected",
    "undecided": "advice_undecided",
}


def advice_respond(
    *, actor: User, case: Case, date: dt.date, response: str, reason: str = ""
) -> Event:
    """Record the offender's answer to the advice; a changed answer is a new event."""
    _police_of(actor, case)
    if response not in RESPONSE_TYPES:
        raise ServiceError(_("Choose the response."), "response")
    if response == "rejected" and reason not in timeline.REJECTION_REASONS:
        raise ServiceError(_("Choose the reason for the rejection."), "reason")
    detail = reason if response == "rejected" else ""
    try:
        return event_record(
            actor=actor, case=case, date=date, type=RESPONSE_TYPES[response], detail=detail
        )
    except ServiceError as err:
        if err.field == "detail":
            raise ServiceError(err.msgid, "reason", err.code, err.params) from err
        raise


# --- consent --------------------------------------------------------------------


def consent_record(
    *,
    actor: User,
    case: Case,
    date: dt.date,
    direction: str,
    given: bool,
    method: str = "",
) -> Event:
    """Record consent given or withdrawn, in one direction.

    Officers record both directions; a clinician only clinic-to-police, and only on
    a case with a referral to their clinic.
    """
    if direction not in (derive.POLICE_TO_CLINIC, derive.CLINIC_TO_POLICE):
        raise ServiceError(_("Choose the direction of the consent."), "direction")
    if actor.is_clinician:
        sent = Referral.objects.filter(case=case, clinic__staff__user_id=actor.pk)
        if direction != derive.CLINIC_TO_POLICE or not sent.exists():
            raise ServiceError(_("You may not record this consent."), "direction")
        if not sent.filter(sent_on__lte=date).exists():
            raise ServiceError(_("The date is before the referral was sent."), "date")
    else:
        _police_of(actor, case)
    if given and method not in CONSENT_METHODS:
        raise ServiceError(_("Say how the consent was given."), "method")
    event_type = f"consent_{direction}" + ("" if given else "_withdrawn")
    with transaction.atomic():
        events = _lock(case)
        _not_before_advice(events, date)
        holds = timeline.consent(events, direction, date)
        if given and holds:
            raise ServiceError(_("This consent is already on file on that date."), "direction")
        if not given and not holds:
            raise ServiceError(_("There is no such consent on file to withdraw."), "direction")
        return event_record(
            actor=actor, case=case, date=date, type=event_type, detail=method if given else ""
        )


# --- referral -------------------------------------------------------------------


def referral_send(
    *, actor: User, case: Case, clinic: Clinic, date: dt.date, summary: str
) -> Referral:
    """Send the current accepted advice episode's offender to a clinic."""
    _police_of(actor, case)
    summary = summary.strip()
    if not summary:
        raise ServiceError(_("Write a summary for the clinic."), "summary")
    if clinic.prefecture_id != case.prefecture_id:
        raise ServiceError(_("Choose a clinic of this prefecture."), "clinic")
    if not clinic.accepting:
        raise ServiceError(_("This clinic is not accepting referrals."), "clinic")
    with transaction.atomic():
        events = _lock(case)
        state = timeline.case_state(events, date)
        episode = state.current_episode
        if episode is None:
            raise ServiceError(_("There is no treatment advice on or before that date."), "date")
        try:
            event_record(
                actor=actor, case=case, date=date, type="referral_sent", detail=clinic.code
            )
        except ServiceError as err:
            # The stage named in a refusal would tell the police what the withdrawn
            # clinic-to-police consent hides.
            hidden = timeline.consent_withdrawn_on(events, derive.CLINIC_TO_POLICE)
            if hidden is not None and err.code == stages.STAGE_REFUSED:
                raise ServiceError(
                    _(
                        "The clinic has not closed the current referral; its status is not "
                        "shared since the consent was withdrawn."
                    ),
                    "clinic",
                ) from err
            raise
        try:
            with transaction.atomic():
                referral = Referral.objects.create(
                    case=case,
                    clinic=clinic,
                    advised_on=episode.advised_on,
                    sent_on=date,
                    answer_due=workdays.answer_due(date),
                    summary=summary,
                    sent_by=actor,
                )
        except IntegrityError as exc:
            raise ServiceError(_("This referral was already sent."), "clinic") from exc
        referrals_refresh(case)
        referral.refresh_from_db(fields=["stage", "police_stage", "is_current"])
        audit(
            actor=actor,
            action="referral.send",
            obj=referral,
            prefecture=case.prefecture,
            case=case.pk,
            clinic=clinic.code,
        )
    return referral


def referral_refresh(referral: Referral, events: list[timeline.Ev] | None = None) -> None:
    """Store what the timeline derives for the referral (`derive.referral_stages`):
    its stage, its stage as the police see it, whether it is the current one.
    The one writer of that cache.

    Runs on `cases.signals.timeline_changed` (every recorded event and correction)
    and after an import that added events to the referral's case.
    """
    if events is None:
        events = referral.case.timeline_events()
    cached = derive.referral_stages(
        events, referral.advised_on, referral.sent_on, referral.clinic.code
    )
    if (referral.stage, referral.police_stage, referral.is_current) != cached:
        Referral.objects.filter(pk=referral.pk).update(
            stage=cached[0], police_stage=cached[1], is_current=cached[2]
        )
        referral.stage, referral.police_stage, referral.is_current = cached


def referrals_refresh(case: Case, **_kwargs: object) -> None:
    """Refresh the cache of every referral of the case (one read of its events)."""
    referrals = list(Referral.objects.filter(case=case).select_related("clinic"))
    if referrals:
        events = case.timeline_events()
        for referral in referrals:
            referral_refresh(referral, events)


def referral_act(
    *,
    actor: User,
    referral: Referral,
    action: str,
    date: dt.date,
    appointment_on: dt.date | None = None,
    reason: str = "",
) -> Event:
    """A clinician's step on their clinic's referral (acknowledge … complete, halt)."""
    if action not in CLINIC_ACTIONS:
        raise ServiceError(_("Unknown action."), "action")
    if not actor.is_clinician or clinic_id_of(actor) != referral.clinic_id:
        raise ServiceError(_("Only the clinic's staff can record this."), "action")
    _not_future(date)
    if date < referral.sent_on:
        raise ServiceError(_("The date is before the referral was sent."), "date")
    detail = ""
    if action == "schedule":
        if appointment_on is None:
            raise ServiceError(_("Give the appointment date."), "appointment_on")
        if appointment_on < date:
            raise ServiceError(
                _("The appointment cannot be before the day it is set."), "appointment_on"
            )
        detail = derive.appointment_detail(referral.clinic.code, appointment_on)
    if action == "halt":
        if reason not in HALT_REASONS:
            raise ServiceError(_("Choose the reason treatment was halted."), "reason")
        detail = reason
    case = referral.case
    with transaction.atomic():
        events = _lock(case)
        view = derive.referral_view(
            events, referral.advised_on, referral.sent_on, referral.clinic.code
        )
        if not view.is_current:
            raise ServiceError(_("This referral has been replaced by a later one."), "action")
        current = timeline.case_state(events, date).current_episode
        if current is None or current.advised_on != referral.advised_on:
            raise ServiceError(_("The date is outside this referral's advice episode."), "date")
        event = event_record(
            actor=actor, case=case, date=date, type=CLINIC_ACTIONS[action], detail=detail
        )
        referral.refresh_from_db(fields=["stage", "police_stage", "is_current"])
        audit(
            actor=actor,
            action=f"referral.{action}",
            obj=referral,
            prefecture=case.prefecture,
            case=case.pk,
            date=date.isoformat(),
        )
    return event


def referral_contact_answered(*, actor: User, referral: Referral, date: dt.date) -> None:
    """The clinic says it has contacted the police about their latest request."""
    if not actor.is_clinician or clinic_id_of(actor) != referral.clinic_id:
        raise ServiceError(_("Only the clinic's staff can record this."), "action")
    _not_future(date)
    if date < referral.sent_on:
        raise ServiceError(_("The date is before the referral was sent."), "date")
    with transaction.atomic():
        view = derive.referral_view(
            _lock(referral.case), referral.advised_on, referral.sent_on, referral.clinic.code
        )
        requested = view.contact_requested_on
        if requested is not None and date < requested:
            raise ServiceError(_("The date is before the police asked for contact."), "date")
        Referral.objects.filter(pk=referral.pk).update(contact_answered_on=date)
        referral.contact_answered_on = date
        audit(
            actor=actor,
            action="referral.contact_answered",
            obj=referral,
            prefecture=referral.case.prefecture,
            date=date.isoformat(),
        )


def contact_request(*, actor: User, case: Case, date: dt.date) -> Event:
    """Ask the clinic of the open referral to contact the police (no details given).

    The request tells the clinic something about the police file, so it needs the
    police-to-clinic consent on its date (the clinic's flag ignores it otherwise).
    """
    _police_of(actor, case)
    with transaction.atomic():
        events = _lock(case)
        if not Referral.objects.filter(case=case, sent_on__lte=date).exists():
            raise ServiceError(_("There is no referral sent on or before that date."), "date")
        if not timeline.consent(events, derive.POLICE_TO_CLINIC, date):
            withdrawal = f"consent_{derive.POLICE_TO_CLINIC}_withdrawn"
            if any(ev.type == withdrawal for ev in timeline.effective(events, date)):
                raise ServiceError(
                    _(
                        "The police-to-clinic consent is withdrawn on that date: "
                        "the clinic cannot be asked to contact the police."
                    ),
                    "date",
                )
            raise ServiceError(_("There is no police-to-clinic consent on file."), "date")
        return event_record(actor=actor, case=case, date=date, type="police_contact_requested")


# --- recurrence and conditions ------------------------------------------------------


def recurrence_record(
    *,
    actor: User,
    case: Case,
    date: dt.date,
    victim: str,
    sign: str,
    arrest_kind: str = "",
) -> Event:
    """Record that stalking resumed; a warning, order or arrest is recorded with it."""
    _police_of(actor, case)
    if victim not in timeline.RECURRENCE_KINDS:
        raise ServiceError(
            _("Say whether the recurrence is against the same victim or a new one."), "victim"
        )
    if sign not in RECURRENCE_SIGNS:
        raise ServiceError(_("Choose the sign of the recurrence."), "sign")
    if sign == "arrest" and arrest_kind not in timeline.ARREST_KINDS:
        raise ServiceError(_("Choose the kind of arrest."), "arrest_kind")
    with transaction.atomic():
        _lock(case)
        if sign != "contact_report":
            event_record(
                actor=actor,
                case=case,
                date=date,
                type=sign,
                detail=arrest_kind if sign == "arrest" else "",
            )
        return event_record(actor=actor, case=case, date=date, type="recurrence", detail=victim)


def condition_set(
    *, actor: User, case: Case, date: dt.date, kind: str, expires_on: dt.date | None
) -> Event:
    """Record a condition on the offender (no-contact, prohibition order…) and its expiry."""
    _police_of(actor, case)
    if kind not in derive.CONDITION_KINDS:
        raise ServiceError(_("Choose the kind of condition."), "kind")
    if expires_on is not None and expires_on < date:
        raise ServiceError(_("The expiry is before the start."), "expires_on")
    with transaction.atomic():
        events = _lock(case)
        if any(c.kind == kind and c.active_on(date) for c in derive.conditions(events)):
            raise ServiceError(
                _("A condition of this kind is already active on that date."), "kind"
            )
        return event_record(
            actor=actor,
            case=case,
            date=date,
            type="condition_set",
            detail=derive.condition_detail(kind, expires_on),
        )


def condition_end(*, actor: User, case: Case, date: dt.date, kind: str) -> Event:
    """End an active condition before its expiry."""
    _police_of(actor, case)
    with transaction.atomic():
        events = _lock(case)
        kinds = [c for c in derive.conditions(events) if c.kind == kind]
        if not any(c.active_on(date) for c in kinds):
            if any(c.ended_on is None and date < c.starts_on for c in kinds):
                raise ServiceError(_("The date is before the condition started."), "date")
            raise ServiceError(_("No condition of this kind is active on that date."), "kind")
        return event_record(
            actor=actor,
            case=case,
            date=date,
            type="condition_ended",
            detail=derive.condition_detail(kind, None),
        )


# --- follow-ups -------------------------------------------------------------------


def intervals_for(prefecture_id: int | None) -> dict[str, list[int]]:
    """The prefecture's follow-up intervals in days, by trigger (defaults if unset)."""
    raw = dict(FollowUpPolicy.DEFAULTS)
    if prefecture_id:
        for policy in FollowUpPolicy.objects.filter(prefecture_id=prefecture_id):
            raw[policy.trigger] = policy.days
    result: dict[str, list[int]] = {}
    for trigger, text in raw.items():
        try:
            result[trigger] = derive.parse_days(text)
        except ValueError:
            result[trigger] = []
    return result


def intervals_save(*, actor: User, prefecture: Region, days: dict[str, str]) -> None:
    """A supervisor sets the prefecture's follow-up intervals."""
    if not actor.is_supervisor or actor.prefecture_id != prefecture.pk:
        raise ServiceError(_("Only the prefecture's supervisor can change the intervals."))
    cleaned: dict[str, str] = {}
    for trigger in FollowUpPolicy.Trigger.values:
        try:
            values = derive.parse_days(days.get(trigger, ""))
        except ValueError as exc:
            raise ServiceError(
                _("Write whole days between 1 and 730, separated by commas."), trigger
            ) from exc
        cleaned[trigger] = ",".join(str(v) for v in values)
    with transaction.atomic():
        for trigger, text in cleaned.items():
            FollowUpPolicy.objects.update_or_create(
                prefecture=prefecture, trigger=trigger, defaults={"days": text}
            )
        audit(actor=actor, action="followup.intervals", prefecture=prefecture, days=cleaned)


def followup_plan(
    *,
    actor: User,
    case: Case,
    source_type: str,
    source_date: dt.date,
    due_on: dt.date,
    offset_days: int | None = None,
    history: bool = False,
) -> FollowUp:
    """Plan a follow-up check (a proposal confirmed, its due date possibly moved).

    A check is planned for today or later: a past due date would be overdue the
    moment it is planned. `history=True` (demo data, tests of past records) skips that.
    """
    _police_of(actor, case)
    if due_on < source_date:
        raise ServiceError(_("The check cannot be due before the event it follows."), "due_on")
    today = timezone.localdate()
    if due_on < today and not history:
        raise ServiceError(
            _("The due date cannot be in the past; choose today or later."), "due_on"
        )
    with transaction.atomic():
        events = _lock(case)
        if not any(
            ev.type == source_type and ev.date == source_date for ev in timeline.effective(events)
        ):
            raise ServiceError(_("There is no such event on the timeline."), "source_type")
        event_record(
            actor=actor,
            case=case,
            date=today,
            type="followup_planned",
            detail=derive.followup_detail(source_type, due_on),
        )
        try:
            with transaction.atomic():
                followup = FollowUp.objects.create(
                    case=case,
                    source_type=source_type,
                    source_date=source_date,
                    offset_days=offset_days,
                    due_on=due_on,
                    planned_by=actor,
                )
        except IntegrityError as exc:
            raise ServiceError(_("This follow-up is already planned."), "due_on") from exc
        audit(
            actor=actor,
            action="followup.plan",
            obj=followup,
            prefecture=case.prefecture,
            case=case.pk,
            due_on=due_on.isoformat(),
        )
    return followup


def followup_done(*, actor: User, followup: FollowUp, date: dt.date, outcome: str = "") -> Event:
    """Record the check; it closes the follow-up."""
    case = followup.case
    _police_of(actor, case)
    if date < followup.source_date:
        raise ServiceError(_("The date is before the event the check follows."), "date")
    outcome = outcome.strip()[:200]
    with transaction.atomic():
        _lock(case)
        if FollowUp.objects.filter(pk=followup.pk, done_on__isnull=False).exists():
            raise ServiceError(_("This follow-up is already done."), "date")
        event = event_record(
            actor=actor, case=case, date=date, type="followup_done", detail=followup.detail
        )
        FollowUp.objects.filter(pk=followup.pk).update(done_on=date, done_by=actor, outcome=outcome)
        followup.done_on, followup.done_by, followup.outcome = date, actor, outcome
        audit(
            actor=actor,
            action="followup.done",
            obj=followup,
            prefecture=case.prefecture,
            case=case.pk,
            date=date.isoformat(),
        )
    return event
