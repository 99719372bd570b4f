"""Authorization matrix of the account pages, role by role: approvals, approve and
reject, sign out everywhere, second-factor reset, and the user's own password."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tsunagu.core import services
from tsunagu.core.models import PendingAccountChange, Region, Role, User
from tsunagu.testing import access_test, client_for

ROLES = (
    "officer_tokyo",
    "supervisor_tokyo",
    "supervisor_osaka",
    "clinician_tokyo",
    "analyst",
    "admin_user",
)
NO_ACCESS = ("officer_tokyo", "clinician_tokyo", "analyst")


@pytest.fixture
def target(db):
    return User.objects.create_user(
        "officer-target", role=Role.OFFICER, region=Region.objects.get(code="13-003")
    )


@pytest.fixture
def pending(admin_user, target):
    """An administrator's request to reset a Tokyo officer's password."""
    return services.user_reset_password(actor=admin_user, user=target).change


@pytest.fixture
def everyone(request):
    return {name: request.getfixturevalue(name) for name in ROLES}


@access_test("core:approvals")
def test_approvals_list_by_role(everyone, pending):
    for name, user in everyone.items():
        response = client_for(user).get(reverse("core:approvals"))
        if name in NO_ACCESS:
            assert response.status_code == 404, name
            continue
        assert response.status_code == 200, name
        body = response.content.decode()
        shown = "officer-target" in body
        assert shown == (name in ("supervisor_tokyo", "admin_user")), name
        can_approve = reverse("core:approval_approve", args=[pending.pk]) in body
        assert can_approve == (name == "supervisor_tokyo"), name


@access_test("core:approval_approve", "core:approval_reject")
@pytest.mark.parametrize("action", ("core:approval_approve", "core:approval_reject"))
def test_only_the_accounts_supervisor_decides(everyone, pending, target, action):
    for name, user in everyone.items():
        if name == "supervisor_tokyo":
            continue
        response = client_for(user).post(reverse(action, args=[pending.pk]))
        expected = 302 if name == "admin_user" else 404  # admins see it but may not decide
        assert response.status_code == expected, name
        pending.refresh_from_db()
        assert pending.is_pending, name
    response = client_for(everyone["supervisor_tokyo"]).post(reverse(action, args=[pending.pk]))
    assert response.status_code == (200 if action == "core:approval_approve" else 302)
    pending.refresh_from_db()
    assert not pending.is_pending
    assert (
        client_for(everyone["supervisor_tokyo"]).get(reverse(action, args=[pending.pk])).status_code
        == 405
    )


def test_the_temporary_password_is_shown_once_to_the_approver(supervisor_tokyo, pending, target):
    response = client_for(supervisor_tokyo).post(
        reverse("core:approval_approve", args=[pending.pk])
    )
    password = response.context["password"]
    assert password in response.content.decode()
    target.refresh_from_db()
    assert target.check_password(password)
    again = client_for(supervisor_tokyo).post(reverse("core:approval_approve", args=[pending.pk]))
    assert again.status_code == 302 and password not in again.content.decode()


@access_test("core:user_sign_out_everywhere", "core:user_second_factor_reset")
@pytest.mark.parametrize(
    "action", ("core:user_sign_out_everywhere", "core:user_second_factor_reset")
)
def test_account_actions_by_role(everyone, target, action):
    for name, user in everyone.items():
        before = User.objects.get(pk=target.pk).session_generation
        requests = PendingAccountChange.objects.count()
        response = client_for(user).post(reverse(action, args=[target.pk]))
        allowed = name in ("supervisor_tokyo", "admin_user")
        assert response.status_code == (302 if allowed else 404), name
        after = User.objects.get(pk=target.pk).session_generation
        if action == "core:user_sign_out_everywhere":
            assert (after > before) == allowed, name
        else:
            assert (PendingAccountChange.objects.count() > requests) == allowed, name
    assert (
        client_for(everyone["admin_user"]).get(reverse(action, args=[target.pk])).status_code == 405
    )


def test_supervisor_cannot_act_on_another_prefectures_clinician(supervisor_tokyo, clinician_osaka):
    url = reverse("core:user_sign_out_everywhere", args=[clinician_osaka.pk])
    assert client_for(supervisor_tokyo).post(url).status_code == 404


@access_test("core:own_password")
def test_every_role_changes_only_their_own_password(everyone, target):
    for name, user in everyone.items():
        client = client_for(user)
        assert client.get(reverse("core:own_password")).status_code == 200, name
        response = client.post(
            reverse("core:own_password"),
            {"current": "wrong", "password1": "a-new-pass-1234", "password2": "a-new-pass-1234"},
        )
        assert response.status_code == 400, name
    target.refresh_from_db()
    assert not target.check_password("a-new-pass-1234")


def test_approvals_list_query_budget(django_assert_max_num_queries, admin_user, supervisor_tokyo):
    station = Region.objects.get(code="13-003")
    for i in range(15):
        user = User.objects.create_user(f"o-{i:02d}", role=Role.OFFICER, region=station)
        services.user_reset_password(actor=admin_user, user=user)
    client = client_for(supervisor_tokyo)
    # Session, user, the user's region, one query for the page's requests; two spare.
    with django_assert_max_num_queries(6):
        response = client.get(reverse("core:approvals"))
    assert response.content.decode().count("o-1") == 5
