"""Every date the API takes has its domain lower bound, checked by the service (so the
page refuses it too): not before the case's opening, the advice, the referral, the
condition or the event a check follows. Each refusal is a 422 naming the field, and
writes nothing.

The case of `referred`: opened 2016-05-10, advised, accepted and both consents on
06-01, referred on 06-02; `started` acknowledges and schedules on 06-03 for 06-10.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from tsunagu.cases.models import Event
from tsunagu.cases.services import police_event_record
from tsunagu.testing import client_for
from tsunagu.testing.builders import advised, referred
from tsunagu.treatment import loop
from tsunagu.treatment.models import FollowUp, Referral

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def world(officer_tokyo, clinician_tokyo, make_case, clinic_tokyo) -> dict[str, Any]:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    case = referral.case
    only_advised = make_case(officer_tokyo, ref="ADVISED")
    advised(officer_tokyo, only_advised)  # 06-01, no answer, no consent
    police_event_record(actor=officer_tokyo, case=case, date=D(2016, 6, 5), type="warning")
    loop.condition_set(
        actor=officer_tokyo, case=case, date=D(2016, 6, 5), kind="no_contact", expires_on=None
    )
    followup = loop.followup_plan(
        actor=officer_tokyo,
        case=case,
        source_type="warning",
        source_date=D(2016, 6, 5),
        due_on=D(2016, 7, 5),
        history=True,
    )
    loop.contact_request(actor=officer_tokyo, case=case, date=D(2016, 6, 6))
    return {
        "case": case.pk,
        "advised": only_advised.pk,
        "referral": referral.pk,
        "followup": followup.pk,
        "police": client_for(officer_tokyo),
        "clinic": client_for(clinician_tokyo),
    }


# (who, url, body, the field named): each date one day (or more) before its bound.
CASES = {
    "event before the case opened": (
        "police",
        "/api/v1/cases/{case}/events",
        {"date": "2016-05-09", "type": "warning"},
        "date",
    ),
    "advice before the case opened": (
        "police",
        "/api/v1/treatment/cases/{case}/advice",
        {"date": "2016-05-09", "method": "in_person"},
        "date",
    ),
    "response before the advice": (
        "police",
        "/api/v1/treatment/cases/{advised}/response",
        {"date": "2016-05-31", "response": "accepted"},
        "date",
    ),
    "consent before the advice": (
        "police",
        "/api/v1/treatment/cases/{advised}/consent",
        {
            "date": "2016-05-31",
            "direction": "police_to_clinic",
            "given": True,
            "method": "written",
        },
        "date",
    ),
    "referral before the advice": (
        "police",
        "/api/v1/treatment/cases/{advised}/referrals",
        {"date": "2016-05-31", "clinic": "13-C001", "summary": "s"},
        "date",
    ),
    "recurrence before the case opened": (
        "police",
        "/api/v1/treatment/cases/{case}/recurrence",
        {"date": "2016-05-09", "victim": "same_victim", "sign": "warning"},
        "date",
    ),
    "contact request before the referral": (
        "police",
        "/api/v1/treatment/cases/{case}/contact-request",
        {"date": "2016-06-01"},
        "date",
    ),
    "condition before the case opened": (
        "police",
        "/api/v1/treatment/cases/{case}/conditions",
        {"date": "2016-05-09", "kind": "probation"},
        "date",
    ),
    "condition expiring before it starts": (
        "police",
        "/api/v1/treatment/cases/{case}/conditions",
        {"date": "2016-06-07", "kind": "probation", "expires_on": "2016-06-06"},
        "expires_on",
    ),
    "condition ended before it started": (
        "police",
        "/api/v1/treatment/cases/{case}/conditions/end",
        {"date": "2016-06-04", "kind": "no_contact"},
        "date",
    ),
    "follow-up due before its event": (
        "police",
        "/api/v1/treatment/cases/{case}/followups",
        {"source_type": "warning", "source_date": "2016-06-05", "due_on": "2016-06-04"},
        "due_on",
    ),
    "follow-up done before its event": (
        "police",
        "/api/v1/treatment/followups/{followup}/done",
        {"date": "2016-06-04"},
        "date",
    ),
    "acknowledged before the referral": (
        "clinic",
        "/api/v1/treatment/referrals/{referral}/actions/acknowledge",
        {"date": "2016-06-01"},
        "date",
    ),
    "appointment before the day it is set": (
        "clinic",
        "/api/v1/treatment/referrals/{referral}/actions/schedule",
        {"date": "2016-06-03", "appointment_on": "2016-06-02"},
        "appointment_on",
    ),
    "clinic's consent before the referral": (
        "clinic",
        "/api/v1/treatment/referrals/{referral}/consent",
        {"date": "2016-06-01", "given": False},
        "date",
    ),
    "contacted before the referral": (
        "clinic",
        "/api/v1/treatment/referrals/{referral}/contacted",
        {"date": "2016-06-01"},
        "date",
    ),
    "contacted before the police asked": (
        "clinic",
        "/api/v1/treatment/referrals/{referral}/contacted",
        {"date": "2016-06-05"},
        "date",
    ),
}


def _written() -> tuple[int, int, list[Any]]:
    return (
        Event.objects.count(),
        FollowUp.objects.filter(done_on__isnull=False).count(),
        list(Referral.objects.values_list("contact_answered_on", flat=True)),
    )


@pytest.mark.parametrize("name", list(CASES))
def test_a_date_before_its_bound_is_a_422_naming_the_field(world, name):
    who, url, body, field = CASES[name]
    before = _written()
    response = world[who].post(
        url.format(**world), json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422, (name, response.content)
    assert response.json()["detail"][0]["loc"] == ["body", field], response.json()
    assert _written() == before


def test_the_bounds_allow_the_bound_itself(world):
    """On the bound is fine: the refusals above are the bound, not a broken operation."""
    police, clinic = world["police"], world["clinic"]

    def post(client, url, body):
        return client.post(url.format(**world), json.dumps(body), content_type="application/json")

    consent = post(
        police,
        "/api/v1/treatment/cases/{advised}/consent",
        {"date": "2016-06-01", "direction": "police_to_clinic", "given": True, "method": "written"},
    )
    assert consent.status_code == 201, consent.content
    assert (
        post(
            clinic, "/api/v1/treatment/referrals/{referral}/contacted", {"date": "2016-06-06"}
        ).status_code
        == 200
    )
    done = post(police, "/api/v1/treatment/followups/{followup}/done", {"date": "2016-06-05"})
    assert done.status_code == 200, done.content
    ended = post(
        police,
        "/api/v1/treatment/cases/{case}/conditions/end",
        {"date": "2016-06-05", "kind": "no_contact"},
    )
    assert ended.status_code == 201, ended.content


# The pages call the same services: the same dates are refused next to the field.
PAGES = {
    "consent before the advice": (
        "police",
        "/treatment/cases/{advised}/consent/",
        {"date": "2016-05-31", "direction": "police_to_clinic", "given": "1", "method": "written"},
    ),
    "contact request before the referral": (
        "police",
        "/treatment/cases/{case}/contact/",
        {"date": "2016-06-01"},
    ),
    "condition ended before it started": (
        "police",
        "/treatment/cases/{case}/condition/end/",
        {"date": "2016-06-04", "kind": "no_contact"},
    ),
    "follow-up done before its event": (
        "police",
        "/treatment/followups/{followup}/done/",
        {"date": "2016-06-04"},
    ),
    "clinic's consent before the referral": (
        "clinic",
        "/treatment/referrals/{referral}/consent/",
        {"date": "2016-06-01", "given": "0"},
    ),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_refuses_the_same_dates_next_to_the_date(world, name):
    who, url, data = PAGES[name]
    before = _written()
    response = world[who].post(url.format(**world), data)
    assert response.status_code == 400, (name, response.status_code)
    assert response.context["form"].errors.get("date"), response.context["form"].errors
    assert _written() == before
