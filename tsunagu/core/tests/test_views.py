from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tsunagu.cases import services as case_services
from tsunagu.core.models import AuditEvent, Region, Role, User
from tsunagu.testing import access_test, assert_no_markers, enrol_totp, totp_code
from tsunagu.testing.builders import PASSWORD, VICTIM_MARKERS

# --- log in -------------------------------------------------------------------------


def test_wrong_password_shows_a_clear_translated_message(client, officer_tokyo):
    response = client.post(reverse("core:login"), {"username": "officer-tokyo", "password": "x"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="alert"' in body
    assert "ユーザー名またはパスワードが正しくありません。" in body
    assert "フィールド" not in body and "大文字と小文字" not in body
    assert "_auth_user_id" not in client.session


def test_wrong_password_in_english(client, officer_tokyo):
    client.cookies["django_language"] = "en"
    response = client.post(reverse("core:login"), {"username": "officer-tokyo", "password": "x"})
    assert "The user name or the password is wrong." in response.content.decode()


def test_login_lands_an_officer_on_the_cases_home(client, officer_tokyo, make_case):
    case = make_case(officer_tokyo)
    device = enrol_totp(officer_tokyo)
    response = client.post(
        reverse("core:login"), {"username": "officer-tokyo", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0].startswith("/mfa/")
    response = client.post(response.redirect_chain[-1][0], {"code": totp_code(device)}, follow=True)
    assert case.ref in response.content.decode()


@access_test("core:home")
@pytest.mark.parametrize(
    ("who", "target"),
    [("admin_user", "core:users"), ("clinician_tokyo", None), ("analyst", None)],
)
def test_home_of_other_roles_shows_no_case(client, request, make_case, officer_tokyo, who, target):
    case = make_case(officer_tokyo)
    client.force_login(request.getfixturevalue(who))
    # Other roles are sent to their own start page (owned by other apps), never a case.
    response = client.get(reverse("core:home"))
    assert response.status_code in (200, 302)
    assert case.ref not in response.content.decode()
    assert_no_markers(response.content, VICTIM_MARKERS)
    if target:
        assert response["Location"] == reverse(target)


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("core:home"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- the audit log ---------------------------------------------------------------------


def _reveal(officer, case, reason="Safety check before a visit"):
    victim = case.people.get(role="victim")
    case_services.victim_reveal(actor=officer, person=victim, reason=reason)


@access_test("core:audit_log")
@pytest.mark.parametrize("who", ("officer_tokyo", "clinician_tokyo", "analyst"))
def test_audit_log_is_refused_to_officers_clinicians_and_analysts(db, client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("core:audit_log")).status_code == 404


def test_supervisor_sees_own_prefecture_only_with_reasons_and_no_victim_data(
    client, supervisor_tokyo, officer_tokyo, officer_osaka, make_case
):
    tokyo = make_case(officer_tokyo)
    osaka = make_case(officer_osaka, ref="OSAKA-1")
    _reveal(officer_tokyo, tokyo, "Tokyo reveal reason")
    _reveal(officer_osaka, osaka, "Osaka reveal reason")
    client.force_login(supervisor_tokyo)
    response = client.get(reverse("core:audit_log"))
    body = response.content.decode()
    assert "Tokyo reveal reason" in body and "Osaka reveal reason" not in body
    assert_no_markers(response.content, VICTIM_MARKERS)


def test_other_prefecture_supervisor_does_not_see_tokyo_events(
    client, supervisor_osaka, officer_tokyo, make_case
):
    tokyo = make_case(officer_tokyo)
    _reveal(officer_tokyo, tokyo, "Tokyo reveal reason")
    client.force_login(supervisor_osaka)
    response = client.get(reverse("core:audit_log"))
    assert response.status_code == 200
    assert "Tokyo reveal reason" not in response.content.decode()
    assert not response.context["rows"]


def test_audit_log_filters_by_action_user_and_dates(
    client, supervisor_tokyo, officer_tokyo, make_case
):
    case = make_case(officer_tokyo)
    _reveal(officer_tokyo, case)
    client.force_login(supervisor_tokyo)
    url = reverse("core:audit_log")

    def actions(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return [r["event"].action for r in response.context["rows"]]

    assert actions(action="person.reveal") == ["person.reveal"]
    assert set(actions(user="officer-tokyo")) == {"case.open", "person.reveal"}
    assert actions(user="nobody") == []
    today = timezone.localdate()
    assert len(actions(date_from=today.isoformat(), date_to=today.isoformat())) == 2
    assert actions(date_to=(today - dt.timedelta(days=1)).isoformat()) == []
    bad = client.get(url, {"date_from": "2020-02-31"})
    assert bad.status_code == 200 and bad.context["form"].errors["date_from"]


def test_audit_log_query_budget(
    client, supervisor_tokyo, officer_tokyo, make_case, django_assert_max_num_queries
):
    for i in range(20):
        make_case(officer_tokyo, ref=f"AU-{i}")
    client.force_login(supervisor_tokyo)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("core:audit_log"))
    assert len(response.context["rows"]) == 20


def test_admin_audit_log_has_account_events_but_no_case_events(
    client, admin_user, officer_tokyo, make_case
):
    make_case(officer_tokyo)
    client.force_login(admin_user)
    client.post(reverse("core:user_password", args=[officer_tokyo.pk]), _pw("a-new-long-secret-42"))
    response = client.get(reverse("core:audit_log"))
    actions = [r["event"].action for r in response.context["rows"]]
    assert actions == ["user.password_reset"]


# --- the administrator's user screens ----------------------------------------------------


def _pw(value):
    return {"password1": value, "password2": value}


@access_test("core:users", "core:user_new", "core:user_edit", "core:user_password")
@pytest.mark.parametrize("who", ("officer_tokyo", "supervisor_tokyo", "clinician_tokyo", "analyst"))
def test_user_screens_are_for_administrators_only(client, request, officer_osaka, who):
    client.force_login(request.getfixturevalue(who))
    for name, args in [
        ("core:users", []),
        ("core:user_new", []),
        ("core:user_edit", [officer_osaka.pk]),
        ("core:user_password", [officer_osaka.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404
        assert client.post(reverse(name, args=args), _pw("x" * 20)).status_code == 404
    officer_osaka.refresh_from_db()
    assert officer_osaka.check_password(PASSWORD)


def test_admin_lists_creates_edits_and_resets(client, admin_user, clinic_tokyo, supervisor_tokyo):
    """Every change the administrator asks for waits for a Tokyo supervisor's approval."""
    client.force_login(admin_user)
    assert client.get(reverse("core:users")).status_code == 200
    station = Region.objects.get(code="13-003")
    created = client.post(
        reverse("core:user_new"),
        {
            "username": "officer-new",
            "last_name": "新人",
            "first_name": "太郎",
            "role": Role.OFFICER,
            "region": station.pk,
            **_pw("a-long-enough-secret-7"),
        },
    )
    assert created.status_code == 302
    user = User.objects.get(username="officer-new")
    assert user.prefecture and user.prefecture.code == "13"
    assert not user.is_active and not user.check_password("a-long-enough-secret-7")
    edited = client.post(
        reverse("core:user_edit", args=[user.pk]),
        {"username": "officer-new", "role": Role.SUPERVISOR, "region": station.parent_id},
    )
    assert edited.status_code == 302
    user.refresh_from_db()
    assert user.role == Role.OFFICER and not user.is_active
    reset = client.post(reverse("core:user_password", args=[user.pk]))
    assert reset.status_code == 302
    pending = list(user.pending_changes.values_list("kind", "status").order_by("kind"))
    assert pending == [("create", "pending"), ("password", "pending"), ("update", "pending")]
    listed = client.get(reverse("core:users")).content.decode()
    assert reverse("core:approvals") in listed
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"user.create", "user.update", "user.password_reset"} <= actions
    assert not any("secret" in str(e.detail) for e in AuditEvent.objects.all())


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"role": Role.OFFICER}, "region"),
        ({"role": Role.CLINICIAN}, "clinic"),
        ({"role": Role.OFFICER, "region": "JP"}, "region"),
        ({"role": Role.ANALYST, "region": "13"}, "region"),
        ({"role": "", "region": "13"}, "role"),
    ],
)
def test_inconsistent_account_is_refused_on_the_field(client, admin_user, data, field):
    client.force_login(admin_user)
    if "region" in data:
        data["region"] = Region.objects.get(code=data["region"]).pk
    response = client.post(
        reverse("core:user_new"), {"username": "u1", **data, **_pw("a-long-enough-secret-7")}
    )
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not User.objects.filter(username="u1").exists()


def test_weak_or_mismatched_password_is_refused(client, officer_tokyo):
    client.force_login(officer_tokyo)
    url = reverse("core:own_password")
    short = client.post(url, {"current": PASSWORD, **_pw("short")})
    assert short.status_code == 400 and short.context["form"].errors["password2"]
    differ = client.post(
        url,
        {"current": PASSWORD, "password1": "a-long-enough-1x", "password2": "a-long-enough-2x"},
    )
    assert differ.status_code == 400 and differ.context["form"].errors["password2"]
    officer_tokyo.refresh_from_db()
    assert officer_tokyo.check_password(PASSWORD)


def test_admin_cannot_deactivate_themselves(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("core:user_edit", args=[admin_user.pk]), {"username": "admin", "role": Role.ADMIN}
    )
    assert response.status_code == 400
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_admin_gets_404_on_case_pages_and_api(client, admin_user, officer_tokyo, make_case):
    case = make_case(officer_tokyo)
    client.force_login(admin_user)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    assert client.get(reverse("cases:list")).status_code == 404
    assert client.get(reverse("api:cases_detail", args=[case.pk])).status_code == 404
    assert client.get(reverse("api:cases_list")).status_code == 404


def test_language_switch_to_english(client, officer_tokyo):
    client.force_login(officer_tokyo)
    assert "事案" in client.get(reverse("cases:list")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/cases/"})
    body = client.get(reverse("cases:list")).content.decode()
    assert "Case reference" in body and 'lang="en"' in body


def test_user_list_query_budget(client, admin_user, clinic_tokyo, django_assert_max_num_queries):
    station = Region.objects.get(code="13-003")
    for i in range(25):
        User.objects.create_user(f"user-{i:02d}", role=Role.OFFICER, region=station)
    client.force_login(admin_user)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("core:users"))
    assert "user-24" in response.content.decode()
