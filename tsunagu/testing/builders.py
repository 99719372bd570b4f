"""Builders shared by every app's tests: marker strings, treatment steps, bare timelines.

Marker strings go into victim and offender fields so that tests can search any
response or file for them. Treatment builders go through the services, as the
screens do; `bare_case`/`add_events` write Event rows directly, because the
reports must classify whatever history an import brings, including sequences
the case screens would refuse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.utils import timezone

from tsunagu.cases import timeline
from tsunagu.cases.models import Case, Event
from tsunagu.core.models import Region, User
from tsunagu.treatment import loop
from tsunagu.treatment.models import Clinic, Referral

PASSWORD = "correct-horse-battery-staple"  # noqa: S105 (test users only)

VICTIM_NAME = "VICTIM-NAME-MARKER"
VICTIM_ADDRESS = "VICTIM-ADDRESS-MARKER"
VICTIM_PHONE = "VICTIM-PHONE-MARKER"
VICTIM_WORKPLACE = "VICTIM-WORKPLACE-MARKER"
VICTIM_MARKERS = (VICTIM_NAME, VICTIM_ADDRESS, VICTIM_PHONE, VICTIM_WORKPLACE)
OFFENDER_NAME = "OFFENDER-NAME-MARKER"

D = dt.date
APRIL_2016 = D(2016, 4, 1)
JUNE_1 = D(2016, 6, 1)
JUNE_2 = D(2016, 6, 2)


# --- the treatment loop, through the services ---------------------------------------


def advised(officer: User, case: Case, on: dt.date = JUNE_1) -> None:
    loop.advice_record(actor=officer, case=case, date=on, method="in_person")


def accepted(officer: User, case: Case, on: dt.date = JUNE_1) -> None:
    advised(officer, case, on)
    loop.advice_respond(actor=officer, case=case, date=on, response="accepted")
    for direction in ("police_to_clinic", "clinic_to_police"):
        loop.consent_record(
            actor=officer, case=case, date=on, direction=direction, given=True, method="written"
        )


def referred(
    officer: User,
    make_case: Callable[..., Case],
    clinic: Clinic,
    on: dt.date = JUNE_2,
    **kwargs: object,
) -> Referral:
    case = make_case(officer, **kwargs)
    accepted(officer, case, D(2016, 6, 1))
    return loop.referral_send(
        actor=officer, case=case, clinic=clinic, date=on, summary="本人は受診に同意。平日夜希望。"
    )


def started(clinician: User, referral: Referral) -> None:
    loop.referral_act(actor=clinician, referral=referral, action="acknowledge", date=D(2016, 6, 3))
    loop.referral_act(
        actor=clinician,
        referral=referral,
        action="schedule",
        date=D(2016, 6, 3),
        appointment_on=D(2016, 6, 10),
    )
    loop.referral_act(actor=clinician, referral=referral, action="start", date=D(2016, 6, 10))


# --- bare timelines for the reports ---------------------------------------------------


def bare_case(prefecture: str, ref: str, opened_on: dt.date = APRIL_2016) -> Case:
    """A case without people (the reports never read them)."""
    return Case.objects.create(
        prefecture=Region.objects.get(code=prefecture), ref=ref, opened_on=opened_on
    )


def add_events(
    case: Case, events: Iterable[tuple[dt.date, str] | tuple[dt.date, str, str]]
) -> None:
    Event.objects.bulk_create(
        Event(
            case=case,
            date=ev[0],
            type=ev[1],
            detail=ev[2] if len(ev) > 2 else "",  # type: ignore[misc]
            rank=timeline.TYPE_RANK[ev[1]],
        )
        for ev in events
    )


def case_with(
    prefecture: str, ref: str, *events: tuple[dt.date, str] | tuple[dt.date, str, str]
) -> Case:
    case = bare_case(prefecture, ref)
    add_events(case, events)
    return case


def with_proposals(
    officer: User, make_case: Callable[..., Case], n: int, days_ago: int = 40
) -> list[Case]:
    """`n` cases of the officer's station, each with a recurrence `days_ago - i` days
    ago: one 30-day follow-up proposal each, overdue, due in case order."""
    today = timezone.localdate()
    cases = []
    for i in range(n):
        case = make_case(officer, opened_on=today - dt.timedelta(days=days_ago + 60))
        Case.objects.filter(pk=case.pk).update(station=officer.region)
        loop.recurrence_record(
            actor=officer,
            case=case,
            date=today - dt.timedelta(days=days_ago - i),
            victim="same_victim",
            sign="warning",
        )
        cases.append(case)
    return cases
