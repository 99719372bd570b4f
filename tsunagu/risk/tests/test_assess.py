"""Recording assessments: each summary kind, refusals naming the field, the timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from tsunagu.cases import services as case_services
from tsunagu.cases import timeline
from tsunagu.cases.models import Event
from tsunagu.cases.services import ServiceError
from tsunagu.core.models import AuditEvent, User
from tsunagu.risk import summary
from tsunagu.risk.models import Assessment, PlanAction
from tsunagu.risk.services import ActionData
from tsunagu.risk.tests.helpers import (
    ACTION,
    NOTE,
    RATIONALE,
    RISK_MARKERS,
    SCENARIO,
    answers,
    assess,
    load,
)

pytestmark = pytest.mark.django_db
D = dt.date


def refused(officer: User, case: Any, instrument: Any, field: str, **kw: Any) -> None:
    before = (Event.objects.count(), Assessment.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ServiceError) as exc:
        assess(officer, case, instrument, **kw)
    assert exc.value.field == field
    after = (Event.objects.count(), Assessment.objects.count(), AuditEvent.objects.count())
    assert after == before


def test_judgement_level_is_chosen_with_a_rationale(officer_tokyo: User, make_case: Any) -> None:
    case = make_case(officer_tokyo)
    instrument = load("judgement")
    a = assess(
        officer_tokyo,
        case,
        instrument,
        level="mid",
        answers=answers("y", "y"),
        scenarios={"what": SCENARIO},
        actions=[ActionData(ACTION, "Station A", D(2016, 6, 8))],
        review_on=D(2016, 7, 1),
    )
    # Two positive answers would count "top"; the assessor's judgement stands.
    assert (a.level, a.positive_count, a.is_top, a.is_current) == ("mid", 2, False, True)
    assert PlanAction.objects.get(assessment=a).action == ACTION
    refused(officer_tokyo, case, instrument, "rationale", on=D(2016, 6, 2), rationale=" ")
    refused(officer_tokyo, case, instrument, "level", on=D(2016, 6, 2), level="")
    refused(officer_tokyo, case, instrument, "level", on=D(2016, 6, 2), level="extreme")
    refused(
        officer_tokyo,
        case,
        instrument,
        "actions.0.due_on",
        on=D(2016, 6, 2),
        actions=[ActionData("Call", "Station A", None)],
    )


@pytest.mark.parametrize(
    ("v1", "v2", "level"), [("n", "n", "low"), ("y", "n", "mid"), ("y", "y", "top")]
)
def test_count_level_is_computed(
    officer_tokyo: User, make_case: Any, v1: str, v2: str, level: str
) -> None:
    case = make_case(officer_tokyo)
    a = assess(officer_tokyo, case, load("count"), answers=answers(v1, v2))
    assert a.level == level
    assert case.events.get(type="risk_assessed").detail == level


def test_count_refuses_an_entered_level(officer_tokyo: User, make_case: Any) -> None:
    case = make_case(officer_tokyo)
    refused(officer_tokyo, case, load("count"), "level", level="low")


def test_external_level_is_entered_as_returned(officer_tokyo: User, make_case: Any) -> None:
    case = make_case(officer_tokyo)
    instrument = load("external")
    a = assess(officer_tokyo, case, instrument, level="top", answers=answers("n", "n"))
    assert (a.level, a.is_top) == ("top", True)
    refused(officer_tokyo, case, instrument, "level", on=D(2016, 6, 2), level="")
    refused(
        officer_tokyo,
        case,
        instrument,
        "actions",
        on=D(2016, 6, 2),
        actions=[ActionData("Call", "Station A", D(2016, 7, 1))],
    )


def test_a_second_assessment_at_the_same_level_on_the_same_day_names_the_date(
    officer_tokyo: User, make_case: Any
) -> None:
    case = make_case(officer_tokyo)
    assess(officer_tokyo, case, load("external"), level="top", answers=answers("n", "n"))
    refused(officer_tokyo, case, load("judgement"), "date")
    with pytest.raises(ServiceError, match="already has an assessment at this level"):
        assess(officer_tokyo, case, load("judgement"))


def test_bad_answers_and_dates_are_refused_naming_the_field(
    officer_tokyo: User, make_case: Any
) -> None:
    case = make_case(officer_tokyo)
    instrument = load("judgement")
    refused(officer_tokyo, case, instrument, "items.v2", answers={"v1": summary.Answer("y")})
    refused(officer_tokyo, case, instrument, "items.v1", answers=answers("maybe"))
    refused(
        officer_tokyo,
        case,
        instrument,
        "items.zz",
        answers={**answers(), "zz": summary.Answer("y")},
    )
    future = timezone.localdate() + dt.timedelta(days=1)
    refused(officer_tokyo, case, instrument, "date", on=future)
    refused(officer_tokyo, case, instrument, "review_on", review_on=D(2016, 5, 1))
    # Before the case was opened: the timeline's own rule, the same field.
    refused(officer_tokyo, case, instrument, "date", on=D(2016, 1, 1))


def test_another_prefecture_cannot_assess(
    officer_osaka: User, officer_tokyo: User, make_case: Any
) -> None:
    case = make_case(officer_tokyo)
    with pytest.raises(ServiceError):
        assess(officer_osaka, case, load())
    assert not Assessment.objects.exists()


def test_level_as_of_a_date_and_corrections(officer_tokyo: User, make_case: Any) -> None:
    case = make_case(officer_tokyo)
    instrument = load("external")
    first = assess(officer_tokyo, case, instrument, on=D(2016, 6, 1), level="low")
    second = assess(officer_tokyo, case, instrument, on=D(2016, 7, 1), level="top")
    events = case.timeline_events()
    assert timeline.risk_level(events, D(2016, 6, 15)) == (D(2016, 6, 1), "low")
    assert timeline.risk_level(events) == (D(2016, 7, 1), "top")
    first.refresh_from_db()
    assert (first.is_current, second.is_current) == (False, True)
    case_services.event_correct(actor=officer_tokyo, event=second.event, reason="wrong case")
    assert timeline.risk_level(case.timeline_events()) == (D(2016, 6, 1), "low")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_current, second.is_current, second.is_effective) == (True, False, False)


def test_answers_and_texts_are_encrypted_at_rest_and_kept_out_of_the_audit(
    officer_tokyo: User, make_case: Any
) -> None:
    case = make_case(officer_tokyo)
    a = assess(
        officer_tokyo,
        case,
        load(),
        scenarios={"what": SCENARIO},
        actions=[ActionData(ACTION, "Station A", D(2016, 6, 8))],
    )
    assert NOTE in Assessment.objects.get(pk=a.pk).answers
    assert Assessment.objects.get(pk=a.pk).rationale == RATIONALE
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers, rationale, scenarios FROM risk_assessment")
        stored = " ".join(str(v) for v in cursor.fetchone())
        cursor.execute("SELECT action FROM risk_planaction")
        stored += str(cursor.fetchone())
    audit = " ".join(str(e.detail) for e in AuditEvent.objects.all())
    for marker in RISK_MARKERS:
        assert marker not in stored
        assert marker not in audit
    assert AuditEvent.objects.filter(action="risk.assess").count() == 1
