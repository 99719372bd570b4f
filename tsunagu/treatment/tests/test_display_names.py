"""People are named family name first on every page of every role (`User.display_name`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from tsunagu.cases.models import Case
from tsunagu.core.models import User
from tsunagu.testing import client_for
from tsunagu.testing.builders import referred, started
from tsunagu.treatment.models import Clinic

# (family name, given name) of each named person.
NAMES = {
    "officer-tokyo": ("佐藤", "健一"),
    "supervisor-tokyo": ("高橋", "美香"),
    "clinician-tokyo": ("山本", "由紀"),
    "analyst": ("伊藤", "亮"),
}


def _name(user: User) -> None:
    user.last_name, user.first_name = NAMES[user.username]
    user.save(update_fields=["last_name", "first_name"])


def test_display_name_is_family_name_first_and_falls_back_to_the_login_id(db: Any) -> None:
    named = User(username="u1", last_name="佐藤", first_name="健一")
    assert named.display_name == "佐藤 健一"
    assert named.get_full_name() == "佐藤 健一"
    assert User(username="u2").display_name == "u2"


@pytest.mark.parametrize("language", ["ja", "en"])
def test_no_page_of_any_role_writes_a_name_in_western_order(
    officer_tokyo: User,
    supervisor_tokyo: User,
    clinician_tokyo: User,
    analyst: User,
    clinic_tokyo: Clinic,
    make_case: Callable[..., Case],
    language: str,
) -> None:
    for user in (officer_tokyo, supervisor_tokyo, clinician_tokyo, analyst):
        _name(user)
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    started(clinician_tokyo, referral)
    case = referral.case
    pages = {
        officer_tokyo: [
            reverse("core:home"),
            reverse("cases:list"),
            reverse("cases:detail", args=[case.pk]),
        ],
        supervisor_tokyo: [
            reverse("cases:detail", args=[case.pk]),
            reverse("core:audit_log"),
            reverse("core:prefecture_users"),
            reverse("treatment:clinic", args=[clinic_tokyo.pk]),
        ],
        clinician_tokyo: [
            reverse("treatment:portal"),
            reverse("treatment:referral", args=[referral.pk]),
        ],
        analyst: [reverse("reports:programme")],
    }
    western = [f"{given} {family}" for family, given in NAMES.values()]
    seen: set[str] = set()
    for user, urls in pages.items():
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert response.headers["Content-Language"] == language
            content = response.content.decode()
            for name in western:
                assert name not in content, f"{name} on {url} for {user.username}"
            seen |= {f"{f} {g}" for f, g in NAMES.values() if f"{f} {g}" in content}
    # Every person appears somewhere, family name first (the header, 働き掛けた職員,
    # 紹介した職員, 記録者, the audit log's user, the clinic's staff).
    assert seen == {f"{f} {g}" for f, g in NAMES.values()}
