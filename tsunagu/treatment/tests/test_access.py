"""Scoping of every treatment URL and API operation, and victim safety for clinicians."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tsunagu.cases.models import Case
from tsunagu.core.models import User
from tsunagu.testing import access_test, assert_no_markers
from tsunagu.testing.builders import VICTIM_MARKERS, D, referred, started
from tsunagu.treatment import loop
from tsunagu.treatment.models import Clinic, FollowUp, Referral

pytestmark = pytest.mark.django_db


@dataclass
class World:
    case: Case
    referral: Referral
    clinic: Clinic
    followup: FollowUp


@pytest.fixture
def world(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> World:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    started(clinician_tokyo, referral)
    loop.recurrence_record(
        actor=officer_tokyo,
        case=referral.case,
        date=D(2016, 7, 1),
        victim="same_victim",
        sign="contact_report",
    )
    followup = loop.followup_plan(
        actor=officer_tokyo,
        case=referral.case,
        source_type="treatment_started",
        source_date=D(2016, 6, 10),
        due_on=D(2016, 7, 10),
        history=True,
        offset_days=30,
    )
    return World(referral.case, referral, clinic_tokyo, followup)


def pages(w: World) -> list[tuple[str, str, str]]:
    """(URL name, method, URL) of every treatment page, with real objects."""
    c, r, k, f = w.case.pk, w.referral.pk, w.clinic.pk, w.followup.pk
    return [
        ("treatment:portal", "get", reverse("treatment:portal")),
        ("treatment:referrals", "get", reverse("treatment:referrals")),
        ("treatment:referral", "get", reverse("treatment:referral", args=[r])),
        ("treatment:referral_contacted", "post", reverse("treatment:referral_contacted", args=[r])),
        ("treatment:referral_consent", "get", reverse("treatment:referral_consent", args=[r])),
        ("treatment:referral_act", "get", reverse("treatment:referral_act", args=[r, "session"])),
        ("treatment:clinics", "get", reverse("treatment:clinics")),
        ("treatment:clinic_new", "get", reverse("treatment:clinic_new")),
        ("treatment:clinic", "get", reverse("treatment:clinic", args=[k])),
        ("treatment:clinic_edit", "get", reverse("treatment:clinic_edit", args=[k])),
        ("treatment:clinic_staff", "post", reverse("treatment:clinic_staff", args=[k])),
        ("treatment:clinic_delete", "post", reverse("treatment:clinic_delete", args=[k])),
        ("treatment:intervals", "get", reverse("treatment:intervals")),
        ("treatment:advise", "get", reverse("treatment:advise", args=[c])),
        ("treatment:respond", "get", reverse("treatment:respond", args=[c])),
        ("treatment:consent", "get", reverse("treatment:consent", args=[c])),
        ("treatment:refer", "get", reverse("treatment:refer", args=[c])),
        ("treatment:recurrence", "get", reverse("treatment:recurrence", args=[c])),
        ("treatment:contact_request", "get", reverse("treatment:contact_request", args=[c])),
        ("treatment:condition", "get", reverse("treatment:condition", args=[c])),
        ("treatment:condition_end", "get", reverse("treatment:condition_end", args=[c])),
        ("treatment:followup_plan", "get", reverse("treatment:followup_plan", args=[c])),
        ("treatment:followup_done", "get", reverse("treatment:followup_done", args=[f])),
        ("treatment:followups", "get", reverse("treatment:followups")),
    ]


def api_calls(w: World) -> list[tuple[str, str, str, dict[str, Any] | None]]:
    c, r, k, f = w.case.pk, w.referral.pk, w.clinic.pk, w.followup.pk
    base = "/api/v1/treatment"
    clinic_body = {"code": "13-C099", "name": "X"}
    full_clinic = {
        **clinic_body,
        **{name: "" for name in ("specialties", "address", "contact_person", "phone")},
        **{"kind": "clinic", "languages": "ja", "fee_notes": "", "monthly_capacity": 4},
        **{"accepting": True, "nearest_stations": []},
    }
    return [
        ("api:treatment_clinics", "get", f"{base}/clinics", None),
        ("api:treatment_clinic_create", "post", f"{base}/clinics", clinic_body),
        ("api:treatment_clinic", "get", f"{base}/clinics/{k}", None),
        ("api:treatment_clinic_update", "patch", f"{base}/clinics/{k}/edit", clinic_body),
        ("api:treatment_clinic_replace", "put", f"{base}/clinics/{k}/edit", full_clinic),
        ("api:treatment_conditions", "get", f"{base}/cases/{c}/conditions", None),
        (
            "api:treatment_condition_set",
            "post",
            f"{base}/cases/{c}/conditions",
            {"date": "2016-08-01", "kind": "no_contact"},
        ),
        (
            "api:treatment_condition_end",
            "post",
            f"{base}/cases/{c}/conditions/end",
            {"date": "2016-08-01", "kind": "no_contact"},
        ),
        ("api:treatment_followups", "get", f"{base}/followups?case_id={c}", None),
        (
            "api:treatment_followup_plan",
            "post",
            f"{base}/cases/{c}/followups",
            {"source_type": "warning", "source_date": "2016-06-01", "due_on": "2016-09-01"},
        ),
        (
            "api:treatment_followup_done",
            "post",
            f"{base}/followups/{f}/done",
            {"date": "2016-09-01"},
        ),
        ("api:treatment_referrals", "get", f"{base}/referrals", None),
        ("api:treatment_referral", "get", f"{base}/referrals/{r}", None),
        (
            "api:treatment_referral_action",
            "post",
            f"{base}/referrals/{r}/actions/session",
            {"date": "2016-07-02"},
        ),
        ("api:treatment_case", "get", f"{base}/cases/{c}", None),
        (
            "api:treatment_referral_consent",
            "post",
            f"{base}/referrals/{r}/consent",
            {"date": "2016-07-02", "given": False},
        ),
        (
            "api:treatment_referral_contacted",
            "post",
            f"{base}/referrals/{r}/contacted",
            {"date": "2016-07-02"},
        ),
        (
            "api:treatment_contact_request",
            "post",
            f"{base}/cases/{c}/contact-request",
            {"date": "2016-07-02"},
        ),
        (
            "api:treatment_advise",
            "post",
            f"{base}/cases/{c}/advice",
            {"date": "2016-08-01", "method": "phone"},
        ),
        (
            "api:treatment_respond",
            "post",
            f"{base}/cases/{c}/response",
            {"date": "2016-08-01", "response": "undecided"},
        ),
        (
            "api:treatment_consent",
            "post",
            f"{base}/cases/{c}/consent",
            {"date": "2016-08-01", "direction": "clinic_to_police", "given": False},
        ),
        (
            "api:treatment_refer",
            "post",
            f"{base}/cases/{c}/referrals",
            {"date": "2016-08-01", "clinic": "13-C001", "summary": "x"},
        ),
        (
            "api:treatment_recurrence",
            "post",
            f"{base}/cases/{c}/recurrence",
            {"date": "2016-08-01", "victim": "new_victim", "sign": "contact_report"},
        ),
    ]


def _call(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


ALL_PAGES = [
    "treatment:portal",
    "treatment:referrals",
    "treatment:referral",
    "treatment:referral_contacted",
    "treatment:referral_consent",
    "treatment:referral_act",
    "treatment:clinics",
    "treatment:clinic_new",
    "treatment:clinic",
    "treatment:clinic_edit",
    "treatment:clinic_staff",
    "treatment:clinic_delete",
    "treatment:intervals",
    "treatment:advise",
    "treatment:respond",
    "treatment:consent",
    "treatment:refer",
    "treatment:recurrence",
    "treatment:contact_request",
    "treatment:condition",
    "treatment:condition_end",
    "treatment:followup_plan",
    "treatment:followup_done",
    "treatment:followups",
]
ALL_API = [
    "api:treatment_clinics",
    "api:treatment_clinic_create",
    "api:treatment_clinic",
    "api:treatment_clinic_update",
    "api:treatment_clinic_replace",
    "api:treatment_conditions",
    "api:treatment_condition_set",
    "api:treatment_condition_end",
    "api:treatment_followups",
    "api:treatment_followup_plan",
    "api:treatment_followup_done",
    "api:treatment_referrals",
    "api:treatment_referral",
    "api:treatment_referral_action",
    "api:treatment_case",
    "api:treatment_referral_consent",
    "api:treatment_referral_contacted",
    "api:treatment_contact_request",
    "api:treatment_advise",
    "api:treatment_respond",
    "api:treatment_consent",
    "api:treatment_refer",
    "api:treatment_recurrence",
]

# Pages whose answer for a user with no objects in scope is an empty list, not 404.
LISTS = {
    "treatment:portal",
    "treatment:referrals",
    "treatment:clinics",
    "treatment:clinic_new",
    "treatment:intervals",
    "treatment:followups",
}
LISTS_API = {"api:treatment_clinics", "api:treatment_referrals", "api:treatment_followups"}


@access_test(*ALL_PAGES)
def test_pages_answer_404_outside_scope(
    world: World, officer_osaka: User, supervisor_osaka: User, clinician_osaka: User, analyst: User
) -> None:
    assert {name for name, _m, _u in pages(world)} == set(ALL_PAGES)
    for user in (officer_osaka, supervisor_osaka, clinician_osaka, analyst):
        client = Client()
        client.force_login(user)
        for name, method, url in pages(world):
            response = _call(client, method, url)
            if name in LISTS and response.status_code == 200:
                # A list in another scope must not show this one's objects.
                assert world.case.ref not in response.content.decode(), (user, name)
                assert "OFFENDER-NAME-MARKER" not in response.content.decode(), (user, name)
                continue
            assert response.status_code == 404, (user.username, name, response.status_code)


@access_test(*ALL_API)
def test_api_answers_404_outside_scope(
    world: World, officer_osaka: User, supervisor_osaka: User, clinician_osaka: User, analyst: User
) -> None:
    assert {name for name, *_rest in api_calls(world)} == set(ALL_API)
    for user in (officer_osaka, supervisor_osaka, clinician_osaka, analyst):
        client = Client()
        client.force_login(user)
        for name, method, url, body in api_calls(world):
            response = _call(client, method, url, body)
            if name in LISTS_API and response.status_code == 200:
                data = response.json()
                items = data["results"] if isinstance(data, dict) else data
                assert all(
                    item.get("id") not in (world.referral.pk, world.clinic.pk) for item in items
                ), (user.username, name)
                continue
            if name == "api:treatment_clinic_create" and user.is_supervisor:
                # Osaka's supervisor creates in Osaka: their own scope, not Tokyo's.
                assert response.status_code == 201
                assert response.json()["prefecture"] == "27"
                continue
            assert response.status_code == 404, (user.username, name, response.status_code)
    assert Referral.objects.count() == 1


def test_no_clinician_page_or_api_answer_contains_victim_data(
    world: World, clinician_tokyo: User
) -> None:
    client = Client()
    client.force_login(clinician_tokyo)
    seen = 0
    for _name, method, url in pages(world):
        response = _call(client, method, url)
        assert response.status_code in (200, 302, 400, 404, 405)
        assert_no_markers(response.content, VICTIM_MARKERS)
        seen += response.status_code == 200
    for _name, method, url, body in api_calls(world):
        response = _call(client, method, url, body)
        assert_no_markers(response.content, VICTIM_MARKERS)
    for action in ("acknowledge", "schedule", "not_needed", "start", "session", "complete", "halt"):
        url = reverse("treatment:referral_act", args=[world.referral.pk, action])
        for data in ({}, {"date": "2016-07-02"}):
            response = client.post(url, data)
            assert response.status_code in (302, 400)
            assert_no_markers(response.content, VICTIM_MARKERS)
    response = client.post(reverse("treatment:referral_consent", args=[world.referral.pk]), {})
    assert response.status_code == 400
    assert_no_markers(response.content, VICTIM_MARKERS)
    detail = client.get(reverse("treatment:referral", args=[world.referral.pk]))
    assert "OFFENDER-NAME-MARKER" in detail.content.decode()
    assert seen >= 3


def test_clinician_cannot_open_case_pages(world: World, clinician_tokyo: User) -> None:
    client = Client()
    client.force_login(clinician_tokyo)
    assert client.get(reverse("cases:detail", args=[world.case.pk])).status_code == 404
