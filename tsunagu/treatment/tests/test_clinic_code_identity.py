"""A clinic's code is its identity once a referral or an event refers to it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tsunagu.cases.models import Case, Event
from tsunagu.cases.services import ServiceError
from tsunagu.core.models import User
from tsunagu.testing import client_for
from tsunagu.testing.builders import D, referred
from tsunagu.treatment import directory, panels
from tsunagu.treatment.models import Clinic

pytestmark = pytest.mark.django_db

API = "/api/v1/treatment"


def _json(client: Client, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


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
        boss, "patch", f"{API}/clinics/{clinic_tokyo.pk}/edit", {"code": "13-C777", "name": "X"}
    )
    assert api.status_code == 422
    assert api.json()["detail"][0]["loc"] == ["body", "code"]
    assert Clinic.objects.get(pk=clinic_tokyo.pk).code == "13-C001"
    # The referral still finds its events.
    assert panels.referral_row(referral, officer_tokyo).view.stage == "sent"
    # Other fields may still change, the code kept as it is.
    same = _json(
        boss, "patch", f"{API}/clinics/{clinic_tokyo.pk}/edit", {"code": "13-C001", "name": "Y"}
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
        boss, "patch", f"{API}/clinics/{clinic_tokyo.pk}/edit", {"code": "13-C002", "name": "X"}
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
        boss, "patch", f"{API}/clinics/{clinic_tokyo.pk}/edit", {"code": "13-C002", "name": "X"}
    )
    assert api.status_code == 200
    assert Clinic.objects.get(pk=clinic_tokyo.pk).code == "13-C002"
