"""The risk lists of a prefecture join the case instead of listing its cases.

`case__in=<the prefecture's cases>` made SQLite build the list of every case id
of the prefecture (23,000 for Tokyo in the national set) before reading the
risk tables, on every officer's and supervisor's home page: 90 ms each, most of
the page.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet

from tsunagu.core.models import User
from tsunagu.risk.models import Assessment, PlanAction


def sql_and_plan(qs: QuerySet) -> tuple[str, str]:  # type: ignore[type-arg]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN " + sql, params)
            return sql, "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return sql, "\n".join(row[-1] for row in cursor.fetchall())


def test_assessments_and_plan_actions_of_a_prefecture_are_a_join(
    officer_tokyo: User, officer_osaka: User
) -> None:
    for qs in (
        Assessment.objects.visible_to(officer_tokyo).filter(is_current=True),
        PlanAction.objects.visible_to(officer_tokyo).filter(done_on__isnull=True),
    ):
        sql, plan = sql_and_plan(qs)
        assert "IN (SELECT" not in sql.upper(), sql
        assert "LIST SUBQUERY" not in plan and "SubPlan" not in plan, plan
        assert "prefecture_id" in sql, sql


def test_nobody_outside_police_sees_a_risk_row(analyst: User, clinician_tokyo: User) -> None:
    for user in (analyst, clinician_tokyo):
        assert not Assessment.objects.visible_to(user).exists()
        assert Assessment.objects.visible_to(user).query.is_empty()
        assert PlanAction.objects.visible_to(user).query.is_empty()
