"""API semantics: strict dates with lower bounds, PUT replaces and PATCH changes,
paging with a total, no control characters, follow-ups and conditions."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.utils import timezone

from tsunagu.cases.models import Event
from tsunagu.core.models import AuditEvent
from tsunagu.testing import client_for
from tsunagu.testing.builders import referred
from tsunagu.treatment.models import Clinic, FollowUp

API = "/api/v1/treatment"


def send(client: Any, method: str, url: str, body: Any) -> Any:
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def test_dates_are_iso_only_and_not_before_the_referral(
    officer_tokyo, make_case, clinic_tokyo, clinician_tokyo
):
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    clinic = client_for(clinician_tokyo)
    url = f"{API}/referrals/{referral.pk}/contacted"
    for bad in (0, 20160701, "2016-07-01T00:00:00", "2016/07/01", "1 July 2016"):
        response = send(clinic, "post", url, {"date": bad})
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"] == ["body", "date"]
    before = send(clinic, "post", url, {"date": "2016-06-01"})  # sent on 2016-06-02
    assert before.status_code == 422 and before.json()["detail"][0]["loc"] == ["body", "date"]
    referral.refresh_from_db()
    assert referral.contact_answered_on is None
    assert send(clinic, "post", url, {"date": "2016-06-03"}).status_code == 200


def test_put_needs_every_field_and_patch_keeps_the_others(supervisor_tokyo, clinic_tokyo):
    Clinic.objects.filter(pk=clinic_tokyo.pk).update(specialties="DV", fee_notes="保険適用")
    boss = client_for(supervisor_tokyo)
    url = f"{API}/clinics/{clinic_tokyo.pk}/edit"
    partial = send(boss, "put", url, {"code": clinic_tokyo.code, "name": "New"})
    assert partial.status_code == 422
    missing = {item["loc"][1] for item in partial.json()["detail"]}
    assert {"specialties", "fee_notes", "monthly_capacity"} <= missing
    clinic_tokyo.refresh_from_db()
    assert clinic_tokyo.specialties == "DV"
    patched = send(boss, "patch", url, {"name": "New name"})
    assert patched.status_code == 200, patched.content
    clinic_tokyo.refresh_from_db()
    assert (clinic_tokyo.name, clinic_tokyo.specialties) == ("New name", "DV")
    assert clinic_tokyo.fee_notes == "保険適用"
    control = send(boss, "patch", url, {"code": "13-C\x1b001"})
    assert control.status_code == 422 and control.json()["detail"][0]["loc"] == ["body", "code"]
    tab_name = send(boss, "patch", url, {"name": "A\tB"})
    assert tab_name.status_code == 422


def test_clinic_list_is_paged_with_a_total(
    officer_tokyo, clinic_tokyo, django_assert_max_num_queries
):
    client = client_for(officer_tokyo)
    with django_assert_max_num_queries(12):
        data = client.get(f"{API}/clinics").json()
    assert data["count"] == 1 and data["page"] == 1 and data["pages"] == 1
    assert data["results"][0]["code"] == clinic_tokyo.code
    assert client.get(f"{API}/clinics", {"page": 2}).status_code == 422


def test_conditions_and_follow_ups_through_the_api(officer_tokyo, make_case, clinic_tokyo):
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    case = referral.case
    client = client_for(officer_tokyo)
    body = {"date": "2016-06-05", "kind": "no_contact", "expires_on": "2016-12-31"}
    created = send(client, "post", f"{API}/cases/{case.pk}/conditions", body)
    assert created.status_code == 201, created.content
    assert created.json() == [
        {
            "kind": "no_contact",
            "starts_on": "2016-06-05",
            "expires_on": "2016-12-31",
            "ended_on": None,
        }
    ]
    again = send(client, "post", f"{API}/cases/{case.pk}/conditions", body)
    assert again.status_code == 422 and again.json()["detail"][0]["loc"] == ["body", "kind"]
    ended = send(
        client,
        "post",
        f"{API}/cases/{case.pk}/conditions/end",
        {"date": "2016-07-01", "kind": "no_contact"},
    )
    assert ended.status_code == 201 and ended.json()[0]["ended_on"] == "2016-07-01"
    assert Event.objects.filter(case=case, type__startswith="condition_").count() == 2

    warning = send(
        client, "post", f"/api/v1/cases/{case.pk}/events", {"date": "2016-06-01", "type": "warning"}
    )
    assert warning.status_code == 201, warning.content
    plan = {"source_type": "warning", "source_date": "2016-06-01", "due_on": "2016-09-01"}
    past = send(client, "post", f"{API}/cases/{case.pk}/followups", plan)
    # A check is planned for today or later, by the API as on the pages.
    assert past.status_code == 422 and past.json()["detail"][0]["loc"] == ["body", "due_on"]
    plan["due_on"] = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    planned = send(client, "post", f"{API}/cases/{case.pk}/followups", plan)
    assert planned.status_code == 201, planned.content
    followup_id = planned.json()["id"]
    listing = client.get(f"{API}/followups", {"case_id": case.pk, "open_only": True}).json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == followup_id
    early = send(client, "post", f"{API}/followups/{followup_id}/done", {"date": "2016-05-01"})
    assert early.status_code == 422
    done = send(
        client,
        "post",
        f"{API}/followups/{followup_id}/done",
        {"date": "2016-09-01", "outcome": "OK"},
    )
    assert done.status_code == 200 and done.json()["done_on"] == "2016-09-01"
    assert FollowUp.objects.get(pk=followup_id).done_on is not None
    assert AuditEvent.objects.filter(action="followup.plan").exists()
