"""A past assessment's page: answers masked until the audited reveal; the review date."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tsunagu.core.models import AuditEvent, User
from tsunagu.risk import instruments
from tsunagu.risk.models import Assessment
from tsunagu.risk.services import ActionData
from tsunagu.risk.tests.helpers import (
    ACTION,
    NOTE,
    RISK_MARKERS,
    SCENARIO,
    assess,
    definition,
)
from tsunagu.testing import access_test, assert_no_markers, client_for

pytestmark = pytest.mark.django_db
D = dt.date
VICTIM_RATING = "VICTIM-RATING-MARKER"
OFFICER_RATING = "OFFICER-RATING-SHOWN"
MARKERS = (*RISK_MARKERS, VICTIM_RATING)
REASON = {"reveal-reason": "Preparing the protective visit", "reveal-reason_category": "contact"}


def instrument() -> Any:
    """The test instrument with marker labels: the victim's scale and the officer's."""
    doc = definition()
    doc["scales"]["victim"] = [
        {"value": "y", "positive": True, "label": {"en": VICTIM_RATING}},
        {"value": "n", "label": {"en": "no"}},
    ]
    doc["scales"]["officer"] = copy.deepcopy(doc["scales"]["victim"])
    doc["scales"]["officer"][0]["label"] = {"en": OFFICER_RATING}
    items = doc["sections"][0]["items"]
    items[0]["scale"] = items[1]["scale"] = "victim"
    items[2]["scale"] = "officer"
    return instruments.load(doc)[0]


@pytest.fixture
def assessed(officer_tokyo: User, make_case: Any) -> Assessment:
    from tsunagu.risk import summary

    return assess(
        officer_tokyo,
        make_case(officer_tokyo),
        instrument(),
        answers={
            "v1": summary.Answer("y", NOTE),
            "v2": summary.Answer("y"),
            "o1": summary.Answer("y", "officer note"),
        },
        scenarios={"what": SCENARIO},
        review_on=timezone.localdate() + dt.timedelta(days=3),
        actions=[ActionData(ACTION, "Station A", D(2016, 6, 8))],
    )


def url(a: Assessment, part: str = "") -> str:
    return f"/risk/assessments/{a.pk}/{part}"


def test_case_panel_links_to_the_assessment_page(officer_tokyo: User, assessed: Assessment) -> None:
    body = client_for(officer_tokyo).get(f"/cases/{assessed.case_id}/").content.decode()
    assert url(assessed) in body


def test_page_masks_victim_answers_and_texts_until_revealed(
    officer_tokyo: User, assessed: Assessment
) -> None:
    client = client_for(officer_tokyo)
    page = client.get(url(assessed))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    body = page.content.decode()
    assert OFFICER_RATING in body and "Q1" in body and "Station A" in body and "最高" in body
    assert_no_markers(body, MARKERS)
    assert "officer note" not in body  # every note is free text
    assert body.count("●●●●") >= 7  # 2 victim ratings, 3 notes, rationale, 3 scenarios, action

    refused = client.post(url(assessed, "reveal/"), {"reveal-reason": "x"})
    assert refused.status_code == 400
    assert_no_markers(refused.content, MARKERS)
    assert not AuditEvent.objects.filter(action="person.reveal").exists()

    posted = client.post(url(assessed, "reveal/"), REASON)
    assert posted.status_code == 302 and posted["Location"] == url(assessed, "revealed/#reveal")
    shown = client.get(url(assessed, "revealed/"))
    assert shown.status_code == 200 and "no-store" in shown["Cache-Control"]
    body = shown.content.decode()
    for marker in MARKERS:
        assert marker in body
    event = AuditEvent.objects.get(action="person.reveal")
    assert event.actor == officer_tokyo and event.reason.startswith("[contact]")
    assert event.object_type == "assessment" and event.object_id == str(assessed.pk)
    assert_no_markers(f"{event.detail} {event.reason}", MARKERS)
    # Shown once: the next view is masked again.
    assert_no_markers(client.get(url(assessed)).content, MARKERS)


def test_reloading_the_reveal_result_writes_no_second_audit_event(
    officer_tokyo: User, assessed: Assessment
) -> None:
    """Post/redirect/get, as the case page's reveal: the result has its own address."""
    client = client_for(officer_tokyo)
    result = client.post(url(assessed, "reveal/"), REASON)["Location"].split("#")[0]
    for _reload in range(2):
        shown = client.get(result)
        assert shown.status_code == 200 and "private" in shown["Cache-Control"]
        for marker in MARKERS:
            assert marker in shown.content.decode()
    assert AuditEvent.objects.filter(action="person.reveal").count() == 1


