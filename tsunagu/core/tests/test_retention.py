"""Retention: cases closed long ago lose their personal data; every report figure stays."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from tsunagu.cases import services
from tsunagu.cases.models import Case, Person
from tsunagu.core import audit, retention
from tsunagu.core.models import AuditEvent
from tsunagu.reports import annual, programme
from tsunagu.testing.builders import OFFENDER_NAME, VICTIM_MARKERS, referred, started

D = dt.date


def close(officer: Any, case: Case, on: dt.date) -> None:
    services.event_record(actor=officer, case=case, date=on, type="case_closed")


@pytest.fixture
def cases(officer_tokyo: Any, make_case: Any, clinic_tokyo: Any, clinician_tokyo: Any) -> dict:
    old = referred(officer_tokyo, make_case, clinic_tokyo)
    started(clinician_tokyo, old)
    old.case.refresh_from_db()
    close(officer_tokyo, old.case, D(2016, 9, 1))
    recent = make_case(officer_tokyo)
    close(officer_tokyo, recent, D(2016, 9, 1))
    still_open = make_case(officer_tokyo)
    return {"old": old.case, "recent": recent, "open": still_open}


def figures() -> tuple[Any, Any]:
    params = programme.Params.make(D(2016, 1, 1), D(2016, 12, 31))
    return (
        programme.compute(Case.objects.all(), params).as_json(),
        annual.compute(Case.objects.all(), 2016).as_json(),
    )


def raw_people(case: Case) -> list[tuple[str, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, address, phone, workplace FROM cases_person WHERE case_id = %s",
            [case.pk],
        )
        return cursor.fetchall()


def test_anonymising_keeps_every_report_figure(cases: dict, settings: Any, tmp_path: Any) -> None:
    settings.AUDIT_HEAD_DIR = tmp_path
    before = figures()
    limit = retention.cutoff(today=D(2027, 1, 1), years=10)
    assert limit == D(2017, 1, 1)
    assert retention.plan(limit) == {"13": 2}  # the two closed cases; the open one stays
    assert retention.apply(limit) == 2
    assert figures() == before
    for case in (cases["old"], cases["recent"]):
        assert all(value == "" for row in raw_people(case) for value in row)
        assert case.people.count() == 2  # sex and age stay for the statistics
        assert case.referrals.filter(summary="").count() == case.referrals.count()
    kept = Person.objects.get(case=cases["open"], role="offender")
    assert kept.name == OFFENDER_NAME
    (event,) = AuditEvent.objects.filter(action="retention.anonymise")
    assert sorted(event.detail["cases"]) == sorted([cases["old"].pk, cases["recent"].pk])
    assert not any(m in str(event.detail) for m in VICTIM_MARKERS)
    assert audit.verify() is None
    assert retention.apply(limit) == 0  # once only


def test_cases_closed_recently_are_kept(cases: dict) -> None:
    assert retention.plan(retention.cutoff(today=D(2026, 8, 31), years=10)) == {}


def test_dry_run_changes_nothing(cases: dict, settings: Any) -> None:
    settings.RETENTION_YEARS = 1
    out = io.StringIO()
    call_command("retention", "--dry-run", stdout=out)
    assert "prefecture 13: 2 cases would be anonymised" in out.getvalue()
    assert Person.objects.get(case=cases["old"], role="offender").name == OFFENDER_NAME
    assert not AuditEvent.objects.filter(action="retention.anonymise").exists()
    call_command("retention", "--apply", stdout=out)
    assert "Anonymised 2 cases" in out.getvalue()


def test_audit_retention_is_at_least_a_year(monkeypatch: Any) -> None:
    import importlib

    import tsunagu.settings as production

    monkeypatch.setenv("TSUNAGU_AUDIT_RETENTION_DAYS", "30")
    try:
        assert importlib.reload(production).AUDIT_RETENTION_DAYS == 365
    finally:
        monkeypatch.delenv("TSUNAGU_AUDIT_RETENTION_DAYS")
        importlib.reload(production)
