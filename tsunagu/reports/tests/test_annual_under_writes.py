"""The annual statistics after writes in several prefectures: the finer caches
under the per-prefecture parts stay equal to a recount.

- The relationship and people counts of a year are cached per prefecture on its
  `AnnualPeopleVersion` counters (migration `0005_annual_people_version`): every
  write of a case's opening date, prefecture or relationship, or of a person,
  changes them; an event does not.
- The rollup's stored figures are cached per prefecture with the sum of its
  marks' `done`, checked in the same query that reads the marks.
- A case's summary columns (updated by every event recorded) no longer mark its
  opening month stale.

Transactional tests: each write commits, as in the application (nothing is cached
inside a transaction)."""

from __future__ import annotations

import datetime as dt
import importlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import QuerySet

from tsunagu.cases import services as case_services
from tsunagu.cases.models import SEXES, Case, Person
from tsunagu.core.models import User
from tsunagu.interchange.generate import generate
from tsunagu.interchange.importer import import_files
from tsunagu.reports import annual, rollup
from tsunagu.reports.tests.test_annual_parts import recount, shown
from tsunagu.reports.tests.test_annual_rollup import from_events, prefectures, stored
from tsunagu.testing.builders import add_events, bare_case

pytestmark = pytest.mark.usefixtures("transactional_db")

D = dt.date


def people_recount(cases: QuerySet[Case], year: int, fiscal: bool) -> dict[str, Any]:
    """Relationship and people of the cases opened in the period, one row at a time."""
    start, end = annual.period_of(year, fiscal)
    opened = cases.filter(opened_on__gte=start, opened_on__lte=end)
    relationship = Counter(opened.values_list("relationship", flat=True))
    people: Counter[tuple[str, str, str]] = Counter()
    for person in Person.objects.filter(case__in=opened):
        if person.role in ("offender", "victim"):
            sex = person.sex if person.sex in SEXES else "unknown"
            people[(person.role, annual.age_band(person.age), sex)] += 1
    return {"relationship": +relationship, "people": people}


def people_shown(stats: annual.Annual) -> dict[str, Any]:
    people: Counter[tuple[str, str, str]] = Counter()
    for role, bands in stats.people.items():
        for band, sexes in bands.items():
            for sex, n in sexes.items():
                people[(role, band, sex)] += n
    return {"relationship": +Counter(stats.relationship), "people": +people}


def assert_equal_to_a_recount(cases: QuerySet[Case], year: int, fiscal: bool = False) -> None:
    """What the page shows (through every cache) equals a recount from the cases,
    people and events, and equals the statistics counted in one go, uncached."""
    stats = annual.compute(cases, year, fiscal)
    assert shown(stats) == recount(cases, fiscal)
    assert people_shown(stats) == people_recount(cases, year, fiscal)
    with transaction.atomic():  # nothing read from or put in the cache
        assert annual.compute(cases, year, fiscal).as_json() == stats.as_json()


@pytest.fixture
def people_counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[int]]]:
    """The prefectures whose relationship and people are counted from the cases."""
    calls: list[list[int]] = []
    count = annual._count_year_parts

    def spy(ids: list[int], start: dt.date, end: dt.date) -> Any:
        calls.append(list(ids))
        return count(ids, start, end)

    monkeypatch.setattr(annual, "_count_year_parts", spy)
    yield calls


