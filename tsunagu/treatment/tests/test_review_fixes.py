"""Defects found by a review of the loop: consent, clinic codes, input bounds, scoping."""

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
from tsunagu.treatment import directory, loop, panels
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


# --- 1. a withdrawn police-to-clinic consent stops police news reaching the clinic -------


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


# --- 2. a clinic's code is its identity once something refers to it -----------------------


def test_clinic_code_cannot_change_once_a_referral_refers_to_it(
    officer_tokyo: User,
    supervisor_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    clinic = Clinic.objects.get(pk=clinic_tokyo.pk)
    clinic.code = "13-C777"
    with pytest.raises(ServiceError) as refused:
        directory.clinic_save(actor=supervisor_tokyo, clinic=clinic)
    assert refused.value.field == "code"

    boss = client_for(supervisor_tokyo)
    edit = reverse("treatment:clinic_edit", args=[clinic_tokyo.pk])
    assert "readonly" in boss.get(edit).content.decode()
    response = boss.post(
        edit,
        {
            "code": "13-C777",
            "name": "新宿こころのクリニック",
            "kind": "clinic",
            "languages": "ja",
            "monthly_capacity": "5",
            "accepting": "on",
        },
    )
    assert response.status_code == 400
    assert "code" in response.context["form"].errors
    api = _json(
        boss, "put", f"{API}/clinics/{clinic_tokyo.pk}/edit", {"code": "13-C777", "name": "X"}
    )
    assert api.status_code == 422
    assert api.json()["detail"][0]["loc"] == ["body", "code"]
    assert Clinic.objects.get(pk=clinic_tokyo.pk).code == "13-C001"
    # The referral still finds its events.
    assert panels.referral_row(referral, officer_tokyo).view.stage == "sent"
    # Other fields may still change, the code kept as it is.
    same = _json(
        boss, "put", f"{API}/clinics/{clinic_tokyo.pk}/edit", {"code": "13-C001", "name": "Y"}
    )
    assert same.status_code == 200 and same.json()["name"] == "Y"


def test_clinic_code_cannot_change_once_an_imported_event_names_it(
    officer_tokyo: User,
    supervisor_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
) -> None:
    case = make_case(officer_tokyo)
    Event.objects.create(
        case=case, date=D(2016, 6, 3), type="appointment_scheduled", detail="13-C001|2016-06-10"
    )
    boss = client_for(supervisor_tokyo)
    api = _json(
        boss, "put", f"{API}/clinics/{clinic_tokyo.pk}/edit", {"code": "13-C002", "name": "X"}
    )
    assert api.status_code == 422
    assert api.json()["detail"][0]["loc"] == ["body", "code"]


def test_clinic_code_may_change_while_nothing_refers_to_it(
    officer_tokyo: User,
    supervisor_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
) -> None:
    case = make_case(officer_tokyo)
    # A code that merely starts with this one is another clinic's.
    Event.objects.create(case=case, date=D(2016, 6, 3), type="referral_sent", detail="13-C0012")
    boss = client_for(supervisor_tokyo)
    api = _json(
        boss, "put", f"{API}/clinics/{clinic_tokyo.pk}/edit", {"code": "13-C002", "name": "X"}
    )
    assert api.status_code == 200
    assert Clinic.objects.get(pk=clinic_tokyo.pk).code == "13-C002"


# --- 3. no 500 on out-of-range input ----------------------------------------------------


def test_referral_list_clinic_filter_out_of_range_is_not_a_server_error(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    police = client_for(officer_tokyo)
    for bad in ("99999999999999999999999", "²", "-1", "0"):
        page = police.get(reverse("treatment:referrals"), {"clinic": bad})
        assert page.status_code == 200, bad
        api = police.get(f"{API}/referrals", {"clinic": bad})
        assert api.status_code == 422, bad
        assert api.json()["detail"][0]["loc"] == ["query", "clinic"]
    ok = police.get(f"{API}/referrals", {"clinic": str(clinic_tokyo.pk)})
    assert [r["id"] for r in ok.json()["results"]] == [referral.pk]
    other = police.get(f"{API}/referrals", {"clinic": str(clinic_tokyo.pk + 1000)})
    assert other.json()["results"] == [] and other.json()["count"] == 0


def test_api_bounds_clinic_capacity_and_text_like_the_web_form(
    supervisor_tokyo: User, clinic_tokyo: Clinic
) -> None:
    boss = client_for(supervisor_tokyo)
    url = f"{API}/clinics/{clinic_tokyo.pk}/edit"
    base = {"code": "13-C001", "name": "X"}
    for field, value in (
        ("monthly_capacity", 10**20),
        ("monthly_capacity", 10001),
        ("monthly_capacity", -1),
        ("name", "x" * 201),
        ("code", "x" * 33),
        ("specialties", "x" * 301),
        ("address", "x" * 301),
        ("contact_person", "x" * 101),
        ("phone", "x" * 41),
        ("languages", "x" * 101),
        ("fee_notes", "x" * 2001),
        ("name", "a\x00b"),
    ):
        response = _json(boss, "put", url, {**base, field: value})
        assert response.status_code == 422, (field, response.status_code)
        assert response.json()["detail"][0]["loc"][-1] == field, field
    assert _json(boss, "put", url, {**base, "monthly_capacity": 10000}).status_code == 200
    created = _json(
        boss, "post", f"{API}/clinics", {"code": "13-C050", "name": "Z", "monthly_capacity": 10**20}
    )
    assert created.status_code == 422
    # The web form has the same bounds.
    response = boss.post(
        reverse("treatment:clinic_edit", args=[clinic_tokyo.pk]),
        {
            "code": "13-C001",
            "name": "X",
            "kind": "clinic",
            "languages": "ja",
            "monthly_capacity": str(10**20),
            "fee_notes": "x" * 2001,
        },
    )
    assert response.status_code == 400
    assert {"monthly_capacity", "fee_notes"} <= set(response.context["form"].errors)


def test_api_bounds_the_referral_summary_and_other_text(
    officer_tokyo: User, make_case: Callable[..., Case], clinic_tokyo: Clinic
) -> None:
    case = make_case(officer_tokyo)
    police = client_for(officer_tokyo)
    refer = f"{API}/cases/{case.pk}/referrals"
    long = {"date": "2016-06-02", "clinic": "13-C001", "summary": "x" * 4001}
    response = _json(police, "post", refer, long)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "summary"
    assert _json(police, "post", refer, {**long, "summary": "a\x00b"}).status_code == 422
    assert _json(police, "post", refer, {**long, "clinic": "x" * 33}).status_code == 422
    consent = {"date": "2016-06-01", "direction": "police_to_clinic", "given": True}
    response = _json(
        police, "post", f"{API}/cases/{case.pk}/consent", {**consent, "method": "x" * 41}
    )
    assert response.status_code == 422
    response = _json(
        police,
        "post",
        f"{API}/cases/{case.pk}/advice",
        {"date": "2016-06-01", "method": "phone", "advised_by": "x" * 151},
    )
    assert response.status_code == 422
    assert not Referral.objects.exists()


# --- 4. the referral list is for the roles that have referrals ---------------------------


def test_api_referral_list_is_404_for_analysts_and_admins(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
    analyst: User,
    admin_user: User,
) -> None:
    referred(officer_tokyo, make_case, clinic_tokyo)
    for user in (analyst, admin_user):
        assert client_for(user).get(f"{API}/referrals").status_code == 404, user.username
    for user in (officer_tokyo, clinician_tokyo):
        response = client_for(user).get(f"{API}/referrals")
        assert response.status_code == 200 and response.json()["count"] == 1, user.username


# --- 5. no user-name enumeration through advised_by --------------------------------------


def test_api_advice_gives_one_answer_for_unknown_and_foreign_users(
    officer_tokyo: User,
    officer_osaka: User,
    clinician_tokyo: User,
    make_case: Callable[..., Case],
) -> None:
    case = make_case(officer_tokyo)
    police = client_for(officer_tokyo)
    url = f"{API}/cases/{case.pk}/advice"
    answers = []
    for username in ("no-such-user", officer_osaka.username, clinician_tokyo.username):
        response = _json(
            police, "post", url, {"date": "2016-06-01", "method": "phone", "advised_by": username}
        )
        assert response.status_code == 422, username
        answers.append(response.json())
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["detail"][0]["loc"] == ["body", "advised_by"]
