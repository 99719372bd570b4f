"""Pages and panels of the loop, as officers, supervisors and clinicians use them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from tsunagu.cases.models import Case, Event
from tsunagu.core.models import User
from tsunagu.testing import client_for
from tsunagu.testing.builders import D, accepted, advised, referred, started
from tsunagu.treatment import loop, panels
from tsunagu.treatment.models import Clinic, FollowUp, Referral, clinic_of

pytestmark = pytest.mark.django_db


def panel_html(user: User, case: Case) -> str:
    request = RequestFactory().get("/")
    request.user = user
    context = panels.case_panel_context(request, case)  # type: ignore[arg-type]
    return render_to_string("treatment/_case_panel.html", context, request=request)


def home_context(user: User) -> dict[str, Any]:
    request = RequestFactory().get("/")
    request.user = user
    return panels.officer_home_context(request)  # type: ignore[arg-type]


def test_officer_advises_and_refers_through_the_panel_forms(
    officer_tokyo: User, make_case: Callable[..., Case], clinic_tokyo: Clinic
) -> None:
    case = make_case(officer_tokyo)
    client = client_for(officer_tokyo)
    detail = reverse("cases:detail", args=[case.pk])
    response = client.post(
        reverse("treatment:advise", args=[case.pk]),
        {"date": "2016-06-01", "method": "leaflet", "advised_by": officer_tokyo.pk},
    )
    assert response.status_code == 302 and response["Location"].startswith(detail)
    client.post(
        reverse("treatment:respond", args=[case.pk]),
        {"date": "2016-06-01", "response": "accepted"},
    )
    for direction in ("police_to_clinic", "clinic_to_police"):
        client.post(
            reverse("treatment:consent", args=[case.pk]),
            {"date": "2016-06-01", "direction": direction, "given": "1", "method": "written"},
        )
    response = client.post(
        reverse("treatment:refer", args=[case.pk]),
        {
            "date": "2016-06-02",
            "clinic": clinic_tokyo.pk,
            "summary": "平日夜の受診を希望。",
            "confirmed": "1",
        },
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert (referral.clinic, referral.advised_on, referral.stage) == (
        clinic_tokyo,
        D(2016, 6, 1),
        "sent",
    )
    assert "新宿こころのクリニック" in panel_html(officer_tokyo, case)


def test_referral_without_consent_shows_the_error_and_writes_nothing(
    officer_tokyo: User, make_case: Callable[..., Case], clinic_tokyo: Clinic
) -> None:
    case = make_case(officer_tokyo)
    advised(officer_tokyo, case)
    loop.advice_respond(actor=officer_tokyo, case=case, date=D(2016, 6, 1), response="accepted")
    before = Event.objects.count()
    response = client_for(officer_tokyo).post(
        reverse("treatment:refer", args=[case.pk]),
        {"date": "2016-06-02", "clinic": clinic_tokyo.pk, "summary": "x", "confirmed": "1"},
    )
    assert response.status_code == 400
    assert "警察から医療機関への情報提供の同意が記録されていません。" in response.content.decode()
    assert Event.objects.count() == before and not Referral.objects.exists()


def test_rejection_without_reason_names_the_field(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(officer_tokyo)
    advised(officer_tokyo, case)
    response = client_for(officer_tokyo).post(
        reverse("treatment:respond", args=[case.pk]),
        {"date": "2016-06-01", "response": "rejected"},
    )
    assert response.status_code == 400
    assert 'id="id_reason_errors"' in response.content.decode()


def test_future_date_is_refused_next_to_the_field(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(officer_tokyo)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client_for(officer_tokyo).post(
        reverse("treatment:advise", args=[case.pk]),
        {"date": tomorrow.isoformat(), "method": "phone", "advised_by": officer_tokyo.pk},
    )
    assert response.status_code == 400
    assert 'id="id_date_errors"' in response.content.decode()


def test_clinician_acknowledges_and_starts_and_the_officer_sees_it(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    clinic = client_for(clinician_tokyo)
    portal = clinic.get(reverse("treatment:portal")).content.decode()
    assert "OFFENDER-NAME-MARKER" in portal
    url = reverse("treatment:referral_act", args=[referral.pk, "acknowledge"])
    assert clinic.post(url, {"date": "2016-06-03"}).status_code == 302
    url = reverse("treatment:referral_act", args=[referral.pk, "schedule"])
    response = clinic.post(url, {"date": "2016-06-03"})
    assert response.status_code == 400 and "id_appointment_on_errors" in response.content.decode()
    clinic.post(url, {"date": "2016-06-03", "appointment_on": "2016-06-10"})
    url = reverse("treatment:referral_act", args=[referral.pk, "start"])
    assert clinic.post(url, {"date": "2016-06-10"}).status_code == 302
    html = panel_html(officer_tokyo, referral.case)
    assert "治療継続中" in html or "In treatment" in html or "治療中" in html
    page = client_for(officer_tokyo).get(reverse("treatment:referral", args=[referral.pk]))
    assert 'id="referral-stage"' in page.content.decode()


def test_invalid_transition_is_shown_not_500(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    response = client_for(clinician_tokyo).post(
        reverse("treatment:referral_act", args=[referral.pk, "complete"]),
        {"date": "2016-06-05", "confirm": "on"},
    )
    assert response.status_code == 400
    assert (
        "その日付の紹介の段階（紹介済み・医療機関の回答待ち）ではできません。"
        in response.content.decode()
    )


def test_after_withdrawal_police_see_only_the_withdrawal(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    loop.referral_act(
        actor=clinician_tokyo, referral=referral, action="acknowledge", date=D(2016, 6, 3)
    )
    loop.consent_record(
        actor=officer_tokyo,
        case=referral.case,
        date=D(2016, 6, 4),
        direction="clinic_to_police",
        given=False,
    )
    loop.referral_act(
        actor=clinician_tokyo,
        referral=referral,
        action="schedule",
        date=D(2016, 6, 5),
        appointment_on=D(2016, 6, 10),
    )
    loop.referral_act(actor=clinician_tokyo, referral=referral, action="start", date=D(2016, 6, 10))
    officer = client_for(officer_tokyo)
    page = officer.get(reverse("treatment:referral", args=[referral.pk])).content.decode()
    assert "2016-06-04" in page
    assert "2016-06-10" not in page  # neither the appointment nor the start
    api = officer.get(f"/api/v1/treatment/referrals/{referral.pk}").json()
    assert api["stage"] == "consent_withdrawn"
    assert api["appointment_on"] is None
    assert {e["type"] for e in api["events"]}.isdisjoint(
        {"treatment_started", "appointment_scheduled"}
    )
    case_api = officer.get(f"/api/v1/treatment/cases/{referral.case_id}").json()
    assert case_api["episodes"][0]["referral_stage"] == "acknowledged"
    assert "2016-06-10" not in panel_html(officer_tokyo, referral.case)
    # The clinic still sees its own work.
    clinic_page = client_for(clinician_tokyo).get(reverse("treatment:referral", args=[referral.pk]))
    assert "2016-06-10" in clinic_page.content.decode()


def test_recurrence_during_open_referral_flags_the_clinic_without_details(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    started(clinician_tokyo, referral)
    loop.recurrence_record(
        actor=officer_tokyo,
        case=referral.case,
        date=D(2016, 7, 1),
        victim="new_victim",
        sign="warning",
    )
    clinic = client_for(clinician_tokyo)
    rows = panels.referral_rows(Referral.objects.visible_to(clinician_tokyo), clinician_tokyo)
    assert rows[0].contact_flag
    page = clinic.get(reverse("treatment:referral", args=[referral.pk])).content.decode()
    assert "new_victim" not in page and "Warning" not in page and "警告" not in page
    clinic.post(reverse("treatment:referral_contacted", args=[referral.pk]))
    rows = panels.referral_rows(Referral.objects.visible_to(clinician_tokyo), clinician_tokyo)
    assert not rows[0].contact_flag
    html = panel_html(officer_tokyo, referral.case)
    assert "2016-07-01" in html
    ctx = panels.case_panel_context(_req(officer_tokyo), referral.case)
    assert [phase for _ev, phase in ctx["recurrences"]] == ["continuing"]
    assert [phase for _ev, phase in ctx["episodes"][0].recurrences] == ["continuing"]


def _req(user: User) -> Any:
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_home_lists_due_and_overdue_followups_and_closing_removes_them(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    today = timezone.localdate()
    case = make_case(officer_tokyo, opened_on=today - dt.timedelta(days=40))
    overdue = loop.followup_plan(
        actor=officer_tokyo,
        case=case,
        source_type="consultation",
        source_date=case.opened_on,
        due_on=today - dt.timedelta(days=2),
        history=True,
    )
    loop.followup_plan(
        actor=officer_tokyo,
        case=case,
        source_type="consultation",
        source_date=case.opened_on,
        due_on=today + dt.timedelta(days=3),
    )
    loop.followup_plan(
        actor=officer_tokyo,
        case=case,
        source_type="consultation",
        source_date=case.opened_on,
        due_on=today + dt.timedelta(days=60),
    )
    ctx = home_context(officer_tokyo)
    assert [f.pk for f in ctx["followups_overdue"]] == [overdue.pk]
    assert len(ctx["followups_due"]) == 1
    html = render_to_string("treatment/_officer_home.html", ctx)
    assert case.ref in html
    response = client_for(officer_tokyo).post(
        reverse("treatment:followup_done", args=[overdue.pk]),
        {"date": today.isoformat(), "outcome": "本人と面談、接触なし"},
    )
    assert response.status_code == 302
    assert home_context(officer_tokyo)["followups_overdue"] == []


def test_proposed_followup_is_confirmed_with_a_moved_date(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    today = timezone.localdate()
    case = make_case(officer_tokyo, opened_on=today - dt.timedelta(days=10))
    loop.recurrence_record(
        actor=officer_tokyo,
        case=case,
        date=today - dt.timedelta(days=5),
        victim="same_victim",
        sign="warning",
    )
    ctx = panels.case_panel_context(_req(officer_tokyo), case)
    assert [p.offset_days for p in ctx["proposals"]] == [30, 90]
    p = ctx["proposals"][0]
    moved = p.due_on + dt.timedelta(days=2)
    client_for(officer_tokyo).post(
        reverse("treatment:followup_plan", args=[case.pk]),
        {
            "source_type": p.source_type,
            "source_date": p.source_date.isoformat(),
            "offset_days": p.offset_days,
            "due_on": moved.isoformat(),
        },
    )
    assert FollowUp.objects.get().due_on == moved
    ctx = panels.case_panel_context(_req(officer_tokyo), case)
    assert [p.offset_days for p in ctx["proposals"]] == [90]


def test_contact_while_condition_active_is_flagged_on_home(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    today = timezone.localdate()
    case = make_case(officer_tokyo, opened_on=today - dt.timedelta(days=30))
    client_for(officer_tokyo).post(
        reverse("treatment:condition", args=[case.pk]),
        {
            "date": (today - dt.timedelta(days=20)).isoformat(),
            "kind": "prohibition_order",
            "expires_on": (today + dt.timedelta(days=300)).isoformat(),
        },
    )
    assert home_context(officer_tokyo)["condition_flags"] == []
    loop.recurrence_record(
        actor=officer_tokyo,
        case=case,
        date=today - dt.timedelta(days=2),
        victim="same_victim",
        sign="contact_report",
    )
    flags = home_context(officer_tokyo)["condition_flags"]
    assert [(f.case.pk, f.condition.kind) for f in flags] == [(case.pk, "prohibition_order")]


def test_overdue_referral_shows_on_home_and_to_the_clinic(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    ctx = home_context(officer_tokyo)
    assert [r.referral.pk for r in ctx["referrals_overdue"]] == [referral.pk]
    portal = client_for(clinician_tokyo).get(reverse("treatment:portal")).content.decode()
    assert "badge bad" in portal
    loop.referral_act(
        actor=clinician_tokyo, referral=referral, action="acknowledge", date=D(2016, 6, 3)
    )
    assert home_context(officer_tokyo)["referrals_overdue"] == []


def test_no_clinic_with_room_is_warned(
    officer_tokyo: User, make_case: Callable[..., Case], clinic_tokyo: Clinic
) -> None:
    assert not home_context(officer_tokyo)["no_clinic_has_room"]
    Clinic.objects.filter(pk=clinic_tokyo.pk).update(accepting=False)
    assert home_context(officer_tokyo)["no_clinic_has_room"]
    page = client_for(officer_tokyo).get(reverse("treatment:clinics")).content.decode()
    assert 'role="alert"' in page


def test_suggestions_put_clinics_with_room_and_near_the_station_first(
    officer_tokyo: User, make_case: Callable[..., Case], clinic_tokyo: Clinic, tokyo: Any
) -> None:
    case = make_case(officer_tokyo)
    near = Clinic.objects.create(
        code="13-C002", prefecture=tokyo, name="Z 新宿駅前", monthly_capacity=3
    )
    Case.objects.filter(pk=case.pk).update(station=officer_tokyo.region)
    case.refresh_from_db()
    assert officer_tokyo.region is not None
    near.nearest_stations.add(officer_tokyo.region)
    full = Clinic.objects.create(
        code="13-C003", prefecture=tokyo, name="A 満員", monthly_capacity=0
    )
    order = [c.code for c in panels.clinic_suggestions(case)]
    assert order == [near.code, clinic_tokyo.code, full.code]


def test_supervisor_adds_a_clinic_and_a_clinician_account(
    supervisor_tokyo: User, tokyo: Any
) -> None:
    client = client_for(supervisor_tokyo)
    response = client.post(
        reverse("treatment:clinic_new"),
        {
            "code": "13-C010",
            "name": "池袋メンタルクリニック",
            "kind": "clinic",
            "languages": "ja,en",
            "monthly_capacity": 3,
            "accepting": "on",
        },
    )
    assert response.status_code == 302
    clinic = Clinic.objects.get(code="13-C010")
    response = client.post(
        reverse("treatment:clinic_staff", args=[clinic.pk]),
        {"op": "create", "username": "dr-ikebukuro", "full_name": "池袋 太郎"},
    )
    assert response.status_code == 200
    assert 'id="temp-password"' in response.content.decode()
    user = User.objects.get(username="dr-ikebukuro")
    assert clinic_of(user) == clinic and user.is_clinician
    again = client.get(reverse("treatment:clinic", args=[clinic.pk])).content.decode()
    assert 'id="temp-password"' not in again
    duplicate = client.post(
        reverse("treatment:clinic_new"),
        {"code": "13-C010", "name": "x", "kind": "clinic", "monthly_capacity": 1},
    )
    assert duplicate.status_code == 400


def test_officer_cannot_edit_clinics(officer_tokyo: User, clinic_tokyo: Clinic) -> None:
    client = client_for(officer_tokyo)
    assert client.get(reverse("treatment:clinic", args=[clinic_tokyo.pk])).status_code == 200
    assert client.get(reverse("treatment:clinic_edit", args=[clinic_tokyo.pk])).status_code == 404


def test_supervisor_edits_intervals(supervisor_tokyo: User) -> None:
    client = client_for(supervisor_tokyo)
    bad = client.post(
        reverse("treatment:intervals"), {"warning": "x", "order": "30", "treatment": ""}
    )
    assert bad.status_code == 400 and "id_warning_errors" in bad.content.decode()
    client.post(
        reverse("treatment:intervals"), {"warning": "14", "order": "30, 180", "treatment": ""}
    )
    assert loop.intervals_for(supervisor_tokyo.prefecture_id)["order"] == [30, 180]


def test_api_refusal_is_422_naming_the_field(
    officer_tokyo: User, make_case: Callable[..., Case], clinic_tokyo: Clinic
) -> None:
    case = make_case(officer_tokyo)
    accepted(officer_tokyo, case)
    client = client_for(officer_tokyo)
    response = client.post(
        f"/api/v1/treatment/cases/{case.pk}/referrals",
        data=json.dumps({"date": "2016-06-02", "clinic": "13-C001", "summary": ""}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "summary"
    response = client.post(
        f"/api/v1/treatment/cases/{case.pk}/response",
        data=json.dumps({"date": "not a date", "response": "accepted"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "date" in json.dumps(response.json())


def test_api_runs_the_loop(
    officer_tokyo: User, make_case: Callable[..., Case], clinic_tokyo: Clinic, clinician_tokyo: User
) -> None:
    case = make_case(officer_tokyo)
    police, clinic = client_for(officer_tokyo), client_for(clinician_tokyo)

    def post(client: Client, url: str, body: dict[str, Any]) -> Any:
        return client.post(
            f"/api/v1/treatment{url}", data=json.dumps(body), content_type="application/json"
        )

    assert (
        post(
            police, f"/cases/{case.pk}/advice", {"date": "2016-06-01", "method": "phone"}
        ).status_code
        == 201
    )
    post(police, f"/cases/{case.pk}/response", {"date": "2016-06-01", "response": "accepted"})
    post(
        police,
        f"/cases/{case.pk}/consent",
        {"date": "2016-06-01", "direction": "police_to_clinic", "given": True, "method": "written"},
    )
    sent = post(
        police,
        f"/cases/{case.pk}/referrals",
        {"date": "2016-06-02", "clinic": "13-C001", "summary": "s"},
    )
    assert sent.status_code == 201
    rid = sent.json()["id"]
    listed = clinic.get("/api/v1/treatment/referrals").json()["results"]
    assert [r["id"] for r in listed] == [rid]
    assert listed[0]["case_id"] is None and listed[0]["offender"]["name"] == "OFFENDER-NAME-MARKER"
    assert (
        post(clinic, f"/referrals/{rid}/actions/acknowledge", {"date": "2016-06-03"}).status_code
        == 200
    )
    bad = post(clinic, f"/referrals/{rid}/actions/start", {"date": "2016-06-04"})
    assert bad.status_code == 422
    post(
        clinic,
        f"/referrals/{rid}/actions/schedule",
        {"date": "2016-06-04", "appointment_on": "2016-06-08"},
    )
    done = post(clinic, f"/referrals/{rid}/actions/start", {"date": "2016-06-08"})
    assert done.json()["stage"] == "in_treatment"
    assert police.get(f"/api/v1/treatment/referrals/{rid}").json()["stage"] == "in_treatment"


# --- query budgets ------------------------------------------------------------------


def _many_referrals(officer: User, make_case: Callable[..., Case], clinic: Clinic, n: int) -> None:
    for i in range(n):
        referred(officer, make_case, clinic, on=D(2016, 6, 2) + dt.timedelta(days=i))


def test_clinician_work_list_has_a_query_budget(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
    django_assert_max_num_queries: Any,
) -> None:
    _many_referrals(officer_tokyo, make_case, clinic_tokyo, 8)
    client = client_for(clinician_tokyo)
    # 11: the header probes for unread notices, then counts the visible ones.
    with django_assert_max_num_queries(11):
        response = client.get(reverse("treatment:portal"))
    assert response.content.decode().count("OFFENDER-NAME-MARKER") == 8


def test_police_referral_list_has_a_query_budget(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    django_assert_max_num_queries: Any,
) -> None:
    _many_referrals(officer_tokyo, make_case, clinic_tokyo, 8)
    client = client_for(officer_tokyo)
    with django_assert_max_num_queries(11):
        response = client.get(reverse("treatment:referrals"))
    assert response.status_code == 200
    with django_assert_max_num_queries(10):
        page = client.get("/api/v1/treatment/referrals").json()
    assert len(page["results"]) == 8 and page["count"] == 8


def test_clinic_directory_has_a_query_budget(
    supervisor_tokyo: User, tokyo: Any, clinician_tokyo: User, django_assert_max_num_queries: Any
) -> None:
    for i in range(2, 10):
        clinic = Clinic.objects.create(code=f"13-C{i:03d}", prefecture=tokyo, name=f"C{i}")
        clinic.nearest_stations.add(tokyo.children.get(code="13-001"))
    client = client_for(supervisor_tokyo)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("treatment:clinics"))
    assert response.content.decode().count("13-C0") >= 9
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/treatment/clinics").json()["count"] == 9


def test_clinician_records_and_withdraws_consent_to_inform_the_police(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    clinic = client_for(clinician_tokyo)
    url = reverse("treatment:referral_consent", args=[referral.pk])
    response = clinic.post(url, {"date": "2016-06-05", "given": "0"})
    assert response.status_code == 302
    assert (
        "2016-06-05"
        in client_for(officer_tokyo)
        .get(reverse("treatment:referral", args=[referral.pk]))
        .content.decode()
    )
    again = clinic.post(url, {"date": "2016-06-06", "given": "0"})
    assert again.status_code == 400


def test_police_referral_filters_are_shared_by_page_and_api(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    first = referred(officer_tokyo, make_case, clinic_tokyo)
    second = referred(officer_tokyo, make_case, clinic_tokyo)
    started(clinician_tokyo, second)
    client = client_for(officer_tokyo)
    api = client.get("/api/v1/treatment/referrals?stage=overdue").json()["results"]
    assert [r["id"] for r in api] == [first.pk]
    api = client.get("/api/v1/treatment/referrals?stage=in_treatment").json()["results"]
    assert [r["id"] for r in api] == [second.pk]
    page = client.get(reverse("treatment:referrals") + "?stage=overdue").content.decode()
    assert first.case.ref in page and second.case.ref not in page


def test_clinic_with_referrals_cannot_be_removed(
    officer_tokyo: User,
    supervisor_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    tokyo: Any,
) -> None:
    referred(officer_tokyo, make_case, clinic_tokyo)
    client = client_for(supervisor_tokyo)
    client.post(reverse("treatment:clinic_delete", args=[clinic_tokyo.pk]))
    assert Clinic.objects.filter(pk=clinic_tokyo.pk).exists()
    spare = Clinic.objects.create(code="13-C050", prefecture=tokyo, name="spare")
    client.post(reverse("treatment:clinic_delete", args=[spare.pk]))
    assert not Clinic.objects.filter(pk=spare.pk).exists()


def test_officer_home_panel_has_a_query_budget(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    django_assert_max_num_queries: Any,
) -> None:
    today = timezone.localdate()
    for i in range(5):
        referred(officer_tokyo, make_case, clinic_tokyo, on=D(2016, 6, 2) + dt.timedelta(days=i))
        case = make_case(officer_tokyo, opened_on=today - dt.timedelta(days=30))
        loop.condition_set(
            actor=officer_tokyo,
            case=case,
            date=today - dt.timedelta(days=20),
            kind="no_contact",
            expires_on=None,
        )
        loop.recurrence_record(
            actor=officer_tokyo,
            case=case,
            date=today - dt.timedelta(days=3),
            victim="same_victim",
            sign="contact_report",
        )
        loop.followup_plan(
            actor=officer_tokyo,
            case=case,
            source_type="consultation",
            source_date=case.opened_on,
            due_on=today - dt.timedelta(days=1),
            history=True,
        )
    with django_assert_max_num_queries(10):
        ctx = home_context(officer_tokyo)
        html = render_to_string("treatment/_officer_home.html", ctx)
    assert len(ctx["referrals_overdue"]) == 5
    assert len(ctx["condition_flags"]) == 5
    assert len(ctx["followups_overdue"]) == 5
    assert html.count("badge bad") >= 15


def test_home_lists_proposals_due_until_the_officer_plans_them(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    today = timezone.localdate()
    case = make_case(officer_tokyo, opened_on=today - dt.timedelta(days=60))
    Case.objects.filter(pk=case.pk).update(station=officer_tokyo.region)
    loop.recurrence_record(
        actor=officer_tokyo,
        case=case,
        date=today - dt.timedelta(days=32),
        victim="same_victim",
        sign="warning",
    )
    due = home_context(officer_tokyo)["proposals_due"]
    assert [(d.case.pk, d.proposal.offset_days) for d in due] == [(case.pk, 30)]
    p = due[0].proposal
    client_for(officer_tokyo).post(
        reverse("treatment:followup_plan", args=[case.pk]),
        {
            "source_type": p.source_type,
            "source_date": p.source_date.isoformat(),
            "offset_days": p.offset_days,
            "due_on": today.isoformat(),
        },
    )
    ctx = home_context(officer_tokyo)
    assert ctx["proposals_due"] == []
    assert [f.case_id for f in ctx["followups_due"]] == [case.pk]


def test_supervisor_attaches_and_detaches_a_clinician(
    supervisor_tokyo: User, clinic_tokyo: Clinic
) -> None:
    loose = User.objects.create_user("dr-loose", password="x" * 16, role="clinician")
    client = client_for(supervisor_tokyo)
    url = reverse("treatment:clinic_staff", args=[clinic_tokyo.pk])
    assert client.post(url, {"op": "attach", "user": loose.pk}).status_code == 302
    assert clinic_of(loose) == clinic_tokyo
    assert client.post(url, {"op": "detach", "user": "nonsense"}).status_code == 404
    assert client.post(url, {"op": "detach", "user": loose.pk}).status_code == 302
    assert clinic_of(loose) is None


def test_api_contact_request_flags_the_clinic_until_it_answers(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    police, clinic = client_for(officer_tokyo), client_for(clinician_tokyo)
    base = "/api/v1/treatment"
    body = json.dumps({"date": "2016-06-04"})
    response = police.post(
        f"{base}/cases/{referral.case_id}/contact-request",
        data=body,
        content_type="application/json",
    )
    assert response.status_code == 201
    assert clinic.get(f"{base}/referrals/{referral.pk}").json()["police_ask_contact"] is True
    answered = clinic.post(
        f"{base}/referrals/{referral.pk}/contacted", data=body, content_type="application/json"
    )
    assert answered.json()["police_ask_contact"] is False
    consent = clinic.post(
        f"{base}/referrals/{referral.pk}/consent",
        data=json.dumps({"date": "2016-06-05", "given": False}),
        content_type="application/json",
    )
    assert consent.status_code == 200
    assert police.get(f"{base}/referrals/{referral.pk}").json()["stage"] == "consent_withdrawn"


def test_openapi_documents_the_treatment_operations(officer_tokyo: User) -> None:
    paths = client_for(officer_tokyo).get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/treatment/referrals/{referral_id}/actions/{action}" in paths
    assert "/api/v1/treatment/cases/{case_id}/referrals" in paths