def test_writes_in_several_prefectures_equal_a_recount(
    officer_tokyo: User,
    officer_osaka: User,
    make_case: Callable[..., Case],
    people_counted: list[list[int]],
) -> None:
    tokyo = make_case(officer_tokyo, opened_on=D(2016, 2, 1))
    osaka = make_case(officer_osaka, opened_on=D(2016, 5, 1))
    other = make_case(officer_osaka, opened_on=D(2015, 12, 1))
    everyone = Case.objects.all()
    for fiscal in (False, True):
        assert_equal_to_a_recount(everyone, 2016, fiscal)
        assert_equal_to_a_recount(everyone, 2015, fiscal)
    people_counted.clear()
    # Warnings in both prefectures (the load test's write): the people stay cached.
    warnings = [
        case_services.police_event_record(
            actor=officer, case=case, date=D(2016, 6, 1), type="warning"
        )
        for officer, case in ((officer_tokyo, tokyo), (officer_osaka, osaka))
    ]
    stats = annual.compute(everyone, 2016)
    assert people_counted == []
    assert stats.measures["warning"] == 2
    assert_equal_to_a_recount(everyone, 2016)
    # A correction voids one of them.
    case_services.event_correct(actor=officer_osaka, event=warnings[1], reason="wrong case")
    people_counted.clear()
    assert annual.compute(everyone, 2016).measures["warning"] == 1
    assert people_counted == []
    assert_equal_to_a_recount(everyone, 2016)
    # People added through the service, and written around it: each is counted.
    case_services.person_add(
        actor=officer_osaka,
        case=osaka,
        data=case_services.PersonData(role="victim", name="被害者 二", sex="male", age=71),
    )
    people_counted.clear()
    assert_equal_to_a_recount(everyone, 2016)
    assert people_counted[0] == [osaka.prefecture_id]  # then every prefecture, uncached
    Person.objects.filter(case=tokyo, role="offender").update(age=19, sex="female")
    assert_equal_to_a_recount(everyone, 2016)
    Person.objects.filter(case=tokyo, role="victim").update(role="offender")
    assert_equal_to_a_recount(everyone, 2016)
    # A person moved to a case of another year and prefecture, then deleted.
    moved = Person.objects.filter(case=osaka, role="offender").first()
    assert moved is not None
    Person.objects.filter(pk=moved.pk).update(case=other)
    for year in (2015, 2016):
        assert_equal_to_a_recount(everyone, year)
    Person.objects.filter(pk=moved.pk).delete()
    assert_equal_to_a_recount(everyone, 2015)
    # A case's relationship, its opening date, its prefecture; then deletes.
    Case.objects.filter(pk=tokyo.pk).update(relationship="stranger")
    assert_equal_to_a_recount(everyone, 2016)
    Case.objects.filter(pk=tokyo.pk).update(opened_on=D(2015, 3, 1))
    for fiscal in (False, True):
        assert_equal_to_a_recount(everyone, 2015, fiscal)
        assert_equal_to_a_recount(everyone, 2016, fiscal)
    Case.objects.filter(pk=tokyo.pk).update(prefecture=osaka.prefecture)
    assert_equal_to_a_recount(everyone, 2015)
    assert_equal_to_a_recount(everyone.filter(prefecture_id=officer_tokyo.prefecture_id), 2015)
    Case.objects.filter(pk=osaka.pk).delete()
    assert_equal_to_a_recount(everyone, 2016)


