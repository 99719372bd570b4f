"""Separation of duties: account changes take effect only on a second person's approval,
and sessions end when an account is disabled, re-placed or signed out everywhere."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tsunagu.core import services
from tsunagu.core.models import AuditEvent, PendingAccountChange, Region, Role, User
from tsunagu.core.second_factor import remove_second_factors
from tsunagu.testing import assert_no_markers, client_for, mark_session_verified
from tsunagu.testing.builders import PASSWORD, VICTIM_MARKERS

CHOSEN = "admin-chosen-password-42"
Kind = PendingAccountChange.Kind


def _signed_in(client: Client) -> bool:
    """Whether the client's session still belongs to a signed-in user."""
    response = client.get(reverse("core:home"))
    return not (response.status_code == 302 and "/login/" in response["Location"])


def _change(result: services.AccountResult) -> PendingAccountChange:
    assert result.change is not None
    return result.change


def _login(username: str, password: str, *, second_factor: bool = True) -> Client:
    """Sign in through the login form (password step); then, unless told otherwise,
    count the second factor as passed, as the enrolment page would."""
    client = Client()
    client.post(reverse("core:login"), {"username": username, "password": password})
    if second_factor and "_auth_user_id" in client.session:
        mark_session_verified(client)
    return client


# --- the escalation replay -----------------------------------------------------------


