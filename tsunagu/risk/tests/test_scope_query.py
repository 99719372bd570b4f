"""The rows of a prefecture's cases (risk assessments, plan actions, follow-ups)
are found from their own table, each row's case looked up by its key.

`case__in=<the prefecture's cases>` made SQLite build the list of every case id
of the prefecture (23,000 for Tokyo in the national set) before reading the
risk tables, on every officer's and supervisor's home page: 90 ms each, most of
the page. A join was better but, with no statistics on a new (empty) table,
SQLite still started from the prefecture's cases and probed the table once per
case: 1.5–3 ms a query, five queries on the home page. The scope is now a
correlated EXISTS on the case (`cases.models.case_scope`).
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import QuerySet

from tsunagu.cases.models import case_scope
from tsunagu.core.models import User
from tsunagu.risk.models import Assessment, PlanAction
from tsunagu.treatment.models import FollowUp


def sql_and_plan(qs: QuerySet) -> tuple[str, str]:  # type: ignore[type-arg]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN " + sql, params)
            return sql, "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return sql, "\n".join(row[-1] for row in cursor.fetchall())


def test_rows_of_a_prefectures_cases_are_read_from_their_own_table(
    officer_tokyo: User, officer_osaka: User
) -> None:
    open_cases = case_scope(officer_tokyo, "case__", is_open=True)
    for qs, table in (
        (Assessment.objects.visible_to(officer_tokyo).filter(is_current=True), "risk_assessment"),
        (Assessment.objects.visible_to(officer_tokyo).filter(open_cases), "risk_assessment"),
        (
            PlanAction.objects.visible_to(officer_tokyo).filter(done_on__isnull=True),
            "risk_planaction",
        ),
        (
            FollowUp.objects.visible_to(officer_tokyo).filter(done_on__isnull=True),
            "treatment_followup",
        ),
    ):
        sql, plan = sql_and_plan(qs)
        assert "IN (SELECT" not in sql.upper(), sql
        assert "EXISTS" in sql.upper() and "prefecture_id" in sql, sql
        assert "LIST SUBQUERY" not in plan, plan
        if connection.vendor == "sqlite":
            # The first table read is the one asked about; each case by its key.
            first = plan.splitlines()[0]
            assert table in first and "cases_case" not in first, plan
            assert "USING INTEGER PRIMARY KEY" in plan, plan


def test_the_scope_keeps_only_the_users_prefecture(
    officer_tokyo: User, officer_osaka: User, make_case: Any
) -> None:
    tokyo, osaka = make_case(officer_tokyo), make_case(officer_osaka)
    for case in (tokyo, osaka):
        FollowUp.objects.create(
            case=case,
            source_type="consultation",
            source_date=case.opened_on,
            offset_days=30,
            due_on=case.opened_on,
        )
    assert {f.case_id for f in FollowUp.objects.visible_to(officer_tokyo)} == {tokyo.pk}
    assert {f.case_id for f in FollowUp.objects.visible_to(officer_osaka)} == {osaka.pk}
    tokyo.is_open = False
    tokyo.save(update_fields=["is_open"])
    still_open = case_scope(officer_tokyo, "case__", is_open=True)
    assert not FollowUp.objects.visible_to(officer_tokyo).filter(still_open).exists()


def test_nobody_outside_police_sees_a_risk_row(analyst: User, clinician_tokyo: User) -> None:
    for user in (analyst, clinician_tokyo):
        assert not Assessment.objects.visible_to(user).exists()
        assert Assessment.objects.visible_to(user).query.is_empty()
        assert PlanAction.objects.visible_to(user).query.is_empty()
        assert FollowUp.objects.visible_to(user).query.is_empty()
