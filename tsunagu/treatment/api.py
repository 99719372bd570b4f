"""JSON API of the treatment loop, mounted under /api/v1/treatment.

Same scoping as the pages: every object is read through `visible_to(user)` and
answers 404 outside it; refused writes answer 422 naming the field. What the
police are shown passes through `derive.police_view`, as on the pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, cast

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext
from ninja import Field, Router, Schema
from ninja.responses import Status

from tsunagu.cases import refusals, timeline
from tsunagu.cases.models import Case
from tsunagu.cases.services import ServiceError
from tsunagu.core.access import get_for_user
from tsunagu.core.api import (
    OneLineText,
    StrictDate,
    StrictIn,
    auth_for,
    clinician,
    police,
    police_or_clinician,
    responses,
)
from tsunagu.core.models import User
from tsunagu.treatment import derive, loop, panels
from tsunagu.treatment.api_clinics import router as clinics_router
from tsunagu.treatment.api_followups import router as followups_router
from tsunagu.treatment.models import (
    SUMMARY_MAX_LENGTH,
    Clinic,
    Referral,
)

router = Router(tags=["treatment"])
router.add_router("", clinics_router)
router.add_router("", followups_router)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


_run = refusals.run


# --- schemas ------------------------------------------------------------------------


CODE_MAX_LENGTH = 40


# Input: bounded as the web forms bound it (max lengths), no control character.
TextIn = StrictIn


class ReferralEventOut(Schema):
    date: dt.date
    type: str
    detail: str


class OffenderOut(Schema):
    name: str
    phone: str
    address: str


class ReferralOut(Schema):
    id: int
    case_id: int | None
    case_ref: str | None
    clinic: str
    advised_on: dt.date
    sent_on: dt.date
    answer_due: dt.date
    overdue: bool
    stage: str
    consent_withdrawn_on: dt.date | None
    appointment_on: dt.date | None
    summary: str
    consents: dict[str, bool]
    police_ask_contact: bool
    offender: OffenderOut | None
    events: list[ReferralEventOut]
    # The clinician's possible next steps (`loop.CLINIC_ACTIONS`); none for the police.
    actions: list[str]


class ReferralPage(Schema):
    count: int
    page: int
    pages: int
    results: list[ReferralOut]


class ActionIn(TextIn):
    date: StrictDate
    appointment_on: StrictDate | None = None
    reason: str = Field("", max_length=CODE_MAX_LENGTH)


class AdviceIn(TextIn):
    date: StrictDate
    method: Literal["in_person", "phone", "leaflet"]
    advised_by: str | None = Field(None, max_length=150)  # a user name


class ResponseIn(TextIn):
    date: StrictDate
    response: Literal["accepted", "rejected", "undecided"]
    reason: str = Field("", max_length=CODE_MAX_LENGTH)


class ConsentIn(TextIn):
    date: StrictDate
    direction: Literal["police_to_clinic", "clinic_to_police"]
    given: bool
    method: str = Field("", max_length=CODE_MAX_LENGTH)


class ReferralIn(TextIn):
    date: StrictDate
    clinic: OneLineText = Field(max_length=32)  # a clinic code
    summary: str = Field(max_length=SUMMARY_MAX_LENGTH)


class RecurrenceIn(TextIn):
    date: StrictDate
    victim: Literal["same_victim", "new_victim"]
    sign: Literal["contact_report", "warning", "prohibition_order", "arrest"]
    arrest_kind: str = Field("", max_length=CODE_MAX_LENGTH)


class AdviceEpisodeOut(Schema):
    advised_on: dt.date
    method: str
    leaf: str
    referral_stage: str


class RecurrenceOut(Schema):
    date: dt.date
    victim: str
    phase: str


class CaseTreatmentOut(Schema):
    case_id: int
    episodes: list[AdviceEpisodeOut]
    consents: dict[str, bool]
    consent_withdrawn_on: dict[str, dt.date | None]
    recurrences: list[RecurrenceOut]
    referrals: list[ReferralOut]


def _referral_out(row: panels.ReferralRow, user: User) -> dict[str, Any]:
    referral = row.referral
    clinician = user.is_clinician
    offender = row.offender if clinician else None
    return {
        "id": referral.pk,
        "case_id": None if clinician else referral.case_id,
        "case_ref": None if clinician else referral.case.ref,
        "clinic": referral.clinic.code,
        "advised_on": referral.advised_on,
        "sent_on": referral.sent_on,
        "answer_due": referral.answer_due,
        "overdue": row.overdue,
        "stage": row.stage,
        "consent_withdrawn_on": row.consent_withdrawn_on,
        "appointment_on": row.view.appointment_on,
        "summary": referral.summary,
        "consents": row.consents,
        "police_ask_contact": row.contact_flag if clinician else False,
        "actions": panels.clinic_actions(row) if clinician else [],
        "offender": (
            {"name": offender.name, "phone": offender.phone, "address": offender.address}
            if offender
            else None
        ),
        # The clinic sees its own events only, never the police file.
        "events": [
            {"date": ev.date, "type": ev.type, "detail": ev.detail}
            for ev in (row.clinic_events if clinician else row.view.events)
        ],
    }


def _police(request: HttpRequest) -> User:
    user = _user(request)
    if not user.is_police:
        raise Http404
    return user


# --- referrals ----------------------------------------------------------------------


REFERRALS_PER_PAGE = 50


@router.get("/referrals", response=responses(ReferralPage), auth=auth_for(police_or_clinician))
def treatment_referrals(
    request: HttpRequest, stage: str = "", clinic: str = "", page: int = 1
) -> dict[str, Any]:
    """Referrals in scope: the clinic's for a clinician, the prefecture's for police,
    50 a page with the total (`count`).

    Filtered as the page is: `stage` ("open", "overdue" or a stage), `clinic` (an id).
    """
    user = _user(request)
    if not (user.is_police or user.is_clinician):
        raise Http404  # analysts and admins have no referrals to see
    if clinic and panels.clinic_filter_id(clinic) is None:
        raise refusals.unprocessable("clinic", gettext("Not a clinic id."), "query")
    if stage and stage not in ("open", "overdue", *panels.FILTER_STAGES):
        raise refusals.unprocessable("stage", gettext("Unknown stage."), "query")
    matching = panels.filter_referrals(
        Referral.objects.visible_to(user), user, stage=stage, clinic=clinic
    )
    paginator = Paginator(matching, REFERRALS_PER_PAGE)
    if not 1 <= page <= max(paginator.num_pages, 1):
        raise refusals.unprocessable("page", gettext("No such page."), "query")
    current = paginator.page(page)
    return {
        "count": paginator.count,
        "page": current.number,
        "pages": paginator.num_pages,
        "results": [
            _referral_out(r, user)
            for r in panels.referral_rows(cast(QuerySet[Referral], current.object_list), user)
        ],
    }


@router.get(
    "/referrals/{referral_id}", response=responses(ReferralOut), auth=auth_for(police_or_clinician)
)
def treatment_referral(request: HttpRequest, referral_id: int) -> dict[str, Any]:
    user = _user(request)
    referral = get_for_user(Referral, user, referral_id)
    return _referral_out(panels.referral_row(referral, user), user)


@router.post(
    "/referrals/{referral_id}/actions/{action}",
    response=responses(ReferralOut, 200, 409),
    auth=auth_for(clinician),
)
def treatment_referral_action(
    request: HttpRequest,
    referral_id: int,
    action: Literal[
        "acknowledge", "schedule", "not_needed", "start", "session", "complete", "halt"
    ],
    payload: ActionIn,
) -> dict[str, Any]:
    """A clinician's step on their clinic's referral."""
    user = _user(request)
    if not user.is_clinician:
        raise Http404
    referral = get_for_user(Referral, user, referral_id)
    _run(
        loop.referral_act,
        actor=user,
        referral=referral,
        action=action,
        date=payload.date,
        appointment_on=payload.appointment_on,
        reason=payload.reason,
    )
    referral = get_for_user(Referral, user, referral_id)
    return _referral_out(panels.referral_row(referral, user), user)


# --- the officer's side of a case ---------------------------------------------------------


def _case(request: HttpRequest, case_id: int) -> tuple[User, Case]:
    user = _user(request)
    return user, get_for_user(Case, user, case_id)


@router.get("/cases/{case_id}", response=responses(CaseTreatmentOut), auth=auth_for(police))
def treatment_case(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """The case's advice episodes, consents, recurrences and referrals, as police see them."""
    user, case = _case(request, case_id)
    all_events = case.timeline_events()
    events = derive.police_view(all_events)
    state = timeline.case_state(events)
    rows = panels.referral_rows(Referral.objects.filter(case=case), user)
    directions = (derive.POLICE_TO_CLINIC, derive.CLINIC_TO_POLICE)
    return {
        "case_id": case.pk,
        "episodes": [
            {
                "advised_on": ep.advised_on,
                "method": ep.advised.detail,
                "leaf": timeline.classify(ep).leaf,
                "referral_stage": timeline.referral_stage(ep),
            }
            for ep in state.episodes
        ],
        "consents": {d: timeline.consent(all_events, d) for d in directions},
        "consent_withdrawn_on": {
            d: timeline.consent_withdrawn_on(all_events, d) for d in directions
        },
        "recurrences": [
            {"date": ev.date, "victim": ev.detail, "phase": phase}
            for ev, phase in derive.recurrences_with_phase(events)
        ],
        "referrals": [_referral_out(r, user) for r in rows],
    }