def test_admin_created_tokyo_supervisor_cannot_reveal_a_victim(
    admin_user, supervisor_tokyo, officer_tokyo, make_case
):
    """As admin: create a Tokyo supervisor with a password of our choosing, sign in
    with it, try to reveal a victim. Refused before approval and after it."""
    case = make_case(officer_tokyo)
    victim = case.people.get(role="victim")
    admin = client_for(admin_user)
    created = admin.post(
        reverse("core:user_new"),
        {
            "username": "fake-supervisor",
            "role": Role.SUPERVISOR,
            "region": Region.objects.get(code="13").pk,
            "password1": CHOSEN,
            "password2": CHOSEN,
        },
    )
    assert created.status_code == 302
    fake = User.objects.get(username="fake-supervisor")
    assert not fake.is_active and not fake.has_usable_password()
    reveal = reverse("cases:reveal", args=[case.pk, victim.pk])

    attacker = _login("fake-supervisor", CHOSEN)
    assert not _signed_in(attacker)
    response = attacker.post(reveal, {f"reveal{victim.pk}-reason": "contacting the victim"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert_no_markers(response.content, VICTIM_MARKERS)

    # A real Tokyo supervisor approves; the temporary password goes to them, not the admin.
    change = PendingAccountChange.objects.get(user=fake, kind=Kind.CREATE)
    approved = client_for(supervisor_tokyo).post(reverse("core:approval_approve", args=[change.pk]))
    assert approved.status_code == 200 and "no-store" in approved["Cache-Control"]
    fake.refresh_from_db()
    assert fake.is_active and fake.must_change_password
    assert not fake.check_password(CHOSEN)
    attacker = _login("fake-supervisor", CHOSEN)
    assert not _signed_in(attacker)
    response = attacker.post(reveal, {f"reveal{victim.pk}-reason": "contacting the victim"})
    assert_no_markers(response.content, VICTIM_MARKERS)


def test_admin_password_reset_of_an_officer_does_not_let_the_admin_sign_in(
    admin_user, officer_tokyo, supervisor_tokyo
):
    admin = client_for(admin_user)
    response = admin.post(
        reverse("core:user_password", args=[officer_tokyo.pk]),
        {"password1": CHOSEN, "password2": CHOSEN},
    )
    assert response.status_code == 302
    officer_tokyo.refresh_from_db()
    assert officer_tokyo.check_password(PASSWORD) and not officer_tokyo.check_password(CHOSEN)
    assert not _signed_in(_login("officer-tokyo", CHOSEN))
    change = PendingAccountChange.objects.get(user=officer_tokyo, kind=Kind.PASSWORD)
    password = services.change_approve(actor=supervisor_tokyo, change=change)
    assert password and password != CHOSEN
    assert not _signed_in(_login("officer-tokyo", CHOSEN))
    # The officer's old sessions end with the reset.
    officer_tokyo.refresh_from_db()
    assert officer_tokyo.check_password(password) and officer_tokyo.must_change_password


def test_admin_cannot_make_themselves_or_a_friend_a_supervisor(admin_user, officer_tokyo):
    result = services.user_update(
        actor=admin_user, user=officer_tokyo, role=Role.SUPERVISOR, region=officer_tokyo.region
    )
    officer_tokyo.refresh_from_db()
    assert officer_tokyo.role == Role.OFFICER and _change(result) is not None
    with pytest.raises(services.AccountError):
        services.user_update(actor=admin_user, user=admin_user, role=Role.SUPERVISOR)


# --- who approves --------------------------------------------------------------------


def test_a_clinicians_change_is_approved_in_the_clinics_prefecture(
    admin_user, clinic_tokyo, supervisor_tokyo, supervisor_osaka
):
    result = services.user_create(
        actor=admin_user, username="dr-new", role=Role.CLINICIAN, clinic=clinic_tokyo
    )
    assert _change(result) is not None and _change(result).prefecture == Region.objects.get(
        code="13"
    )
    with pytest.raises(services.AccountError):
        services.change_approve(actor=supervisor_osaka, change=_change(result))
    assert services.change_approve(actor=supervisor_tokyo, change=_change(result))
    result.user.refresh_from_db()
    assert result.user.is_active


def test_nobody_approves_their_own_account_or_request(admin_user, supervisor_tokyo, tokyo):
    other = User.objects.create_user("supervisor-tokyo-2", role=Role.SUPERVISOR, region=tokyo)
    own = services.user_reset_password(actor=admin_user, user=supervisor_tokyo)
    with pytest.raises(services.AccountError, match="自分のアカウント"):
        services.change_approve(actor=supervisor_tokyo, change=_change(own))
    asked = services.user_request_second_factor_reset(actor=supervisor_tokyo, user=other)
    with pytest.raises(services.AccountError):
        services.change_approve(actor=supervisor_tokyo, change=_change(asked))
    services.change_approve(actor=other, change=_change(own))
    _change(own).refresh_from_db()
    assert _change(own).status == PendingAccountChange.Status.APPROVED


def test_an_admin_account_needs_a_second_admin(admin_user, supervisor_tokyo):
    result = services.user_create(actor=admin_user, username="admin-2", role=Role.ADMIN)
    assert _change(result).prefecture is None
    for who in (admin_user, supervisor_tokyo):
        with pytest.raises(services.AccountError):
            services.change_approve(actor=who, change=_change(result))
    second = User.objects.create_user("admin-b", role=Role.ADMIN)
    assert services.change_approve(actor=second, change=_change(result))


def test_rejected_creation_stays_inactive_and_cannot_be_enabled_by_the_admin(
    admin_user, supervisor_tokyo, tokyo
):
    result = services.user_create(
        actor=admin_user, username="x-officer", role=Role.OFFICER, region=tokyo
    )
    with pytest.raises(services.AccountError):
        services.user_update(actor=admin_user, user=result.user, is_active=True)
    services.change_reject(actor=supervisor_tokyo, change=_change(result))
    result.user.refresh_from_db()
    assert not result.user.is_active
    again = services.user_update(actor=admin_user, user=result.user, is_active=True)
    result.user.refresh_from_db()
    assert not result.user.is_active and _change(again).kind == Kind.ACTIVATE
    with pytest.raises(services.AccountError):
        services.change_approve(actor=supervisor_tokyo, change=_change(result))
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "user.change_rejected" in actions


def test_approval_applies_the_requested_place_only_then(
    admin_user, officer_tokyo, supervisor_osaka
):
    station = Region.objects.get(code="27-001")
    result = services.user_update(actor=admin_user, user=officer_tokyo, region=station)
    officer_tokyo.refresh_from_db()
    assert officer_tokyo.region.code == "13-003"
    assert _change(result).prefecture == Region.objects.get(code="27")
    services.change_approve(actor=supervisor_osaka, change=_change(result))
    officer_tokyo.refresh_from_db()
    assert officer_tokyo.region == station


def test_second_factor_reset_calls_the_removal_on_approval(
    monkeypatch, admin_user, officer_tokyo, supervisor_tokyo
):
    removed = []
    monkeypatch.setattr(services, "remove_second_factors", lambda user: removed.append(user.pk))
    result = services.user_request_second_factor_reset(actor=admin_user, user=officer_tokyo)
    assert removed == []
    services.change_approve(actor=supervisor_tokyo, change=_change(result))
    assert removed == [officer_tokyo.pk]


def test_approved_second_factor_reset_removes_every_device(
    admin_user, officer_tokyo, supervisor_tokyo, officer_osaka
):
    from django_otp import devices_for_user
    from django_otp.plugins.otp_static.models import StaticDevice

    from tsunagu.testing import enrol_totp

    enrol_totp(officer_tokyo)
    codes = StaticDevice.objects.create(user=officer_tokyo, name="recovery", confirmed=True)
    codes.token_set.create(token="abcd-efgh")
    enrol_totp(officer_osaka)
    result = services.user_request_second_factor_reset(actor=admin_user, user=officer_tokyo)
    assert len(list(devices_for_user(officer_tokyo, confirmed=None))) == 2
    services.change_approve(actor=supervisor_tokyo, change=_change(result))
    assert list(devices_for_user(officer_tokyo, confirmed=None)) == []
    assert len(list(devices_for_user(officer_osaka))) == 1
    assert remove_second_factors(officer_tokyo) == 0


# --- sessions ------------------------------------------------------------------------


def test_disabling_ends_sessions_and_re_enabling_does_not_revive_them(
    admin_user, officer_tokyo, supervisor_tokyo
):
    officer = client_for(officer_tokyo)
    assert _signed_in(officer)
    services.user_update(actor=admin_user, user=officer_tokyo, is_active=False)
    assert not _signed_in(officer)
    result = services.user_update(actor=admin_user, user=officer_tokyo, is_active=True)
    services.change_approve(actor=supervisor_tokyo, change=_change(result))
    officer_tokyo.refresh_from_db()
    assert officer_tokyo.is_active
    assert not _signed_in(officer)


def test_a_new_role_or_place_ends_sessions(supervisor_tokyo, officer_tokyo):
    officer = client_for(officer_tokyo)
    services.user_update(
        actor=supervisor_tokyo, user=officer_tokyo, region=Region.objects.get(code="13")
    )
    officer_tokyo.refresh_from_db()
    assert officer_tokyo.region.code == "13"  # the supervisor's own request applies at once
    assert not _signed_in(officer)


def test_sign_out_everywhere_ends_every_session(supervisor_tokyo, officer_tokyo):
    first, second = client_for(officer_tokyo), client_for(officer_tokyo)
    services.user_sign_out_everywhere(actor=supervisor_tokyo, user=officer_tokyo)
    assert not _signed_in(first) and not _signed_in(second)
    assert _signed_in(_login("officer-tokyo", PASSWORD))


def test_own_password_change_keeps_this_session_and_ends_the_others(officer_tokyo):
    here, elsewhere = _login("officer-tokyo", PASSWORD), _login("officer-tokyo", PASSWORD)
    response = here.post(
        reverse("core:own_password"),
        {"current": PASSWORD, "password1": "my-own-new-pass-77", "password2": "my-own-new-pass-77"},
    )
    assert response.status_code == 302
    assert _signed_in(here) and not _signed_in(elsewhere)
    assert AuditEvent.objects.filter(action="user.password_change").exists()


def test_own_password_form_names_the_wrong_field(officer_tokyo):
    client = client_for(officer_tokyo)
    wrong = client.post(
        reverse("core:own_password"),
        {"current": "nope", "password1": "my-own-new-pass-77", "password2": "my-own-new-pass-77"},
    )
    assert wrong.status_code == 400 and wrong.context["form"].errors["current"]
    same = client.post(
        reverse("core:own_password"),
        {"current": PASSWORD, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert same.status_code == 400 and same.context["form"].errors["password2"]
    officer_tokyo.refresh_from_db()
    assert officer_tokyo.check_password(PASSWORD)


def test_a_temporary_password_must_be_changed_first(supervisor_tokyo, officer_tokyo, make_case):
    result = services.user_reset_password(actor=supervisor_tokyo, user=officer_tokyo)
    assert result.password is not None
    # Before the second factor, its enrolment stays reachable (no redirect loop).
    first = _login("officer-tokyo", result.password, second_factor=False)
    assert first.get("/mfa/").status_code == 200
    client = _login("officer-tokyo", result.password)
    page = client.get(reverse("cases:list"))
    assert page.status_code == 302 and page["Location"].startswith(reverse("core:own_password"))
    api = client.get(reverse("api:cases_list"))
    assert api.status_code == 403
    changed = client.post(
        reverse("core:own_password"),
        {
            "current": result.password,
            "password1": "my-own-new-pass-77",
            "password2": "my-own-new-pass-77",
            "next": reverse("cases:list"),
        },
    )
    assert changed.status_code == 302 and changed["Location"] == reverse("cases:list")
    assert client.get(reverse("cases:list")).status_code == 200


# --- inactivity ----------------------------------------------------------------------


def test_disable_inactive_disables_accounts_unused_for_the_set_days(
    settings, officer_tokyo, officer_osaka, analyst
):
    session = client_for(officer_tokyo)  # signing in sets last_login: before the dates
    now = timezone.now()
    User.objects.filter(pk=officer_tokyo.pk).update(last_login=now - dt.timedelta(days=91))
    User.objects.filter(pk=officer_osaka.pk).update(last_login=now - dt.timedelta(days=89))
    User.objects.filter(pk=analyst.pk).update(
        last_login=None, date_joined=now - dt.timedelta(days=120)
    )
    settings.INACTIVE_DAYS = 90
    call_command("disable-inactive")
    active = dict(User.objects.values_list("username", "is_active"))
    assert active == {"officer-tokyo": False, "officer-osaka": True, "analyst": False}
    assert not _signed_in(session)
    assert AuditEvent.objects.filter(action="user.disable_inactive").count() == 2
    call_command("disable-inactive")
    assert AuditEvent.objects.filter(action="user.disable_inactive").count() == 2


def test_admin_moves_a_clinician_to_another_clinic_only_on_approval(
    admin_user, clinician_tokyo, clinic_tokyo, clinic_osaka, supervisor_tokyo, supervisor_osaka
):
    """The clinic field comes from the treatment app's affiliation; the change is held
    as the clinic's pk and applied on approval by the new clinic's prefecture."""
    from tsunagu.treatment.models import clinic_of

    admin = client_for(admin_user)
    form = admin.get(reverse("core:user_edit", args=[clinician_tokyo.pk]))
    assert form.context["form"].initial["clinic"] == clinic_tokyo
    response = admin.post(
        reverse("core:user_edit", args=[clinician_tokyo.pk]),
        {"username": "clinician-tokyo", "role": Role.CLINICIAN, "clinic": clinic_osaka.pk},
    )
    assert response.status_code == 302
    assert clinic_of(clinician_tokyo) == clinic_tokyo
    change = PendingAccountChange.objects.get(user=clinician_tokyo, kind=Kind.UPDATE)
    assert change.values["clinic"] == clinic_osaka.pk
    with pytest.raises(services.AccountError):
        services.change_approve(actor=supervisor_tokyo, change=change)
    services.change_approve(actor=supervisor_osaka, change=change)
    assert clinic_of(clinician_tokyo) == clinic_osaka
