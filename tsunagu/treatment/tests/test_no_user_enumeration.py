"""The advice API gives one answer for unknown and foreign user names."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tsunagu.cases.models import Case
from tsunagu.core.models import User
from tsunagu.testing import client_for

pytestmark = pytest.mark.django_db

API = "/api/v1/treatment"


def _json(client: Client, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_api_advice_gives_one_answer_for_unknown_and_foreign_users(
    officer_tokyo: User,
    officer_osaka: User,
    clinician_tokyo: User,
    make_case: Callable[..., Case],
) -> None:
    case = make_case(officer_tokyo)
    police = client_for(officer_tokyo)
    url = f"{API}/cases/{case.pk}/advice"
    answers = []
    for username in ("no-such-user", officer_osaka.username, clinician_tokyo.username):
        response = _json(
            police, "post", url, {"date": "2016-06-01", "method": "phone", "advised_by": username}
        )
        assert response.status_code == 422, username
        answers.append(response.json())
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["detail"][0]["loc"] == ["body", "advised_by"]
