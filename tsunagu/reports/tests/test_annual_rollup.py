"""The annual statistics' rollup equals a recount from the cases and events after
every kind of write: services, corrections, an import, bulk inserts and raw SQL,
updates that move an event or a case, deletes, and a write that commits while a
report recounts (it must not be lost).

Transactional tests: each write commits, as in the application. (Emptying the
tables between tests leaves stale marks of the previous test's prefecture ids:
the checks look at the prefectures of the test.)"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection

from tsunagu.cases import services as case_services
from tsunagu.cases import timeline
from tsunagu.cases.models import Case, Event
from tsunagu.core.models import Region, User
from tsunagu.interchange.generate import generate
from tsunagu.interchange.importer import import_files
from tsunagu.reports import annual, rollup
from tsunagu.reports.models import AnnualCount, AnnualStale
from tsunagu.testing.builders import add_events, bare_case

pytestmark = pytest.mark.usefixtures("transactional_db")

D = dt.date
Cells = dict[tuple[int, int], Counter[str]]


def prefectures() -> list[int]:
    return list(Region.objects.filter(kind="prefecture").values_list("pk", flat=True))


def from_events(voids: bool) -> Cells:
    """Every cell counted here one case and one event at a time (corrections
    applied when `voids`), without zeros."""
    cells: Cells = {}

    def add(prefecture: int, day: dt.date, kind: str) -> None:
        cells.setdefault((prefecture, rollup.month_of(day)), Counter())[kind] += 1

    for prefecture, opened_on in Case.objects.values_list("prefecture_id", "opened_on"):
        add(prefecture, opened_on, "consultations")
    events = list(Event.objects.select_related("case"))
    voided = set()
    for ev in events:
        target = timeline.correction_target(ev.detail) if ev.type == "correction" else None
        if voids and target:
            voided.add((ev.case_id, target[1], target[0], target[2]))
    for ev in events:
        if ev.type not in timeline.COUNTED_MEASURES:
            continue
        if (ev.case_id, ev.date, ev.type, ev.detail) in voided:
            continue
        add(ev.case.prefecture_id, ev.date, ev.type)
        if ev.type == "arrest":
            add(ev.case.prefecture_id, ev.date, rollup.arrest_kind(ev.detail))
    return cells


def stored() -> Cells:
    """The rollup as stored, arrests' total added."""
    cells: Cells = {}
    for p, m, kind, n in AnnualCount.objects.values_list("prefecture_id", "month", "kind", "n"):
        cells.setdefault((p, m), Counter())[kind] = n
    return {cell: rollup.with_arrests(counts) for cell, counts in cells.items()}


def shown_months() -> Cells:
    """What the annual statistics count, by cell (corrections applied)."""
    return {
        (p, year * 100 + month): +counts
        for p, months in annual.monthly_counts(prefectures()).items()
        for (year, month), counts in months.items()
        if +counts
    }


def assert_in_step() -> None:
    """The report's figures equal a recount; once the stale cells are recounted
    and stored, the rollup equals a recount too and no cell is stale."""
    assert shown_months() == from_events(voids=True)
    rollup.refresh(prefectures())
    assert stored() == from_events(voids=False)
    assert not rollup.stale(prefectures())


def test_service_writes_and_a_correction(
    officer_tokyo: User, officer_osaka: User, make_case: Callable[..., Case]
) -> None:
    tokyo = make_case(officer_tokyo, opened_on=D(2016, 1, 20))
    osaka = make_case(officer_osaka, opened_on=D(2016, 3, 31))
    assert_in_step()
    recorded = {}
    for day, type_, detail in [
        (D(2016, 2, 1), "warning", ""),
        (D(2016, 2, 3), "prohibition_order", ""),
        (D(2016, 2, 4), "emergency_order", ""),
        (D(2016, 3, 1), "arrest", "stalking"),
        (D(2016, 3, 2), "arrest", "order_violation"),
        (D(2016, 4, 1), "arrest", "other"),
        (D(2016, 4, 2), "assistance", ""),
        (D(2016, 5, 1), "treatment_advised", ""),
    ]:
        recorded[type_, detail] = case_services.event_record(
            actor=officer_tokyo, case=tokyo, date=day, type=type_, detail=detail
        )
    case_services.event_record(actor=officer_osaka, case=osaka, date=D(2016, 4, 1), type="warning")
    assert_in_step()
    kinds = {k for counts in stored().values() for k in counts}
    assert set(rollup.KINDS) | {"arrest"} <= kinds | {"arrest_other"}
    # A correction voids a counted arrest: the report no longer counts it.
    case_services.event_correct(
        actor=officer_tokyo, event=recorded["arrest", "stalking"], reason="wrong case"
    )
    assert_in_step()
    assert shown_months()[(tokyo.prefecture_id, 201603)]["arrest_stalking"] == 0


