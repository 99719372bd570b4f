"""Every list's sort and filter is served by an index, on both engines.

SQLite: `EXPLAIN QUERY PLAN` reads the big tables only through an index (no bare
`SCAN` of the table) and sorts nothing in a temporary b-tree. PostgreSQL, with
sequential scans discouraged (`enable_seqscan = off`, as a large table would be
on the small test data), uses an index or bitmap scan of each table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from tsunagu.cases import services as case_services
from tsunagu.cases.filters import CaseFilterForm
from tsunagu.cases.models import Case
from tsunagu.core.models import AuditEvent, User
from tsunagu.treatment.models import ConditionBreach, FollowUpSource

DAY = dt.timedelta(days=1)


def plan_of(qs: QuerySet[Any]) -> list[str]:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            return [row[0] for row in cursor.fetchall()]
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [row[-1] for row in cursor.fetchall()]


def assert_indexed(qs: QuerySet[Any], table: str, ordered: bool = True, alias: str = "") -> None:
    """`alias`: the name SQLite's plan gives the table inside a subquery (U0)."""
    plan = plan_of(qs)
    text = "\n".join(plan)
    if connection.vendor == "postgresql":
        assert f"Seq Scan on {table}" not in text, text
        assert "Index" in text or "Bitmap" in text, text
        return
    mentions = [line for line in plan if f" {alias or table} " in f"{line} "]
    assert mentions, text
    assert all("USING" in line for line in mentions), text
    if ordered:
        assert "TEMP B-TREE" not in text, text


@pytest.fixture
def cases(officer_tokyo: User, make_case: Callable[..., Case]) -> list[Case]:
    today = timezone.localdate()
    made = []
    for n in range(3):
        case = make_case(officer_tokyo, opened_on=today - (40 + n) * DAY)
        case_services.event_record(
            actor=officer_tokyo, case=case, date=today - 30 * DAY, type="warning"
        )
        made.append(case)
    return made


def case_list(officer: User, data: dict[str, str] | None = None) -> QuerySet[Case]:
    form = CaseFilterForm(data, prefecture=officer.prefecture)
    return form.filter(Case.objects.visible_to(officer))


def test_case_list_order_and_count_use_an_index(officer_tokyo: User, cases: list[Case]) -> None:
    assert_indexed(case_list(officer_tokyo)[:50], "cases_case")
    assert_indexed(case_list(officer_tokyo)[4950:5000], "cases_case")
    assert_indexed(case_list(officer_tokyo).order_by().values("pk"), "cases_case", ordered=False)


@pytest.mark.parametrize(
    "data",
    [
        {"status": "open"},
        {"status": "closed"},
        {"opened_from": "2020-01-01", "opened_to": "2030-01-01"},
        {"relationship": "stranger"},
        {"latest_measure": "warning"},
        {"measure": "warning", "measure_from": "2020-01-01", "measure_to": "2030-12-31"},
        {"measure": "arrest", "measure_detail": "stalking"},
    ],
)
def test_case_list_filters_use_an_index(
    officer_tokyo: User, cases: list[Case], data: dict[str, str]
) -> None:
    qs = case_list(officer_tokyo, data)
    assert_indexed(qs[:50], "cases_case")
    if "measure" in data:
        assert_indexed(qs[:50], "cases_event", ordered=False, alias="U0")


def test_officer_home_open_cases_by_latest_measure_use_an_index(
    officer_tokyo: User, cases: list[Case]
) -> None:
    qs = (
        Case.objects.visible_to(officer_tokyo)
        .filter(is_open=True)
        .order_by("-latest_measure_on", "-opened_on", "-id")
    )
    assert_indexed(qs[:50], "cases_case")


def test_home_page_marks_are_read_through_their_date_index(
    officer_tokyo: User, cases: list[Case]
) -> None:
    today = timezone.localdate()
    visible = Case.objects.visible_to(officer_tokyo)
    sources = FollowUpSource.objects.filter(
        case__in=visible, source_date__gte=today - 365 * DAY, source_date__lte=today
    )
    assert_indexed(sources, "treatment_followupsource", ordered=False)
    breaches = ConditionBreach.objects.filter(
        case__in=visible, date__gte=today - 180 * DAY
    ).order_by("-date")
    assert_indexed(breaches, "treatment_conditionbreach", ordered=False)


def test_audit_log_order_uses_an_index(
    supervisor_tokyo: User, admin_user: User, cases: list[Case]
) -> None:
    assert_indexed(AuditEvent.objects.visible_to(supervisor_tokyo)[:50], "core_auditevent")
    assert_indexed(AuditEvent.objects.visible_to(admin_user)[:50], "core_auditevent")


def test_audit_log_filters_use_an_index(supervisor_tokyo: User, cases: list[Case]) -> None:
    """The supervisor's filters (action, user, date range) at ~105,000 rows a day."""
    from tsunagu.core.audit import day_start

    mine = AuditEvent.objects.visible_to(supervisor_tokyo)
    today = timezone.localdate()
    assert_indexed(mine.filter(action__startswith="case.")[:50], "core_auditevent", ordered=False)
    assert_indexed(mine.filter(actor__username="officer-tokyo")[:50], "core_auditevent", False)
    week = mine.filter(at__gte=day_start(today - 7 * DAY), at__lt=day_start(today))
    assert_indexed(week[:50], "core_auditevent")