@router.post(
    "/cases/{case_id}/advice",
    response=responses(CaseTreatmentOut, 201, 409),
    auth=auth_for(police),
)
def treatment_advise(
    request: HttpRequest, case_id: int, payload: AdviceIn
) -> Status[dict[str, Any]]:
    """Record that the offender was advised to see a medical expert."""
    user, case = _case(request, case_id)
    advised_by = user
    if payload.advised_by:
        found = User.objects.filter(username=payload.advised_by).first()
        if found is None:
            # The same refusal as for an existing user who is not an officer here,
            # so the answer does not tell which user names exist.
            raise refusals.as_422(ServiceError(loop.NOT_AN_OFFICER_HERE, "advised_by"))
        advised_by = found
    _run(
        loop.advice_record,
        actor=user,
        case=case,
        date=payload.date,
        method=payload.method,
        advised_by=advised_by,
    )
    return Status(201, treatment_case(request, case_id))


@router.post(
    "/cases/{case_id}/response",
    response=responses(CaseTreatmentOut, 201, 409),
    auth=auth_for(police),
)
def treatment_respond(
    request: HttpRequest, case_id: int, payload: ResponseIn
) -> Status[dict[str, Any]]:
    user, case = _case(request, case_id)
    _run(
        loop.advice_respond,
        actor=user,
        case=case,
        date=payload.date,
        response=payload.response,
        reason=payload.reason,
    )
    return Status(201, treatment_case(request, case_id))


