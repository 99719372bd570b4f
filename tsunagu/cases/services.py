"""Writes to cases: each a function under one transaction, audited in it.

A new event is checked against the state derived from the timeline at its date
while the case row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite takes
its write lock when the transaction begins), so two people acting at once
cannot both win.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tsunagu.cases import signals, timeline
from tsunagu.cases.models import RELATIONSHIPS, SEXES, Case, Event, Person
from tsunagu.core.audit import audit
from tsunagu.core.models import AuditEvent, Code, Region, User

# What a police user records directly on a case (the treatment loop has its own screens).
STATUS_EVENTS = ("case_closed", "case_reopened")
POLICE_RECORDABLE = timeline.MEASURES + STATUS_EVENTS


class ServiceError(timeline.Refusal):
    """A write refused by a service (`timeline.Refusal` with no field by default)."""

    def __init__(
        self,
        message: str,
        field: str | None = None,
        code: str = "refused",
        params: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, field, code, params)


@dataclass
class PersonData:
    """Plain input for a person of a case (what a form or an import row holds)."""

    role: str
    name: str = ""
    sex: str = "unknown"
    age: int | None = None
    address: str = ""
    phone: str = ""
    workplace: str = ""


def _refresh_summary(case: Case) -> None:
    """Store the list columns derived from the timeline (a cache of case_state)."""
    state = case.state()
    Case.objects.filter(pk=case.pk).update(
        is_open=state.is_open,
        latest_measure=state.latest_measure,
        latest_measure_on=state.latest_measure_on,
    )
    case.is_open = state.is_open
    case.latest_measure = state.latest_measure
    case.latest_measure_on = state.latest_measure_on


def _check_text(text: str, field: str) -> None:
    # PostgreSQL text cannot hold NUL; refuse it here rather than fail in the database.
    if "\x00" in text:
        raise ServiceError("Text cannot contain NUL characters.", field)


def _check_person(data: PersonData) -> None:
    if data.role not in Person.Role.values:
        raise ServiceError("Unknown role.", "role")
    if data.sex not in SEXES:
        raise ServiceError("Unknown sex.", "sex")
    if data.age is not None and not 0 <= data.age <= 120:
        raise ServiceError("Age must be between 0 and 120.", "age")


def case_open(
    *,
    actor: User,
    prefecture: Region,
    ref: str,
    opened_on: dt.date,
    station: Region | None = None,
    relationship: str = "unknown",
    people: list[PersonData] | None = None,
    detail: str = "",
) -> Case:
    """Open a case on its first consultation, with its offender and victims."""
    if actor.prefecture_id != prefecture.pk:
        raise ServiceError("You can open cases only in your own prefecture.", "prefecture")
    if station is not None and station.parent_id != prefecture.pk:
        raise ServiceError("The station is not in this prefecture.", "station")
    if relationship not in RELATIONSHIPS:
        raise ServiceError("Unknown relationship.", "relationship")
    if opened_on > timezone.localdate():
        raise ServiceError("The date cannot be in the future.", "opened_on")
    ref = ref.strip()
    if not ref:
        raise ServiceError("A case reference is required.", "ref")
    _check_text(ref, "ref")
    _check_text(detail, "detail")
    for person in people or []:
        _check_person(person)
    with transaction.atomic():
        if Case.objects.filter(prefecture=prefecture, ref=ref).exists():
            raise ServiceError("This case reference is already used in the prefecture.", "ref")
        case = Case.objects.create(
            prefecture=prefecture,
            station=station,
            ref=ref,
            opened_on=opened_on,
            relationship=relationship,
            created_by=actor,
        )
        for person in people or []:
            Person.objects.create(case=case, **person.__dict__)
        Event.objects.create(
            case=case,
            date=opened_on,
            type="consultation",
            detail=detail,
            rank=timeline.TYPE_RANK["consultation"],
            recorded_by=actor,
        )
        _refresh_summary(case)
        audit(actor=actor, action="case.open", obj=case, prefecture=prefecture, ref=ref)
    return case


def person_add(*, actor: User, case: Case, data: PersonData) -> Person:
    _check_person(data)
    with transaction.atomic():
        person = Person.objects.create(case=case, **data.__dict__)
        audit(
            actor=actor,
            action="person.add",
            obj=person,
            prefecture=case.prefecture,
            case=case.pk,
            role=data.role,
        )
    return person


def event_record(
    *, actor: User | None, case: Case, date: dt.date, type: str, detail: str = ""
) -> Event:
    """Add a dated event to a case's timeline if the derived state allows it."""
    detail = (detail or "").strip()
    _check_text(detail, "detail")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        events = locked.timeline_events()
        try:
            timeline.check_new_event(events, timeline.Ev(date, type, detail), timezone.localdate())
        except timeline.Refusal as refusal:
            raise ServiceError(
                refusal.msgid, refusal.field, refusal.code, refusal.params
            ) from refusal
        try:
            with transaction.atomic():
                event = Event.objects.create(
                    case=locked,
                    date=date,
                    type=type,
                    detail=detail,
                    rank=timeline.TYPE_RANK[type],
                    recorded_by=actor,
                )
        except IntegrityError as exc:
            raise ServiceError("This event is already on the timeline.", "type") from exc
        _refresh_summary(locked)
        signals.timeline_changed.send(sender=Case, case=locked)
        audit(
            actor=actor,
            action=f"event.{type}",
            obj=event,
            prefecture=locked.prefecture,
            case=locked.pk,
            date=date.isoformat(),
        )
    case.is_open, case.latest_measure = locked.is_open, locked.latest_measure
    case.latest_measure_on = locked.latest_measure_on
    return event


