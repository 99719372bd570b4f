"""The referral list (page and API) filters on the cached stages in SQL, so a stage
filter finds referrals of any age, and it is paginated with the total."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from tsunagu.cases import services as case_services
from tsunagu.testing import client_for
from tsunagu.testing.builders import D, bare_case, referred, started
from tsunagu.treatment.models import Referral

API = "/api/v1/treatment/referrals"
NEWER = 220


def _many_newer_referrals(clinic, officer) -> None:
    case = bare_case("13", "MANY")
    Referral.objects.bulk_create(
        Referral(
            case=case,
            clinic=clinic,
            advised_on=D(2017, 1, 1),
            sent_on=D(2017, 1, 2) + dt.timedelta(days=i),
            answer_due=D(2017, 1, 9) + dt.timedelta(days=i),
            summary="s",
            sent_by=officer,
        )
        for i in range(NEWER)
    )


def test_a_stage_filter_finds_an_old_referral_behind_many_newer_ones(
    officer_tokyo, make_case, clinic_tokyo, clinician_tokyo
):
    old = referred(officer_tokyo, make_case, clinic_tokyo)
    started(clinician_tokyo, old)
    _many_newer_referrals(clinic_tokyo, officer_tokyo)
    police = client_for(officer_tokyo)
    data = police.get(API, {"stage": "in_treatment"}).json()
    assert data["count"] == 1 and [r["id"] for r in data["results"]] == [old.pk]
    page = police.get(reverse("treatment:referrals"), {"stage": "in_treatment"})
    assert [row.referral.pk for row in page.context["rows"]] == [old.pk]
    assert page.context["page"].paginator.count == 1


def test_the_list_is_paginated_with_the_total(officer_tokyo, make_case, clinic_tokyo):
    referred(officer_tokyo, make_case, clinic_tokyo)
    _many_newer_referrals(clinic_tokyo, officer_tokyo)
    police = client_for(officer_tokyo)
    first = police.get(API).json()
    assert first["count"] == NEWER + 1 and first["pages"] == 5 and len(first["results"]) == 50
    last = police.get(API, {"page": 5}).json()
    assert len(last["results"]) == NEWER + 1 - 200
    assert police.get(API, {"page": 6}).status_code == 422
    assert police.get(API, {"stage": "nonsense"}).status_code == 422
    page = police.get(reverse("treatment:referrals"), {"page": 2})
    assert page.context["page"].number == 2 and len(page.context["rows"]) == 50
    assert str(NEWER + 1) in page.content.decode()


def test_police_filter_by_the_stage_they_see_after_a_withdrawal(
    officer_tokyo, make_case, clinic_tokyo, clinician_tokyo
):
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    started(clinician_tokyo, referral)
    case_services.event_record(
        actor=clinician_tokyo,
        case=referral.case,
        date=D(2016, 6, 20),
        type="consent_clinic_to_police_withdrawn",
    )
    referral.refresh_from_db()
    assert (referral.stage, referral.police_stage) == ("in_treatment", "consent_withdrawn")
    police, clinic = client_for(officer_tokyo), client_for(clinician_tokyo)
    assert police.get(API, {"stage": "in_treatment"}).json()["count"] == 0
    assert police.get(API, {"stage": "consent_withdrawn"}).json()["count"] == 1
    assert police.get(API, {"stage": "open"}).json()["count"] == 0
    assert clinic.get(API, {"stage": "in_treatment"}).json()["count"] == 1
    assert clinic.get(API, {"stage": "open"}).json()["count"] == 1
