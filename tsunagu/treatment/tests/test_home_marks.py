"""The home page's follow-up sources and condition breaches equal a recount from
the events after every kind of write, and the page reads them in a flat number
of queries."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from typing import Any

from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tsunagu.cases import services as case_services
from tsunagu.cases.models import Case, Event
from tsunagu.core.models import User
from tsunagu.testing import client_for
from tsunagu.treatment import derive, home_marks
from tsunagu.treatment.models import ConditionBreach, FollowUpSource
from tsunagu.treatment.panels import HOME_ROWS

DAY = dt.timedelta(days=1)


def stored(case: Case) -> tuple[set[Any], set[Any]]:
    sources = {
        (s.trigger, s.source_type, s.source_date) for s in FollowUpSource.objects.filter(case=case)
    }
    breaches = {
        (b.event_id, b.date, b.kind, b.starts_on, b.expires_on, b.ended_on)
        for b in ConditionBreach.objects.filter(case=case)
    }
    return sources, breaches


def recount(case: Case) -> tuple[set[Any], set[Any]]:
    """The marks derived afresh from every event of the case."""
    found, broken = home_marks.marks_of(case.timeline_events())
    return (
        {(s.trigger, s.source_type, s.source_date) for s in found},
        {
            (
                b.event_id,
                b.date,
                b.condition.kind,
                b.condition.starts_on,
                b.condition.expires_on,
                b.condition.ended_on,
            )
            for b in broken
        },
    )


def record(officer: User, case: Case, day: dt.date, type: str, detail: str = "") -> Event:
    return case_services.event_record(actor=officer, case=case, date=day, type=type, detail=detail)


def test_marks_equal_a_recount_after_every_write(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    today = timezone.localdate()
    case = make_case(officer_tokyo, opened_on=today - 100 * DAY)
    assert stored(case) == recount(case) == (set(), set())

    first = record(officer_tokyo, case, today - 90 * DAY, "warning")
    assert stored(case) == recount(case)
    second = record(officer_tokyo, case, today - 60 * DAY, "warning")
    assert stored(case)[0] == {("warning", "warning", today - 60 * DAY)} == recount(case)[0]

    record(officer_tokyo, case, today - 50 * DAY, "condition_set", "no_contact|")
    contact = record(officer_tokyo, case, today - 10 * DAY, "consultation")
    sources, breaches = stored(case)
    assert (sources, breaches) == recount(case)
    assert [b[0] for b in breaches] == [contact.pk]

    # A correction voids: the breach goes, the earlier warning is the source again.
    case_services.event_correct(actor=officer_tokyo, event=contact, reason="wrong case")
    assert stored(case) == recount(case)
    assert stored(case)[1] == set()
    case_services.event_correct(actor=officer_tokyo, event=second, reason="typo")
    assert stored(case)[0] == {("warning", "warning", first.date)} == recount(case)[0]

    record(officer_tokyo, case, today - 5 * DAY, "condition_ended", "no_contact|")
    record(officer_tokyo, case, today - 3 * DAY, "recurrence", "same_victim")
    assert stored(case) == recount(case)
    assert stored(case)[1] == set()


def test_bulk_refresh_and_data_migration_equal_a_recount(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    today = timezone.localdate()
    cases = [make_case(officer_tokyo, opened_on=today - 100 * DAY) for _ in range(3)]
    for n, case in enumerate(cases):
        record(officer_tokyo, case, today - (80 - n) * DAY, "warning")
        record(officer_tokyo, case, today - 70 * DAY, "condition_set", "probation|")
        record(officer_tokyo, case, today - (20 + n) * DAY, "consultation")
    expected = {case.pk: recount(case) for case in cases}
    assert all(expected[c.pk][1] for c in cases)  # each has a breach to keep

    FollowUpSource.objects.all().delete()
    ConditionBreach.objects.all().delete()
    home_marks.refresh_cases(c.pk for c in cases)
    assert {c.pk: stored(c) for c in cases} == expected

    FollowUpSource.objects.all().delete()
    ConditionBreach.objects.all().delete()
    migration = importlib.import_module(
        "tsunagu.treatment.migrations.0006_fill_home_page_read_models"
    )
    migration.fill_home_marks(django_apps, None)
    assert {c.pk: stored(c) for c in cases} == expected


def test_home_page_proposes_from_the_sources_and_flags_breaches(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    today = timezone.localdate()
    case = make_case(officer_tokyo, opened_on=today - 40 * DAY)
    record(officer_tokyo, case, today - 30 * DAY, "warning")
    record(officer_tokyo, case, today - 20 * DAY, "condition_set", "no_contact|")
    contact = record(officer_tokyo, case, today - 2 * DAY, "consultation")
    old = make_case(officer_tokyo, opened_on=today - 500 * DAY)
    record(officer_tokyo, old, today - 400 * DAY, "warning")  # older than a year: no proposal
    page = client_for(officer_tokyo).get(reverse("core:home"))
    due = page.context["proposals_due"]
    assert [(d.case.pk, d.proposal.source_date, d.proposal.offset_days) for d in due] == [
        (case.pk, today - 30 * DAY, 30)
    ]
    flags = page.context["condition_flags"]
    assert [(f.case.pk, f.event.key, f.condition.kind) for f in flags] == [
        (case.pk, contact.pk, "no_contact")
    ]
    assert isinstance(flags[0].condition, derive.Condition)


def _home_queries(officer: User) -> int:
    client = client_for(officer)
    client.get(reverse("core:home"))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("core:home")).status_code == 200
    return len(ctx.captured_queries)


def test_home_page_queries_do_not_grow_with_the_cases(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    today = timezone.localdate()

    def add(n: int) -> None:
        for _ in range(n):
            case = make_case(officer_tokyo, opened_on=today - 40 * DAY)
            record(officer_tokyo, case, today - 30 * DAY, "warning")
            record(officer_tokyo, case, today - 25 * DAY, "condition_set", "no_contact|")
            record(officer_tokyo, case, today - 2 * DAY, "consultation")

    # More than the home page shows of each list (it then counts them too), then many more.
    add(HOME_ROWS + 1)
    few = _home_queries(officer_tokyo)
    add(45)
    assert _home_queries(officer_tokyo) == few
