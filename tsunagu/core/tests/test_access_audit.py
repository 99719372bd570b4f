"""Reads of personal data and denials are audited, with user, path and prefecture."""

from __future__ import annotations

from typing import Any

from tsunagu.core.models import AuditEvent
from tsunagu.testing import client_for
from tsunagu.testing.builders import referred


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_opening_a_case_page_and_api_is_audited(make_case: Any, officer_tokyo: Any) -> None:
    case = make_case(officer_tokyo)
    client = client_for(officer_tokyo)
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    assert client.get(f"/api/v1/cases/{case.pk}").status_code == 200
    reads = events("read.case")
    assert len(reads) == 2
    assert {e.detail["path"] for e in reads} == {f"/cases/{case.pk}/", f"/api/v1/cases/{case.pk}"}
    assert all(e.actor == officer_tokyo and e.object_id == str(case.pk) for e in reads)
    assert all(e.prefecture_id == case.prefecture_id for e in reads)


def test_a_clinician_opening_a_referral_is_audited(
    officer_tokyo: Any, make_case: Any, clinic_tokyo: Any, clinician_tokyo: Any
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    client = client_for(clinician_tokyo)
    assert client.get(f"/treatment/referrals/{referral.pk}/").status_code == 200
    assert client.get(f"/api/v1/treatment/referrals/{referral.pk}").status_code == 200
    reads = events("read.referral")
    assert [e.actor for e in reads] == [clinician_tokyo, clinician_tokyo]
    assert reads[0].prefecture_id == referral.case.prefecture_id


def test_a_write_is_not_also_audited_as_a_read(make_case: Any, officer_tokyo: Any) -> None:
    case = make_case(officer_tokyo)
    client_for(officer_tokyo).post(f"/cases/{case.pk}/status/", {})
    assert events("read.case") == []


def test_a_drill_down_list_is_audited(officer_tokyo: Any) -> None:
    response = client_for(officer_tokyo).get("/cases/?measure=warning")
    assert response.status_code == 200
    (read,) = events("read.list")
    assert read.detail == {"path": "/cases/", "query": "measure=warning"}
    assert read.actor == officer_tokyo


def test_an_out_of_scope_case_is_a_denial_with_user_and_path(
    make_case: Any, officer_tokyo: Any, officer_osaka: Any
) -> None:
    case = make_case(officer_tokyo)
    for path in (f"/cases/{case.pk}/", f"/api/v1/cases/{case.pk}"):
        assert client_for(officer_osaka).get(path).status_code == 404
    denials = events("access.denied")
    assert [e.detail["path"] for e in denials] == [f"/cases/{case.pk}/", f"/api/v1/cases/{case.pk}"]
    assert all(e.actor == officer_osaka and e.detail["status"] == 404 for e in denials)
    assert all(e.prefecture_id == officer_osaka.prefecture_id for e in denials)
    assert events("read.case") == []


def test_a_refused_role_gate_is_a_denial(clinician_tokyo: Any) -> None:
    assert client_for(clinician_tokyo).get("/audit/").status_code == 404
    (denial,) = events("access.denied")
    assert denial.actor == clinician_tokyo and denial.detail["path"] == "/audit/"


def test_anonymous_requests_write_nothing(db: Any, client: Any) -> None:
    client.get("/cases/1/")
    assert not AuditEvent.objects.exists()


def test_the_report_drill_down_is_audited(officer_tokyo: Any) -> None:
    client = client_for(officer_tokyo)
    page = client.get("/reports/programme/episodes/", {"figure": "advised"})
    query = {"figure": "advised", "date_from": "2016-04-01", "date_to": "2016-12-31"}
    api = client.get("/api/v1/reports/programme/episodes", query)
    assert page.status_code == 200 and api.status_code == 200
    reads = events("read.list")
    assert [e.detail["path"] for e in reads] == [
        "/reports/programme/episodes/",
        "/api/v1/reports/programme/episodes",
    ]
    assert reads[0].detail["query"] == "figure=advised"
    assert reads[1].detail["query"].startswith("figure=advised&date_from=2016-04-01")