def test_the_reveal_result_expires(
    officer_tokyo: User, assessed: Assessment, monkeypatch: Any
) -> None:
    from tsunagu.cases import services

    client = client_for(officer_tokyo)
    result = client.post(url(assessed, "reveal/"), REASON)["Location"].split("#")[0]
    assert client.get(result).status_code == 200
    # The audit log is append-only: move the window instead of the event.
    monkeypatch.setattr(services, "REVEAL_SHOWN_SECONDS", -60)
    expired = client.get(result)
    assert expired.status_code == 302 and expired["Location"] == url(assessed, "#reveal")
    page = client.get(expired["Location"])
    assert_no_markers(page.content, MARKERS)
    section = page.content.decode().split('id="reveal"')[1].split("</section>")[0]
    assert "もう一度" in section and 'name="reveal-reason"' in section
    assert AuditEvent.objects.filter(action="person.reveal").count() == 1


def test_the_reveal_result_is_not_shown_without_this_sessions_reveal(
    officer_tokyo: User, supervisor_tokyo: User, assessed: Assessment
) -> None:
    """A colleague of the same prefecture with the address, or the same officer in
    another session, gets the masked page; nothing is written."""
    result = client_for(officer_tokyo).post(url(assessed, "reveal/"), REASON)["Location"]
    for client in (client_for(supervisor_tokyo), client_for(officer_tokyo)):
        response = client.get(result.split("#")[0], follow=True)
        assert response.status_code == 200
        assert_no_markers(response.content, MARKERS)
    assert AuditEvent.objects.filter(action="person.reveal").count() == 1


def test_reveal_needs_the_step_up(officer_tokyo: User, assessed: Assessment) -> None:
    import time

    from tsunagu.core.security import VERIFIED_AT

    client = client_for(officer_tokyo)
    session = client.session
    session[VERIFIED_AT] = int(time.time()) - 600  # verified 10 minutes ago
    session.save()
    response = client.post(url(assessed, "reveal/"), REASON)
    assert response.status_code == 302 and response["Location"].startswith("/mfa/step-up/")
    assert not AuditEvent.objects.filter(action="person.reveal").exists()


def test_reveal_counts_towards_the_daily_limit(
    settings: Any, officer_tokyo: User, assessed: Assessment
) -> None:
    settings.STEPUP_DAILY_LIMIT = 1
    client = client_for(officer_tokyo)
    assert client.post(url(assessed, "reveal/"), REASON).status_code == 302
    over = client.post(url(assessed, "reveal/"), REASON)
    assert over.status_code == 400
    assert 'class="errorlist" role="alert"' in over.content.decode()
    assert_no_markers(over.content, MARKERS)
    assert AuditEvent.objects.filter(action="person.reveal").count() == 1


@access_test(
    "risk:assessment", "risk:assessment_reveal", "risk:assessment_revealed", "risk:review_change"
)
@pytest.mark.parametrize(
    "who", ["officer_osaka", "supervisor_osaka", "clinician_tokyo", "analyst", "admin_user"]
)
def test_others_get_404_on_the_assessment_page(
    request: Any, who: str, assessed: Assessment
) -> None:
    client = client_for(request.getfixturevalue(who))
    page = client.get(url(assessed))
    assert page.status_code == 404
    revealed = client.post(url(assessed, "reveal/"), REASON)
    assert revealed.status_code == 404
    result = client.get(url(assessed, "revealed/"))
    assert result.status_code == 404
    moved = client.post(url(assessed, "review/"), {"review-review_on": "2099-01-01"})
    assert moved.status_code == 404
    for response in (page, revealed, result, moved):
        assert_no_markers(response.content, MARKERS)
    assert not AuditEvent.objects.filter(action__in=["person.reveal", "risk.review_changed"])
    assessed.refresh_from_db()
    assert assessed.review_on != D(2099, 1, 1)


