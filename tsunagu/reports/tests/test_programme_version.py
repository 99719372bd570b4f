"""The programme report's own data version (`ProgrammeVersion`): database triggers
bump a prefecture's counter with every write of an event the report reads, and
when a case is moved or deleted, never for other writes. The report's caches are
keyed on it, so a day of warnings leaves the national report cached while any
write that changes a figure shows on the next view.

Transactional tests: each write commits, as in the application."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable

import pytest
from django.db import connection
from django.urls import reverse

from tsunagu.cases import services as case_services
from tsunagu.cases.models import Case, Event, Person
from tsunagu.core.models import Region, User
from tsunagu.reports import programme
from tsunagu.reports.models import DataVersion, ProgrammeVersion
from tsunagu.testing import client_for

pytestmark = pytest.mark.usefixtures("transactional_db")

D = dt.date
API = {"date_from": "2016-04-01", "date_to": "2016-12-31"}


def versions() -> dict[int, int]:
    """Each prefecture's counter (0 before its first bump: a transactional test
    empties the table the migration filled)."""
    found = dict(ProgrammeVersion.objects.values_list("prefecture_id", "n"))
    return {p: found.get(p, 0) for p in Region.objects.values_list("pk", flat=True)}


def record(officer: User, case: Case, day: dt.date, kind: str, detail: str = "") -> None:
    case_services.event_record(actor=officer, case=case, date=day, type=kind, detail=detail)


def test_the_triggers_list_exactly_the_types_the_report_reads() -> None:
    migration = importlib.import_module("tsunagu.reports.migrations.0004_programme_version")
    assert set(migration.TYPES) == programme.VERSIONED_TYPES
    assert set(programme.CLASSIFYING_TYPES) <= programme.VERSIONED_TYPES


def test_only_writes_the_report_reads_change_the_version(
    officer_tokyo: User, officer_osaka: User, make_case: Callable[..., Case]
) -> None:
    tokyo, osaka = officer_tokyo.prefecture_id, officer_osaka.prefecture_id
    assert tokyo is not None and osaka is not None
    case = make_case(officer_tokyo, opened_on=D(2016, 4, 2))
    other = make_case(officer_osaka, opened_on=D(2016, 4, 2))
    start = versions()
    data_before = dict(DataVersion.objects.values_list("prefecture_id", "n"))
    # A measure, a consultation and a person's details: the report reads none of them.
    record(officer_tokyo, case, D(2016, 4, 3), "warning")
    record(officer_tokyo, case, D(2016, 4, 4), "consultation")
    Person.objects.filter(case=case).update(age=40)
    assert versions() == start
    assert DataVersion.objects.get(prefecture_id=tokyo).n > data_before.get(tokyo, 0)
    # Advice in Tokyo: Tokyo's version only.
    record(officer_tokyo, case, D(2016, 5, 1), "treatment_advised")
    after = versions()
    assert after[tokyo] > start[tokyo] and after[osaka] == start[osaka]
    # A counted event changed in type (raw SQL too), deleted, or a correction.
    warning = Event.objects.get(case=case, type="warning")
    Event.objects.filter(pk=warning.pk).update(type="advice_accepted")
    assert versions()[tokyo] > after[tokyo]
    step = versions()[tokyo]
    Event.objects.filter(pk=warning.pk).delete()
    assert versions()[tokyo] > step
    step = versions()[tokyo]
    advice = Event.objects.get(case=case, type="treatment_advised")
    case_services.event_correct(actor=officer_tokyo, event=advice, reason="誤入力")
    assert versions()[tokyo] > step
    # A case moved to another prefecture changes both; a deleted case its own.
    before_move = versions()
    Case.objects.filter(pk=case.pk).update(prefecture=Region.objects.get(pk=osaka))
    moved = versions()
    assert moved[tokyo] > before_move[tokyo] and moved[osaka] > before_move[osaka]
    Case.objects.filter(pk=other.pk).delete()
    assert versions()[osaka] > moved[osaka]


def test_the_national_report_stays_cached_under_warnings_and_follows_advice(
    officer_tokyo: User,
    officer_osaka: User,
    analyst: User,
    make_case: Callable[..., Case],
    counted: list[list[int]],
) -> None:
    case = make_case(officer_tokyo, opened_on=D(2016, 4, 2))
    record(officer_tokyo, case, D(2016, 5, 1), "treatment_advised")
    client = client_for(analyst)
    url = reverse("api:programme_report")
    first = client.get(url, API).json()
    assert first["totals"]["advised"] == 1
    counted.clear()
    # Officers record warnings in Tokyo and Osaka: the report is served as it was.
    record(officer_tokyo, case, D(2016, 6, 1), "warning")
    record(officer_osaka, make_case(officer_osaka), D(2016, 6, 2), "warning")
    assert client.get(url, API).json() == first
    assert counted == []
    # Advice in Osaka: Osaka's cases only are read again, and the figure follows.
    osaka_case = make_case(officer_osaka, opened_on=D(2016, 4, 3))
    record(officer_osaka, osaka_case, D(2016, 7, 1), "treatment_advised")
    second = client.get(url, API).json()
    assert second["totals"]["advised"] == 2
    assert counted == [[officer_osaka.prefecture_id]]
    assert (
        second
        == programme.compute(
            Case.objects.all(), programme.Params.make(D(2016, 4, 1), D(2016, 12, 31))
        ).as_json()
    )


def test_the_version_is_bumped_inside_the_writing_transaction() -> None:
    # The triggers exist on this engine and touch the counter table only.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'programme_version_%'"
            )
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'programme_version_%'")
        names = {row[0] for row in cursor.fetchall()}
    assert {n for n in names if "event" in n} and {n for n in names if "case" in n}