def test_bulk_inserts_raw_sql_updates_and_deletes() -> None:
    tokyo = Region.objects.get(code="13").pk
    osaka = Region.objects.get(code="27").pk
    case = bare_case("13", "B-1", D(2017, 1, 15))
    other = bare_case("27", "B-2", D(2017, 2, 15))
    add_events(
        case,
        [
            (D(2017, 1, 20), "warning"),
            (D(2017, 2, 1), "arrest", "order_violation"),
            (D(2017, 2, 2), "consultation"),
        ],
    )
    add_events(other, [(D(2017, 3, 1), "assistance")])
    assert_in_step()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_event (case_id, date, type, rank, detail, recorded_at) "
            "VALUES (%s, %s, 'assistance', 0, '', %s)",
            [case.pk, D(2017, 5, 5), dt.datetime(2017, 5, 5, tzinfo=dt.UTC)],
        )
    assert_in_step()
    # An event moved to another month, and to another type.
    Event.objects.filter(case=case, type="warning").update(date=D(2017, 6, 1))
    Event.objects.filter(case=case, type="assistance").update(type="warning")
    assert_in_step()
    # A case opened on another day, then moved to another prefecture with its events.
    Case.objects.filter(pk=case.pk).update(opened_on=D(2016, 12, 1))
    assert_in_step()
    Case.objects.filter(pk=case.pk).update(prefecture_id=osaka)
    assert_in_step()
    assert not [c for c in stored() if c[0] == tokyo]
    # Deletes: one event, then a whole case with its events.
    Event.objects.filter(case=case, type="arrest").delete()
    assert_in_step()
    Case.objects.filter(pk=other.pk).delete()
    assert_in_step()
    Case.objects.all().delete()
    assert_in_step()
    assert stored() == {}


def test_an_import(tmp_path: Path) -> None:
    generate(tmp_path / "set", years=2, seed=5, scale=0.01)
    summary = import_files(tmp_path / "set")
    assert summary.ok, summary.errors[:3]
    assert Event.objects.filter(type__in=timeline.COUNTED_MEASURES).exists()
    # The import recounted its cells in its own transaction: nothing is stale.
    assert not rollup.stale(prefectures())
    assert stored() == from_events(voids=False)
    assert_in_step()


def test_a_write_committed_during_a_recount_is_not_lost() -> None:
    case = bare_case("13", "C-1", D(2018, 4, 1))
    add_events(case, [(D(2018, 4, 2), "warning")])
    ids = prefectures()
    # A report reads the stale marks and counts them...
    marks = rollup.stale(ids)
    counts = rollup.recount([cell for _pk, cell, _n in marks])
    # ...a write in the same month commits meanwhile...
    add_events(case, [(D(2018, 4, 3), "warning")])
    # ...and the report stores what it counted: the cell stays stale.
    assert rollup.store(marks, counts) == []
    assert [cell for _pk, cell, _n in rollup.stale(ids)] == [(case.prefecture_id, 201804)]
    assert shown_months()[(case.prefecture_id, 201804)]["warning"] == 2
    assert (case.prefecture_id, 201804) not in stored()  # nothing stored
    assert_in_step()


def test_an_older_recount_never_overwrites_a_newer_one() -> None:
    case = bare_case("13", "C-2", D(2018, 4, 1))
    add_events(case, [(D(2018, 4, 2), "warning")])
    ids = prefectures()
    # Report A reads the marks and counts; a write commits; report B counts it
    # and stores; then A tries to store its older figures.
    marks_a = rollup.stale(ids)
    counts_a = rollup.recount([cell for _pk, cell, _n in marks_a])
    add_events(case, [(D(2018, 4, 3), "warning")])
    rollup.refresh(ids)
    assert stored()[(case.prefecture_id, 201804)]["warning"] == 2
    assert rollup.store(marks_a, counts_a) == []
    assert stored()[(case.prefecture_id, 201804)]["warning"] == 2
    # The marks are never deleted: a later write bumps the same counter further.
    add_events(case, [(D(2018, 4, 4), "warning")])
    mark = AnnualStale.objects.get(prefecture_id=case.prefecture_id, month=201804)
    assert mark.n > mark.done
    assert_in_step()


def test_a_report_stores_its_recount_when_many_cells_are_stale() -> None:
    case = bare_case("13", "C-3", D(2015, 1, 1))
    add_events(case, [(D(2015, 1, 2) + dt.timedelta(days=31 * i), "warning") for i in range(30)])
    ids = prefectures()
    assert len(rollup.stale(ids)) > rollup.STORE_AFTER
    assert shown_months() == from_events(voids=True)
    assert not rollup.stale(ids)  # stored by the report itself
    assert stored() == from_events(voids=False)