@pytest.mark.parametrize("who", ["officer_tokyo", "supervisor_tokyo"])
def test_review_date_moves_and_the_home_follows(
    request: Any, who: str, officer_tokyo: User, assessed: Assessment
) -> None:
    home = client_for(officer_tokyo)

    def due_reviews() -> str:
        body = home.get("/").content.decode()
        panel = body[body.index('id="risk-home"') :]
        return panel[: panel.index("</section>")]

    first = assessed.review_on
    assert first is not None and first.isoformat() in due_reviews()  # due within the week
    later = timezone.localdate() + dt.timedelta(days=60)
    client = client_for(request.getfixturevalue(who))
    response = client.post(url(assessed, "review/"), {"review-review_on": later.isoformat()})
    assert response.status_code == 302
    assessed.refresh_from_db()
    assert assessed.review_on == later
    event = AuditEvent.objects.get(action="risk.review_changed")
    assert event.detail["review_on"] == later.isoformat() and event.object_id == str(assessed.pk)
    # No longer due this week: gone from the home (only the plan action is left).
    assert first.isoformat() not in due_reviews() and later.isoformat() not in due_reviews()
    soon = timezone.localdate()
    client.post(url(assessed, "review/"), {"review-review_on": soon.isoformat()})
    assert soon.isoformat() in due_reviews()


def test_past_review_date_is_refused_naming_the_field(
    officer_tokyo: User, assessed: Assessment
) -> None:
    before = assessed.review_on
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    client = client_for(officer_tokyo)
    response = client.post(url(assessed, "review/"), {"review-review_on": yesterday.isoformat()})
    assert response.status_code == 400
    assert 'id="id_review-review_on-errors"' in response.content.decode()
    assert_no_markers(response.content, MARKERS)
    empty = client.post(url(assessed, "review/"), {"review-review_on": ""})
    assert empty.status_code == 400 and 'id="id_review-review_on-errors"' in empty.content.decode()
    assessed.refresh_from_db()
    assert assessed.review_on == before
    assert not AuditEvent.objects.filter(action="risk.review_changed").exists()


def test_a_corrected_assessment_has_no_review_to_move(
    officer_tokyo: User, assessed: Assessment
) -> None:
    from tsunagu.cases import services as case_services
    from tsunagu.risk import services

    case_services.event_correct(actor=officer_tokyo, event=assessed.event, reason="wrong case")
    assessed.refresh_from_db()
    with pytest.raises(services.ServiceError) as err:
        services.review_change(
            actor=officer_tokyo, assessment=assessed, review_on=timezone.localdate()
        )
    assert err.value.field == "review_on"


def test_api_patch_changes_the_review_date(officer_tokyo: User, assessed: Assessment) -> None:
    client = client_for(officer_tokyo)
    api = f"/api/v1/risk/assessments/{assessed.pk}"
    later = timezone.localdate() + dt.timedelta(days=30)
    past = client.patch(api, {"review_on": "2016-01-01"}, content_type="application/json")
    assert past.status_code == 422 and past.json()["detail"][0]["loc"] == ["body", "review_on"]
    ok = client.patch(api, {"review_on": later.isoformat()}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["review_on"] == later.isoformat()
    assert_no_markers(ok.content, MARKERS)
    assessed.refresh_from_db()
    assert assessed.review_on == later


@access_test("api:assessments_review")
@pytest.mark.parametrize(
    "who", ["officer_osaka", "supervisor_osaka", "clinician_tokyo", "analyst", "admin_user"]
)
def test_api_patch_is_404_for_others(request: Any, who: str, assessed: Assessment) -> None:
    client = client_for(request.getfixturevalue(who))
    response = client.patch(
        f"/api/v1/risk/assessments/{assessed.pk}",
        {"review_on": "2099-01-01"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assessed.refresh_from_db()
    assert assessed.review_on != D(2099, 1, 1)


def test_who_answers_each_item_is_worded_not_a_code(
    officer_tokyo: User, assessed: Assessment
) -> None:
    client = client_for(officer_tokyo)
    for page in (url(assessed), f"/risk/cases/{assessed.case_id}/assess/{assessed.instrument_id}/"):
        body = client.get(page, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
        assert "相談者" in body and "警察官" in body
        assert ">victim<" not in body and "(victim)" not in body
