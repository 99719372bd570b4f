"""The supervisor's read-only list of their prefecture's police and clinic accounts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tsunagu.core.access import prefecture_users
from tsunagu.core.models import Region, Role, User
from tsunagu.testing import access_test
from tsunagu.treatment.models import Clinic, ClinicStaff

URL = "core:prefecture_users"


@pytest.fixture
def tokyo_prefecture(
    officer_tokyo,
    supervisor_tokyo,
    clinician_tokyo,
    officer_osaka,
    supervisor_osaka,
    clinician_osaka,
):
    """Both prefectures' people, so that every test can check nothing of Osaka shows."""
    return supervisor_tokyo


def test_tokyo_supervisor_sees_tokyo_police_and_clinicians_only(client, tokyo_prefecture):
    client.force_login(tokyo_prefecture)
    response = client.get(reverse(URL))
    assert response.status_code == 200
    body = response.content.decode()
    for name in ("officer-tokyo", "supervisor-tokyo", "clinician-tokyo", "新宿こころのクリニック"):
        assert name in body
    for name in ("officer-osaka", "supervisor-osaka", "clinician-osaka", "梅田メンタルクリニック"):
        assert name not in body
    # Translated, with the station of the Tokyo officer.
    assert "都道府県の利用者" in body
    assert Region.objects.get(code="13-003").name_ja in body


def test_page_shows_no_password_hash_or_contact_details(client, tokyo_prefecture, officer_tokyo):
    officer_tokyo.email = "officer-tokyo@example.jp"
    officer_tokyo.save()
    client.force_login(tokyo_prefecture)
    body = client.get(reverse(URL)).content.decode()
    for account in User.objects.all():
        assert account.password not in body
        assert account.password.split("$")[-1] not in body
    assert "pbkdf2" not in body and "argon2" not in body
    assert "officer-tokyo@example.jp" not in body


def test_columns_name_role_station_active_last_login(client, supervisor_tokyo, officer_tokyo):
    officer_tokyo.first_name, officer_tokyo.last_name = "太郎", "警察"
    officer_tokyo.is_active = False
    officer_tokyo.last_login = dt.datetime(
        2026, 3, 4, 9, 30, tzinfo=timezone.get_current_timezone()
    )
    officer_tokyo.save()
    client.force_login(supervisor_tokyo)
    body = client.get(reverse(URL)).content.decode()
    assert "警察 太郎" in body
    assert "2026-03-04 09:30" in body
    assert "警察官" in body or Role.OFFICER.label in body
    # An inactive account is listed, marked inactive.
    assert '<span class="badge">いいえ</span>' in body


def test_nav_links_the_page_for_supervisors_only(client, supervisor_tokyo, officer_tokyo):
    link = f'href="{reverse(URL)}"'
    client.force_login(supervisor_tokyo)
    assert link in client.get(reverse("cases:list")).content.decode()
    client.force_login(officer_tokyo)
    assert link not in client.get(reverse("cases:list")).content.decode()


@access_test(URL)
@pytest.mark.parametrize(
    "who", ("officer_tokyo", "officer_osaka", "clinician_tokyo", "analyst", "admin_user")
)
def test_everyone_but_supervisors_gets_404(client, request, tokyo_prefecture, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(URL)).status_code == 404


@pytest.mark.parametrize(
    "who", ("officer_tokyo", "clinician_tokyo", "analyst", "admin_user", "supervisor_osaka")
)
def test_scoping_function_by_role(request, tokyo_prefecture, who):
    user = request.getfixturevalue(who)
    names = set(prefecture_users(user).values_list("username", flat=True))
    if who == "supervisor_osaka":
        assert names == {"officer-osaka", "supervisor-osaka", "clinician-osaka"}
    else:
        assert names == set()


def test_scoping_leaves_out_other_roles_and_unattached_accounts(db, tokyo_prefecture, tokyo):
    User.objects.create_user("analyst-in-tokyo", role=Role.ANALYST, region=tokyo)
    User.objects.create_user("admin-in-tokyo", role=Role.ADMIN, region=tokyo)
    User.objects.create_user("clinician-no-clinic", role=Role.CLINICIAN)
    names = set(prefecture_users(tokyo_prefecture).values_list("username", flat=True))
    assert names == {"officer-tokyo", "supervisor-tokyo", "clinician-tokyo"}


def test_query_count_does_not_grow_with_users(
    client, django_assert_max_num_queries, tokyo_prefecture, tokyo
):
    stations = list(Region.objects.filter(parent=tokyo)[:5])
    for i in range(30):
        User.objects.create_user(
            f"officer-tokyo-{i:02d}", role=Role.OFFICER, region=stations[i % len(stations)]
        )
    for i in range(4):
        clinic = Clinic.objects.create(code=f"13-C1{i:02d}", prefecture=tokyo, name=f"Clinic {i}")
        for j in range(3):
            user = User.objects.create_user(f"clinician-{i}-{j}", role=Role.CLINICIAN)
            ClinicStaff.objects.create(user=user, clinic=clinic)
    client.force_login(tokyo_prefecture)
    # Session, user, the prefecture and one query for all accounts (4), the unread
    # count of notices in the header, one spare.
    with django_assert_max_num_queries(6):
        response = client.get(reverse(URL))
    body = response.content.decode()
    assert "officer-tokyo-29" in body and "clinician-3-2" in body and "Clinic 3" in body