def measure_valid_on(type: str, date: dt.date) -> bool:
    """Whether a measure existed on a date, per the versioned `measure` code table
    (emergency prohibition orders exist only since June 2017)."""
    return Code.objects.valid_on("measure", date).filter(code=type).exists()


def police_event_record(
    *, actor: User, case: Case, date: dt.date, type: str, detail: str = ""
) -> Event:
    """Record a measure, or close or reopen a case, as a police user does by hand.

    A measure must be in force on its date (code table `measure`); everything else
    is checked by `event_record` against the derived state.
    """
    if type not in POLICE_RECORDABLE:
        raise ServiceError("This event cannot be recorded here.", "type")
    if type in timeline.MEASURES and not measure_valid_on(type, date):
        raise ServiceError("This measure did not exist on that date.", "type")
    return event_record(actor=actor, case=case, date=date, type=type, detail=detail)


def event_correct(*, actor: User, event: Event, reason: str) -> Event:
    """Void a mistaken event by recording a correction; the original stays visible."""
    reason = reason.strip()
    if not reason:
        raise ServiceError("Give the reason for the correction.", "reason")
    if event.type == "correction":
        raise ServiceError("A correction cannot itself be corrected.", "type")
    current = timeline.effective(event.case.timeline_events())
    if event.as_ev() not in current:
        raise ServiceError("This event has already been corrected.", "reason")
    detail = timeline.correction_detail(event.as_ev(), reason)
    return event_record(
        actor=actor, case=event.case, date=timezone.localdate(), type="correction", detail=detail
    )


# How long the page that shows a reveal's result may be shown again (a reload)
# without a new reveal. Past it the fields are masked and a new reveal is needed.
REVEAL_SHOWN_SECONDS = 300


def protected_reveal(
    *,
    actor: User,
    case: Case,
    obj: Any,
    fields: Any,
    reason: str,
) -> AuditEvent:
    """Audit the reveal of victim data held on `obj` (a person, or another app's row
    of victim answers): police of the case's prefecture, with a reason. One audit
    action, `person.reveal`, so the step-up's daily limit and the reveal alerts
    count every kind of reveal. The audit event is returned."""
    reason = reason.strip()
    if len(reason) < 5:
        raise ServiceError("Give the reason for revealing (at least 5 characters).", "reason")
    if not actor.is_police or actor.prefecture_id != case.prefecture_id:
        raise ServiceError("You may not reveal this person's details.")
    with transaction.atomic():
        return audit(
            actor=actor,
            action="person.reveal",
            obj=obj,
            prefecture=case.prefecture,
            reason=reason,
            case=case.pk,
            fields=list(fields),
        )


@dataclass(frozen=True)
class Revealed:
    """A reveal's result: the protected fields and the audit event that recorded it."""

    fields: dict[str, Any]
    audit_id: int


def victim_reveal(*, actor: User, person: Person, reason: str) -> dict[str, Any]:
    """The protected fields of a person, written to the audit log with the reason."""
    return victim_reveal_recorded(actor=actor, person=person, reason=reason).fields


def victim_reveal_recorded(*, actor: User, person: Person, reason: str) -> Revealed:
    """`victim_reveal`, with the id of its audit event (the page shows the result
    again on a reload from that id, `victim_revealed`, without a second event)."""
    event = protected_reveal(
        actor=actor,
        case=person.case,
        obj=person,
        fields=Person.PROTECTED_FIELDS,
        reason=reason,
    )
    return Revealed({name: getattr(person, name) for name in Person.PROTECTED_FIELDS}, event.pk)


def victim_revealed(*, actor: User, person: Person, audit_id: int) -> dict[str, Any] | None:
    """The fields of a reveal this actor made of this person less than
    `REVEAL_SHOWN_SECONDS` ago (audit event `audit_id`), else None. Writes nothing:
    the reveal was audited when it was made."""
    if not reveal_still_shown(actor=actor, case=person.case, obj=person, audit_id=audit_id):
        return None
    return {name: getattr(person, name) for name in Person.PROTECTED_FIELDS}


def reveal_still_shown(*, actor: User, case: Case, obj: Any, audit_id: int) -> bool:
    """Whether audit event `audit_id` is this actor's reveal of `obj` (a person, or
    another app's row of victim data, as `protected_reveal` recorded it) made less
    than `REVEAL_SHOWN_SECONDS` ago, and the actor still may reveal the case's
    data. A page shows the result again on a reload only then (post/redirect/get)."""
    if not actor.is_police or actor.prefecture_id != case.prefecture_id:
        return False
    since = timezone.now() - dt.timedelta(seconds=REVEAL_SHOWN_SECONDS)
    return AuditEvent.objects.filter(
        pk=audit_id,
        actor=actor,
        action="person.reveal",
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        at__gte=since,
    ).exists()
