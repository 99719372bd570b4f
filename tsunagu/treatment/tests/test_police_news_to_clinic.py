"""A withdrawn police-to-clinic consent stops news of the police file reaching the clinic."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tsunagu.cases.models import Case, Event
from tsunagu.cases.services import ServiceError
from tsunagu.core.models import User
from tsunagu.testing import client_for
from tsunagu.testing.builders import D, referred, started
from tsunagu.treatment import loop, panels
from tsunagu.treatment.models import Clinic, Referral

pytestmark = pytest.mark.django_db

API = "/api/v1/treatment"


def _json(client: Client, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def _withdraw_police_to_clinic(officer: User, case: Case, on: Any) -> None:
    loop.consent_record(
        actor=officer, case=case, date=on, direction="police_to_clinic", given=False
    )


def _ja(message: str) -> str:
    with translation.override("ja"):
        return translation.gettext(message)


ASK_CONTACT = "The police ask you to contact them"


def _clinician_flag(clinician: User, referral: Referral) -> bool:
    rows = panels.referral_rows(Referral.objects.filter(pk=referral.pk), clinician)
    return rows[0].contact_flag


def test_recurrence_after_police_to_clinic_withdrawal_does_not_flag_the_clinic(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    started(clinician_tokyo, referral)
    case = referral.case
    _withdraw_police_to_clinic(officer_tokyo, case, D(2016, 6, 20))
    loop.recurrence_record(
        actor=officer_tokyo, case=case, date=D(2016, 7, 1), victim="same_victim", sign="warning"
    )
    assert not _clinician_flag(clinician_tokyo, referral)
    clinic = client_for(clinician_tokyo)
    assert clinic.get(f"{API}/referrals/{referral.pk}").json()["police_ask_contact"] is False
    assert [r["police_ask_contact"] for r in clinic.get(f"{API}/referrals").json()["results"]] == [
        False
    ]
    portal = clinic.get(reverse("treatment:portal"))
    assert [r.contact_flag for r in portal.context["rows"]] == [False]
    assert _ja(ASK_CONTACT) not in portal.content.decode()
    detail = clinic.get(reverse("treatment:referral", args=[referral.pk]))
    assert not detail.context["row"].contact_flag
    # Given again: a later recurrence reaches the clinic once more.
    loop.consent_record(
        actor=officer_tokyo,
        case=case,
        date=D(2016, 7, 10),
        direction="police_to_clinic",
        given=True,
        method="written",
    )
    loop.recurrence_record(
        actor=officer_tokyo,
        case=case,
        date=D(2016, 7, 15),
        victim="same_victim",
        sign="contact_report",
    )
    assert _clinician_flag(clinician_tokyo, referral)
    assert clinic.get(f"{API}/referrals/{referral.pk}").json()["police_ask_contact"] is True
    assert _ja(ASK_CONTACT) in clinic.get(reverse("treatment:portal")).content.decode()


def test_recurrence_on_the_day_of_the_withdrawal_does_not_flag_the_clinic(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    case = referral.case
    _withdraw_police_to_clinic(officer_tokyo, case, D(2016, 6, 5))
    loop.recurrence_record(
        actor=officer_tokyo,
        case=case,
        date=D(2016, 6, 5),
        victim="new_victim",
        sign="contact_report",
    )
    assert not _clinician_flag(clinician_tokyo, referral)


def test_recurrence_before_the_withdrawal_still_flags_the_clinic(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    case = referral.case
    loop.recurrence_record(
        actor=officer_tokyo,
        case=case,
        date=D(2016, 6, 4),
        victim="same_victim",
        sign="contact_report",
    )
    _withdraw_police_to_clinic(officer_tokyo, case, D(2016, 6, 5))
    assert _clinician_flag(clinician_tokyo, referral)


def test_contact_request_is_refused_while_police_to_clinic_consent_is_withdrawn(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    case = referral.case
    _withdraw_police_to_clinic(officer_tokyo, case, D(2016, 6, 5))
    with pytest.raises(ServiceError) as refused:
        loop.contact_request(actor=officer_tokyo, case=case, date=D(2016, 6, 6))
    assert refused.value.field == "date"
    assert "withdrawn" in refused.value.message
    # Before the withdrawal the consent held: a request dated then is still allowed.
    loop.contact_request(actor=officer_tokyo, case=case, date=D(2016, 6, 4))

    police = client_for(officer_tokyo)
    response = police.post(
        reverse("treatment:contact_request", args=[case.pk]), {"date": "2016-06-07"}
    )
    assert response.status_code == 400
    expected = _ja(refused.value.message)
    assert expected != refused.value.message  # translated
    assert response.context["form"].errors["date"] == [expected]
    api = _json(police, "post", f"{API}/cases/{case.pk}/contact-request", {"date": "2016-06-07"})
    assert api.status_code == 422
    assert api.json()["detail"][0]["loc"] == ["body", "date"]
    assert api.json()["detail"][0]["msg"] == expected
    assert not Event.objects.filter(
        case=case, type="police_contact_requested", date__gte=D(2016, 6, 5)
    ).exists()
    # The request dated before the withdrawal reached the clinic before it.
    assert _clinician_flag(clinician_tokyo, referral)


def test_contact_request_without_any_police_to_clinic_consent_is_refused(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(officer_tokyo)
    with pytest.raises(ServiceError) as refused:
        loop.contact_request(actor=officer_tokyo, case=case, date=D(2016, 6, 6))
    assert refused.value.field == "date"