@router.post(
    "/cases/{case_id}/consent",
    response=responses(CaseTreatmentOut, 201, 409),
    auth=auth_for(police),
)
def treatment_consent(
    request: HttpRequest, case_id: int, payload: ConsentIn
) -> Status[dict[str, Any]]:
    user, case = _case(request, case_id)
    _run(
        loop.consent_record,
        actor=user,
        case=case,
        date=payload.date,
        direction=payload.direction,
        given=payload.given,
        method=payload.method,
    )
    return Status(201, treatment_case(request, case_id))


@router.post(
    "/cases/{case_id}/referrals",
    response=responses(ReferralOut, 201, 409),
    auth=auth_for(police),
)
def treatment_refer(
    request: HttpRequest, case_id: int, payload: ReferralIn
) -> Status[dict[str, Any]]:
    """Send the case's accepted advice to a clinic of the prefecture (by clinic code)."""
    user, case = _case(request, case_id)
    clinic = Clinic.objects.visible_to(user).filter(code=payload.clinic).first()
    if clinic is None:
        raise refusals.unprocessable("clinic", gettext("Unknown clinic of this prefecture."))
    referral = _run(
        loop.referral_send,
        actor=user,
        case=case,
        clinic=clinic,
        date=payload.date,
        summary=payload.summary,
    )
    return Status(201, _referral_out(panels.referral_row(referral, user), user))


@router.post(
    "/cases/{case_id}/recurrence",
    response=responses(CaseTreatmentOut, 201, 409),
    auth=auth_for(police),
)
def treatment_recurrence(
    request: HttpRequest, case_id: int, payload: RecurrenceIn
) -> Status[dict[str, Any]]:
    user, case = _case(request, case_id)
    _run(
        loop.recurrence_record,
        actor=user,
        case=case,
        date=payload.date,
        victim=payload.victim,
        sign=payload.sign,
        arrest_kind=payload.arrest_kind,
    )
    return Status(201, treatment_case(request, case_id))


class DateIn(StrictIn):
    date: StrictDate


class ClinicConsentIn(TextIn):
    date: StrictDate
    given: bool
    method: str = Field("", max_length=CODE_MAX_LENGTH)


def _clinician_referral(request: HttpRequest, referral_id: int) -> tuple[User, Referral]:
    user = _user(request)
    if not user.is_clinician:
        raise Http404
    return user, get_for_user(Referral, user, referral_id)


@router.post(
    "/referrals/{referral_id}/consent",
    response=responses(ReferralOut, 200, 409),
    auth=auth_for(clinician),
)
def treatment_referral_consent(
    request: HttpRequest, referral_id: int, payload: ClinicConsentIn
) -> dict[str, Any]:
    """The clinic records the offender's consent to inform the police, or its withdrawal."""
    user, referral = _clinician_referral(request, referral_id)
    _run(
        loop.consent_record,
        actor=user,
        case=referral.case,
        date=payload.date,
        direction=derive.CLINIC_TO_POLICE,
        given=payload.given,
        method=payload.method,
    )
    return _referral_out(panels.referral_row(referral, user), user)


@router.post(
    "/referrals/{referral_id}/contacted",
    response=responses(ReferralOut, 200, 409),
    auth=auth_for(clinician),
)
def treatment_referral_contacted(
    request: HttpRequest, referral_id: int, payload: DateIn
) -> dict[str, Any]:
    """The clinic has contacted the police: clears "the police ask you to contact them"."""
    user, referral = _clinician_referral(request, referral_id)
    _run(loop.referral_contact_answered, actor=user, referral=referral, date=payload.date)
    return _referral_out(panels.referral_row(referral, user), user)


@router.post(
    "/cases/{case_id}/contact-request",
    response=responses(CaseTreatmentOut, 201, 409),
    auth=auth_for(police),
)
def treatment_contact_request(
    request: HttpRequest, case_id: int, payload: DateIn
) -> Status[dict[str, Any]]:
    """Ask the clinic of the open referral to contact the police (no details given)."""
    user, case = _case(request, case_id)
    _run(loop.contact_request, actor=user, case=case, date=payload.date)
    return Status(201, treatment_case(request, case_id))
