"""Building blocks for treatment tests: a case advised, accepted, consented, referred."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from tsunagu.cases.models import Case
from tsunagu.core.models import User
from tsunagu.treatment import services
from tsunagu.treatment.models import Clinic, Referral

D = dt.date
JUNE_1 = D(2016, 6, 1)
JUNE_2 = D(2016, 6, 2)


def advised(officer: User, case: Case, on: dt.date = JUNE_1) -> None:
    services.advice_record(actor=officer, case=case, date=on, method="in_person")


def accepted(officer: User, case: Case, on: dt.date = JUNE_1) -> None:
    advised(officer, case, on)
    services.advice_respond(actor=officer, case=case, date=on, response="accepted")
    services.consent_record(
        actor=officer,
        case=case,
        date=on,
        direction="police_to_clinic",
        given=True,
        method="written",
    )
    services.consent_record(
        actor=officer,
        case=case,
        date=on,
        direction="clinic_to_police",
        given=True,
        method="written",
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
    return services.referral_send(
        actor=officer, case=case, clinic=clinic, date=on, summary="本人は受診に同意。平日夜希望。"
    )


def started(clinician: User, referral: Referral) -> None:
    services.referral_act(
        actor=clinician, referral=referral, action="acknowledge", date=D(2016, 6, 3)
    )
    services.referral_act(
        actor=clinician,
        referral=referral,
        action="schedule",
        date=D(2016, 6, 3),
        appointment_on=D(2016, 6, 10),
    )
    services.referral_act(actor=clinician, referral=referral, action="start", date=D(2016, 6, 10))
