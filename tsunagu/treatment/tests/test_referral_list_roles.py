"""The referral list is for the roles that have referrals."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tsunagu.cases.models import Case
from tsunagu.core.models import User
from tsunagu.testing import client_for
from tsunagu.testing.builders import referred
from tsunagu.treatment.models import Clinic

pytestmark = pytest.mark.django_db

API = "/api/v1/treatment"


def test_api_referral_list_is_404_for_analysts_and_admins(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
    analyst: User,
    admin_user: User,
) -> None:
    referred(officer_tokyo, make_case, clinic_tokyo)
    for user in (analyst, admin_user):
        assert client_for(user).get(f"{API}/referrals").status_code == 404, user.username
    for user in (officer_tokyo, clinician_tokyo):
        response = client_for(user).get(f"{API}/referrals")
        assert response.status_code == 200 and response.json()["count"] == 1, user.username
