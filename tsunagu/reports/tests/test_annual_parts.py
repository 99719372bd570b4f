"""The annual statistics are summed from each prefecture's part, cached on that
prefecture's own data version: a write in Osaka recounts Osaka's part only, the
national figures stay equal to a recount from the events, and the number of
queries does not grow with the number of prefectures counted.

Transactional tests: each write commits, as in the application (nothing is cached
inside a transaction)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tsunagu.cases import services as case_services
from tsunagu.cases import timeline
from tsunagu.cases.models import Case, Event
from tsunagu.core.models import User
from tsunagu.reports import annual
from tsunagu.testing import client_for
from tsunagu.testing.builders import add_events, bare_case

pytestmark = pytest.mark.usefixtures("transactional_db")

D = dt.date


def recount(cases: QuerySet[Case], fiscal: bool = False) -> dict[int, dict[str, int]]:
    """The year-on-year figures counted here one event at a time, corrections applied."""
    years: dict[int, Counter[str]] = {}

    def add(day: dt.date, kind: str) -> None:
        year = day.year - 1 if fiscal and day.month < 4 else day.year
        years.setdefault(year, Counter())[kind] += 1

    for opened_on in cases.values_list("opened_on", flat=True):
        add(opened_on, "consultations")
    events = list(Event.objects.filter(case__in=cases))
    voided = set()
    for ev in events:
        target = timeline.correction_target(ev.detail) if ev.type == "correction" else None
        if target:
            voided.add((ev.case_id, target[1], target[0], target[2]))
    for ev in events:
        if ev.type in annual.COUNTED_TYPES and (ev.case_id, ev.date, ev.type, ev.detail) not in (
            voided
        ):
            add(ev.date, ev.type)
    if not years:
        return {}
    return {
        y: {k: years.get(y, Counter())[k] for k in annual.YEAR_COLUMNS}
        for y in range(min(years), max(years) + 1)
    }


def shown(stats: annual.Annual) -> dict[int, dict[str, int]]:
    return {y["year"]: {k: y[k] for k in annual.YEAR_COLUMNS} for y in stats.years}


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, list[int]]]]:
    """The prefectures whose parts are counted afresh, call by call."""
    calls: list[tuple[str, list[int]]] = []
    months, year = annual.monthly_counts, annual.year_parts

    def spy_months(ids: list[int]) -> Any:
        calls.append(("months", list(ids)))
        return months(ids)

    def spy_year(ids: list[int], start: dt.date, end: dt.date) -> Any:
        calls.append(("year", list(ids)))
        return year(ids, start, end)

    monkeypatch.setattr(annual, "monthly_counts", spy_months)
    monkeypatch.setattr(annual, "year_parts", spy_year)
    yield calls


def test_a_write_in_osaka_recounts_osakas_part_only(
    officer_tokyo: User,
    officer_osaka: User,
    make_case: Callable[..., Case],
    counted: list[tuple[str, list[int]]],
) -> None:
    tokyo_case = make_case(officer_tokyo, opened_on=D(2015, 6, 1))
    case_services.event_record(
        actor=officer_tokyo, case=tokyo_case, date=D(2015, 7, 1), type="warning"
    )
    osaka_case = make_case(officer_osaka, opened_on=D(2016, 3, 1))
    tokyo, osaka = tokyo_case.prefecture_id, osaka_case.prefecture_id
    everyone = Case.objects.all()

    stats = annual.compute(everyone, 2016)
    assert counted == [("months", [tokyo, osaka]), ("year", [tokyo, osaka])]  # one call each
    assert shown(stats) == recount(everyone)
    counted.clear()
    assert shown(annual.compute(everyone, 2016)) == recount(everyone)
    assert counted == []  # unchanged data: every part from the cache

    warning = case_services.event_record(
        actor=officer_osaka, case=osaka_case, date=D(2016, 4, 2), type="warning"
    )
    stats = annual.compute(everyone, 2016)
    assert counted == [("months", [osaka]), ("year", [osaka])]
    assert stats.measures["warning"] == 1
    assert shown(stats) == recount(everyone)
    # Tokyo's own figures come from Tokyo's part, still cached.
    counted.clear()
    tokyo_only = everyone.filter(prefecture_id=tokyo)
    assert shown(annual.compute(tokyo_only, 2016)) == recount(tokyo_only)
    assert counted == []

    # A correction voids the counted warning: Osaka's part is counted again.
    case_services.event_correct(actor=officer_osaka, event=warning, reason="wrong case")
    stats = annual.compute(everyone, 2016)
    assert counted == [("months", [osaka]), ("year", [osaka])]
    assert stats.measures["warning"] == 0
    assert shown(stats) == recount(everyone)
    # So does a write that bypasses the services (an import's bulk insert).
    counted.clear()
    add_events(tokyo_case, [(D(2016, 5, 1), "arrest", "stalking")])
    stats = annual.compute(everyone, 2016)
    assert counted == [("months", [tokyo]), ("year", [tokyo])]
    assert stats.measures["arrest_stalking"] == 1
    assert shown(stats) == recount(everyone)
    # The fiscal years fold the same cached months differently.
    counted.clear()
    assert shown(annual.compute(everyone, 2016, fiscal=True)) == recount(everyone, fiscal=True)
    assert [kind for kind, _ids in counted] == ["year"]


def test_figures_from_the_parts_equal_those_counted_in_one_go(
    officer_tokyo: User, officer_osaka: User, make_case: Callable[..., Case]
) -> None:
    for officer, opened in ((officer_tokyo, D(2015, 2, 1)), (officer_osaka, D(2016, 11, 1))):
        case = make_case(officer, opened_on=opened)
        add_events(
            case,
            [
                (opened, "warning"),
                (opened + dt.timedelta(days=40), "arrest", "order_violation"),
                (opened + dt.timedelta(days=90), "assistance"),
            ],
        )
    for year in (2015, 2016, 2017):
        for fiscal in (False, True):
            with transaction.atomic():  # nothing cached: counted in one go
                whole = annual.compute(Case.objects.all(), year, fiscal).as_json()
            cache.clear()
            assert annual.compute(Case.objects.all(), year, fiscal).as_json() == whole
            # Viewed again, from the cache, and once a single part is stale.
            assert annual.compute(Case.objects.all(), year, fiscal).as_json() == whole
            Case.objects.filter(prefecture__code="13").update(relationship="stranger")
            with transaction.atomic():
                whole = annual.compute(Case.objects.all(), year, fiscal).as_json()
            assert annual.compute(Case.objects.all(), year, fiscal).as_json() == whole


def test_queries_do_not_grow_with_the_prefectures_counted() -> None:
    everyone = Case.objects.all()

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            annual.compute(everyone, 2016)
        return len(ctx.captured_queries)

    codes = ["13", "27", "01", "40", "47"]
    for code in codes:
        add_events(bare_case(code, f"R-{code}", D(2016, 4, 1)), [(D(2016, 5, 1), "warning")])
    all_stale = queries()
    Case.objects.filter(prefecture__code="27").update(relationship="stranger")
    one_stale = queries()
    assert one_stale == all_stale
    none_stale = queries()
    assert none_stale < one_stale
    # Nothing counted afresh: neither events nor people are read.
    with CaptureQueriesContext(connection) as ctx:
        annual.compute(everyone, 2016)
    assert not [q for q in ctx.captured_queries if "cases_event" in q["sql"]]
    assert not [q for q in ctx.captured_queries if "cases_person" in q["sql"]]


def test_nothing_is_cached_inside_a_transaction(
    officer_tokyo: User, make_case: Callable[..., Case], counted: list[tuple[str, list[int]]]
) -> None:
    make_case(officer_tokyo)
    for _ in range(2):
        with transaction.atomic():
            annual.compute(Case.objects.all(), 2016)
    assert [kind for kind, _ids in counted] == ["months", "year", "months", "year"]


def test_police_see_their_prefecture_only_when_other_parts_are_cached(
    officer_tokyo: User,
    officer_osaka: User,
    supervisor_tokyo: User,
    analyst: User,
    make_case: Callable[..., Case],
) -> None:
    make_case(officer_tokyo, opened_on=D(2016, 6, 1))
    make_case(officer_osaka, opened_on=D(2016, 7, 1))
    make_case(officer_osaka, opened_on=D(2016, 8, 1))
    url = reverse("reports:annual") + "?year=2016"

    def consultations(user: User) -> int:
        page = client_for(user).get(url)
        assert page.status_code == 200
        return int(page.context["stats"].consultations)

    assert consultations(analyst) == 3  # every prefecture's part is now cached
    assert consultations(supervisor_tokyo) == 1
    assert consultations(officer_osaka) == 2
