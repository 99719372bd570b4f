"""Out-of-range input is a field error or a 422, never a 500; the API bounds text like the forms."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tsunagu.cases.models import Case
from tsunagu.core.models import User
from tsunagu.testing import client_for
from tsunagu.testing.builders import referred
from tsunagu.treatment.models import Clinic, Referral

pytestmark = pytest.mark.django_db

API = "/api/v1/treatment"


def _json(client: Client, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


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
        response = _json(boss, "patch", url, {**base, field: value})
        assert response.status_code == 422, (field, response.status_code)
        assert response.json()["detail"][0]["loc"][-1] == field, field
    assert _json(boss, "patch", url, {**base, "monthly_capacity": 10000}).status_code == 200
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