def test_an_import_and_bulk_inserts_equal_a_recount(
    tmp_path: Path, officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    make_case(officer_tokyo, opened_on=D(2016, 2, 1))
    everyone = Case.objects.all()
    year = 2016
    assert_equal_to_a_recount(everyone, year)
    generate(tmp_path / "set", years=2, seed=5, scale=0.01)
    summary = import_files(tmp_path / "set")
    assert summary.ok, summary.errors[:3]
    years = sorted({d.year for d in everyone.values_list("opened_on", flat=True)})
    for year in years:
        assert_equal_to_a_recount(everyone, year)
    case = bare_case("40", "B-40", D(years[-1], 4, 1))
    add_events(case, [(D(years[-1], 4, 2), "arrest", "stalking")])
    assert_equal_to_a_recount(everyone, years[-1], fiscal=True)


def test_an_event_leaves_the_people_cached_and_a_person_does_not(
    officer_tokyo: User, make_case: Callable[..., Case], people_counted: list[list[int]]
) -> None:
    case = make_case(officer_tokyo, opened_on=D(2016, 2, 1))
    everyone = Case.objects.all()
    annual.compute(everyone, 2016)
    assert people_counted == [[case.prefecture_id]]
    case_services.event_record(actor=officer_tokyo, case=case, date=D(2016, 3, 1), type="warning")
    annual.compute(everyone, 2016)
    assert people_counted == [[case.prefecture_id]]  # the year's people from the cache
    case_services.person_add(
        actor=officer_tokyo,
        case=case,
        data=case_services.PersonData(role="offender", name="加害者 二", sex="male", age=50),
    )
    assert annual.compute(everyone, 2016).people["offender"]["50s"]["male"] == 1
    assert people_counted == [[case.prefecture_id]] * 2


def test_a_person_written_while_the_people_are_counted_is_not_lost(
    officer_tokyo: User, make_case: Callable[..., Case], monkeypatch: pytest.MonkeyPatch
) -> None:
    case = make_case(officer_tokyo, opened_on=D(2016, 2, 1))
    everyone = Case.objects.all()
    count = annual._count_year_parts

    def add(age: int) -> None:
        case_services.person_add(
            actor=officer_tokyo,
            case=case,
            data=case_services.PersonData(role="offender", name="加害者", sex="male", age=age),
        )

    # A write commits after the versions were read, before the count...
    def write_then_count(ids: list[int], start: dt.date, end: dt.date) -> Any:
        add(45)
        return count(ids, start, end)

    monkeypatch.setattr(annual, "_count_year_parts", write_then_count)
    assert annual.compute(everyone, 2016).people["offender"]["40s"]["male"] == 1

    # ...or after the count, before the part is stored under the versions read.
    def count_then_write(ids: list[int], start: dt.date, end: dt.date) -> Any:
        found = count(ids, start, end)
        add(62)
        return found

    monkeypatch.setattr(annual, "_count_year_parts", count_then_write)
    annual.compute(everyone, 2016)
    monkeypatch.setattr(annual, "_count_year_parts", count)
    stats = annual.compute(everyone, 2016)
    assert stats.people["offender"]["60s"]["male"] == 1  # not served from the cache
    assert people_shown(stats) == people_recount(everyone, 2016, False)


def test_the_stored_rollup_is_cached_with_its_version_until_a_store() -> None:
    ids = prefectures()
    case = bare_case("13", "S-1", D(2015, 1, 1))
    add_events(case, [(D(2015, 1, 2), "warning")])
    rollup.refresh(ids)

    def cached_version() -> int:
        version, _months = cache.get(rollup._stored_name(case.prefecture_id))
        return int(version)

    def shown_cells() -> dict[tuple[int, int], Counter[str]]:
        return {
            (p, y * 100 + m): +c
            for p, months in annual.monthly_counts(ids).items()
            for (y, m), c in months.items()
        }

    assert shown_cells() == from_events(voids=True)
    first = cached_version()
    # A write marks a cell stale: the stored figures, and their version, stand.
    add_events(case, [(D(2015, 2, 3), "warning")])
    assert shown_cells() == from_events(voids=True)
    assert cached_version() == first
    # A store (a report of many stale cells stores its recount) moves the version.
    add_events(case, [(D(2015, 3, 1) + dt.timedelta(days=31 * i), "warning") for i in range(30)])
    assert shown_cells() == from_events(voids=True)
    assert not rollup.stale(ids)
    assert shown_cells() == from_events(voids=True)
    assert cached_version() > first
    assert stored() == from_events(voids=False)


def test_a_cached_rollup_is_not_trusted_after_the_data_was_replaced() -> None:
    """The cached stored figures carry the version they were read at: other figures
    with another version are read again."""
    ids = prefectures()
    case = bare_case("13", "S-2", D(2015, 1, 1))
    rollup.refresh(ids)
    annual.monthly_counts(ids)
    Case.objects.filter(pk=case.pk).update(opened_on=D(2015, 4, 1))
    rollup.refresh(ids)  # stores: the sum of `done` moves
    assert annual.monthly_counts(ids)[case.prefecture_id] == {(2015, 4): Counter(consultations=1)}


def test_a_case_summary_update_marks_no_month_but_a_new_opening_date_does(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(officer_tokyo, opened_on=D(2016, 2, 1))
    rollup.refresh(prefectures())

    def stale_months() -> list[int]:
        return sorted(m for _pk, (_p, m), _n in rollup.stale([case.prefecture_id]))

    case_services.event_record(actor=officer_tokyo, case=case, date=D(2016, 5, 1), type="warning")
    assert stale_months() == [201605]  # the event's month, not the case's opening month
    Case.objects.filter(pk=case.pk).update(relationship="stranger", is_open=False)
    assert stale_months() == [201605]
    Case.objects.filter(pk=case.pk).update(opened_on=D(2016, 3, 1))
    assert stale_months() == [201602, 201603, 201605]
    assert annual.compute(Case.objects.all(), 2016).consultations == 1


def test_the_migration_recounts_the_cells_marked_stale_before_it() -> None:
    """`0005` recounts and stores, in SQL, every cell stale when it runs (0003 marked
    a case's opening month with every event recorded)."""
    migration = importlib.import_module("tsunagu.reports.migrations.0005_annual_people_version")
    case = bare_case("13", "M-1", D(2017, 1, 15))
    other = bare_case("27", "M-2", D(2017, 2, 15))
    add_events(case, [(D(2017, 1, 20), "warning"), (D(2017, 2, 1), "arrest", "order_violation")])
    add_events(other, [(D(2017, 3, 1), "assistance"), (D(2017, 3, 2), "arrest", "odd")])
    assert rollup.stale(prefectures())
    with transaction.atomic(), connection.cursor() as cursor:  # as the migration runs
        for sql in migration.recount_stale_sql(connection.vendor):
            cursor.execute(sql)
    assert not rollup.stale(prefectures())
    assert stored() == from_events(voids=False)
