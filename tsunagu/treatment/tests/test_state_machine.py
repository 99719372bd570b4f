"""The referral's state machine (`stages.TRANSITIONS`) is the one table: at every
stage the clinician's page and the API offer exactly the steps it allows, and the
API accepts exactly those."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from django.db import transaction
from django.urls import reverse

from tsunagu.cases import stages
from tsunagu.cases.models import Case
from tsunagu.core.models import User
from tsunagu.testing import client_for
from tsunagu.testing.builders import D, referred
from tsunagu.treatment import loop, panels
from tsunagu.treatment.models import Clinic, Referral

API = "/api/v1/treatment"
# The clinician's steps that lead to each stage from `sent`.
PATHS: dict[str, tuple[str, ...]] = {
    "sent": (),
    "acknowledged": ("acknowledge",),
    "scheduled": ("acknowledge", "schedule"),
    "assessed_not_needed": ("acknowledge", "schedule", "not_needed"),
    "in_treatment": ("acknowledge", "schedule", "start"),
    "completed": ("acknowledge", "schedule", "start", "complete"),
    "halted": ("acknowledge", "schedule", "start", "halt"),
}
FIRST_STEP = D(2016, 6, 3)


def _payload(action: str, day: dt.date) -> dict[str, str]:
    data = {"date": day.isoformat()}
    if action == "schedule":
        data["appointment_on"] = day.isoformat()
    if action == "halt":
        data["reason"] = "moved"
    return data


def _at_stage(
    officer: User, make_case: Callable[..., Case], clinic: Clinic, clinician: User, stage: str
) -> Referral:
    referral = referred(officer, make_case, clinic)
    for i, action in enumerate(PATHS[stage]):
        data = _payload(action, FIRST_STEP + dt.timedelta(days=i))
        loop.referral_act(
            actor=clinician,
            referral=referral,
            action=action,
            date=dt.date.fromisoformat(data["date"]),
            appointment_on=dt.date.fromisoformat(data["date"]) if action == "schedule" else None,
            reason=data.get("reason", ""),
        )
    referral.refresh_from_db()
    assert referral.stage == stage
    return referral


def _expected(stage: str) -> set[str]:
    allowed = stages.allowed_events(stage)
    return {action for action, event in loop.CLINIC_ACTIONS.items() if event in allowed}


def test_every_stage_but_none_is_reached_by_a_path():
    assert set(PATHS) == set(stages.STAGE_LABELS) - {"none"}
    assert set(loop.CLINIC_ACTIONS.values()) == set(stages.TRANSITIONS) - {"referral_sent"}


@pytest.mark.parametrize("stage", sorted(PATHS))
def test_page_and_api_offer_exactly_what_the_table_allows(
    stage, officer_tokyo, make_case, clinic_tokyo, clinician_tokyo
):
    referral = _at_stage(officer_tokyo, make_case, clinic_tokyo, clinician_tokyo, stage)
    clinic = client_for(clinician_tokyo)
    expected = _expected(stage)
    page = clinic.get(reverse("treatment:referral", args=[referral.pk]))
    assert {name for name, _label, _form in page.context["actions"]} == expected
    for action in loop.CLINIC_ACTIONS:
        url = reverse("treatment:referral_act", args=[referral.pk, action])
        assert (f'action="{url}"' in page.content.decode()) == (action in expected), action
    api = clinic.get(f"{API}/referrals/{referral.pk}").json()
    assert set(api["actions"]) == expected
    listed = clinic.get(f"{API}/referrals").json()["results"]
    assert set(listed[0]["actions"]) == expected


@pytest.mark.parametrize("stage", sorted(PATHS))
def test_the_api_accepts_exactly_the_allowed_steps(
    stage, officer_tokyo, make_case, clinic_tokyo, clinician_tokyo
):
    referral = _at_stage(officer_tokyo, make_case, clinic_tokyo, clinician_tokyo, stage)
    clinic = client_for(clinician_tokyo)
    day = FIRST_STEP + dt.timedelta(days=len(PATHS[stage]))
    accepted = set()
    for action in loop.CLINIC_ACTIONS:
        # Each try in a savepoint of its own: an accepted step is rolled back.
        with transaction.atomic():
            response = clinic.post(
                f"{API}/referrals/{referral.pk}/actions/{action}",
                json.dumps(_payload(action, day)),
                content_type="application/json",
            )
            assert response.status_code in (200, 422), (action, response.content)
            if response.status_code == 200:
                accepted.add(action)
            transaction.set_rollback(True)
    assert accepted == _expected(stage)


def test_police_may_refer_again_exactly_where_the_table_allows(
    officer_tokyo, make_case, clinic_tokyo, clinician_tokyo
):
    for stage in PATHS:
        referral = _at_stage(officer_tokyo, make_case, clinic_tokyo, clinician_tokyo, stage)
        current = referral.case.state().current_episode
        assert panels.can_refer(current) == ("referral_sent" in stages.allowed_events(stage))
