"""Import: validation of every bad row, all-or-nothing, idempotence, encodings."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.core.management import CommandError, call_command

from tsunagu.cases import timeline
from tsunagu.cases.models import Case, Event, Person
from tsunagu.core.models import AuditEvent, Region
from tsunagu.interchange import format as fmt
from tsunagu.interchange.importer import import_files
from tsunagu.testing.files import CASES, EVENTS, write_set

pytestmark = pytest.mark.django_db


def test_every_kind_of_bad_row_is_reported_at_once_and_nothing_is_written(tmp_path):
    cases = [
        ("A-1", "13", "", "2016-05-10", "partner_or_ex"),  # line 2: fine
        ("A-2", "99", "", "2016-05-10", "partner_or_ex"),  # line 3: unknown prefecture
        ("A-3", "13", "", "2016/05/10", "partner_or_ex"),  # line 4: bad date
        ("A-4", "13", "", "2016-05-10", "lover"),  # line 5: unknown relationship
        ("A-1", "13", "", "2016-05-11", "partner_or_ex"),  # line 6: same ref, other data
        ("", "13", "", "2016-05-10", "stranger"),  # line 7: no ref
        ("A-5", "13", "", "2099-01-01", "stranger"),  # line 8: future date
    ]
    events = [
        ("A-1", "13", "2016-05-10", "consultation", ""),  # line 2: fine
        ("A-1", "13", "2016-13-01", "warning", ""),  # line 3: bad date
        ("A-1", "13", "2016-05-12", "visit", ""),  # line 4: unknown type
        ("NOPE", "13", "2016-05-12", "warning", ""),  # line 5: unknown case
        ("A-1", "13", "2016-06-01", "advice_rejected", "lazy"),  # line 6: bad reason
        ("A-1", "13", "2016-06-01", "arrest", ""),  # line 7: arrest kind missing
        ("A-1", "13", "2016-06-02", "recurrence", "again"),  # line 8: bad recurrence kind
        ("A-1", "13", "2016-05-01", "warning", ""),  # line 9: before opened_on
        ("A-1", "47x", "2016-06-02", "warning", ""),  # line 10: unknown prefecture
    ]
    write_set(tmp_path, cases, events)
    summary = import_files(tmp_path)
    got = {(e.file, e.line, e.column) for e in summary.errors}
    assert got == {
        ("cases.csv", 3, "prefecture"),
        ("cases.csv", 4, "opened_on"),
        ("cases.csv", 5, "relationship"),
        ("cases.csv", 6, "case_ref"),
        ("cases.csv", 7, "case_ref"),
        ("cases.csv", 8, "opened_on"),
        ("events.csv", 3, "date"),
        ("events.csv", 4, "type"),
        ("events.csv", 5, "case_ref"),
        ("events.csv", 6, "detail"),
        ("events.csv", 7, "detail"),
        ("events.csv", 8, "detail"),
        ("events.csv", 9, "date"),
        ("events.csv", 10, "prefecture"),
    }
    assert all(e.reason for e in summary.errors)
    assert Case.objects.count() == 0 and Event.objects.count() == 0
    assert not AuditEvent.objects.filter(action="interchange.import").exists()


def test_command_lists_bad_rows_and_exits_non_zero(tmp_path, capsys):
    write_set(tmp_path, CASES, [*EVENTS, ("T-9", "13", "2016-05-10", "warning", "")])
    with pytest.raises(CommandError, match="1 bad row"):
        call_command("import", str(tmp_path))
    assert "events.csv:13 [case_ref]" in capsys.readouterr().out
    assert Case.objects.count() == 0


def test_import_creates_cases_people_events_with_cached_state(tmp_path):
    write_set(tmp_path, CASES, EVENTS)
    summary = import_files(tmp_path)
    assert summary.ok, summary.errors
    assert summary.counts() == {
        "cases_created": 3,
        "cases_unchanged": 0,
        "people_created": 6,
        "events_created": 11,
        "events_unchanged": 0,
        "assessments_created": 0,
        "assessments_unchanged": 0,
    }
    t1 = Case.objects.get(ref="T-1")
    assert t1.station is not None and t1.station.name_ja == "新宿警察署"
    assert Case.objects.get(ref="O-1").station == Region.objects.get(code="27-001")
    for case in Case.objects.all():
        state = case.state()
        assert (case.is_open, case.latest_measure, case.latest_measure_on) == (
            state.is_open,
            state.latest_measure,
            state.latest_measure_on,
        )
        assert all(e.rank == timeline.TYPE_RANK[e.type] for e in case.events.all())
        first = case.events.order_by("date").first()
        assert first is not None and case.opened_on == first.date
    assert Person.objects.filter(role="offender").count() == 3
    assert Case.objects.get(ref="O-1").latest_measure == "arrest"


def test_importing_the_same_files_twice_changes_nothing(tmp_path):
    write_set(tmp_path, CASES, EVENTS)
    import_files(tmp_path)
    before = list(Event.objects.values_list("pk", "case_id", "date", "type", "detail"))
    summary = import_files(tmp_path)
    assert summary.counts() == {
        "cases_created": 0,
        "cases_unchanged": 3,
        "people_created": 0,
        "events_created": 0,
        "events_unchanged": 11,
        "assessments_created": 0,
        "assessments_unchanged": 0,
    }
    assert list(Event.objects.values_list("pk", "case_id", "date", "type", "detail")) == before
    assert Person.objects.count() == 6


def test_a_file_adding_events_to_known_cases_adds_only_those(tmp_path):
    write_set(tmp_path / "a", CASES, EVENTS)
    import_files(tmp_path / "a")
    more = [
        EVENTS[0],
        ("O-1", "27", "2016-08-01", "treatment_advised", ""),
        ("O-1", "27", "2016-08-02", "warning", ""),
    ]
    write_set(tmp_path / "b", [], more)
    summary = import_files(tmp_path / "b")
    assert summary.ok, summary.errors
    assert (summary.events_created, summary.events_unchanged) == (2, 1)
    assert summary.cases_created == 0
    case = Case.objects.get(ref="O-1")
    assert (case.latest_measure, case.latest_measure_on) == ("warning", dt.date(2016, 8, 2))


def test_a_known_case_with_different_data_is_refused(tmp_path):
    write_set(tmp_path / "a", CASES, EVENTS)
    import_files(tmp_path / "a")
    changed = [("T-1", "13", "新宿", "2016-05-10", "stranger")]
    write_set(tmp_path / "b", changed, [])
    summary = import_files(tmp_path / "b")
    assert [(e.line, e.column) for e in summary.errors] == [(2, "case_ref")]
    assert Case.objects.get(ref="T-1").relationship == "partner_or_ex"


def test_identical_duplicate_rows_are_one_case_and_one_event(tmp_path):
    write_set(tmp_path, [*CASES, CASES[0]], [*EVENTS, EVENTS[1]])
    summary = import_files(tmp_path)
    assert summary.ok
    assert (summary.cases_created, summary.events_created) == (3, 11)


def test_row_order_does_not_change_the_data(tmp_path):
    rng = random.Random(7)
    cases, events = list(CASES), list(EVENTS)
    rng.shuffle(cases)
    rng.shuffle(events)
    write_set(tmp_path / "a", CASES, EVENTS)
    write_set(tmp_path / "b", cases, events)

    def snapshot() -> set[tuple[object, ...]]:
        return set(
            Event.objects.values_list(
                "case__ref", "case__prefecture__code", "date", "type", "rank", "detail",
                "case__is_open", "case__latest_measure", "case__latest_measure_on",
                "case__station__code", "case__relationship",
            )
        )  # fmt: skip

    import_files(tmp_path / "a")
    first = snapshot()
    Case.objects.all().delete()
    import_files(tmp_path / "b")
    assert snapshot() == first


def test_dry_run_counts_but_writes_nothing(tmp_path):
    write_set(tmp_path, CASES, EVENTS)
    summary = import_files(tmp_path, dry_run=True)
    assert summary.dry_run and summary.cases_created == 3 and summary.events_created == 11
    assert Case.objects.count() == 0 and Region.objects.filter(name_ja="新宿").count() == 0
    assert not AuditEvent.objects.filter(action="interchange.import").exists()


def test_command_dry_run_prints_counts(tmp_path, capsys):
    write_set(tmp_path, CASES, EVENTS)
    call_command("import", str(tmp_path), "--dry-run")
    out = capsys.readouterr().out
    assert "Cases created: 3, unchanged: 0" in out and "Dry run" in out
    assert Case.objects.count() == 0


def test_unknown_station_is_a_bad_row_unless_its_creation_is_chosen(tmp_path):
    cases = [("T-1", "13", "月島", "2016-05-10", "partner_or_ex")]
    events = [("T-1", "13", "2016-05-10", "consultation", "")]
    write_set(tmp_path, cases, events)
    summary = import_files(tmp_path)
    assert [(e.line, e.column) for e in summary.errors] == [(2, "station")]
    assert "月島" in summary.errors[0].message
    with pytest.raises(CommandError, match="1 bad row"):
        call_command("import", str(tmp_path), stdout=io.StringIO())
    assert not Region.objects.filter(name_ja="月島").exists()
    assert Case.objects.count() == 0
    call_command("import", str(tmp_path), "--create-stations", stdout=io.StringIO())
    assert Case.objects.get().station == Region.objects.get(name_ja="月島")


def test_unknown_station_is_created_and_listed_unknown_clinic_listed(tmp_path):
    cases = [("T-1", "13", "月島", "2016-05-10", "partner_or_ex")]
    events = [
        ("T-1", "13", "2016-05-10", "consultation", ""),
        ("T-1", "13", "2016-05-12", "treatment_advised", ""),
        ("T-1", "13", "2016-05-15", "appointment_scheduled", "13-C999"),
    ]
    write_set(tmp_path, cases, events)
    summary = import_files(tmp_path, create_stations=True)
    assert summary.stations_created == ["13 月島"]
    assert summary.unknown_clinics == ["13-C999"]
    station = Region.objects.get(name_ja="月島")
    assert station.kind == "station" and station.parent == Region.objects.get(code="13")
    assert Case.objects.get().station == station
    assert Event.objects.get(type="appointment_scheduled").detail == "13-C999"


def test_one_audit_event_per_import_with_counts_hashes_and_actor(tmp_path, supervisor_tokyo):
    write_set(tmp_path, CASES, EVENTS)
    call_command("import", str(tmp_path), "--actor", "supervisor-tokyo")
    audits = AuditEvent.objects.filter(action="interchange.import")
    assert audits.count() == 1
    audit = audits.get()
    assert audit.actor == supervisor_tokyo
    assert audit.detail["counts"]["events_created"] == 11
    assert set(audit.detail["files"]) == {"cases.csv", "events.csv"}
    assert len(audit.detail["files"]["cases.csv"]) == 64


def test_scope_refuses_rows_of_another_prefecture(tmp_path):
    write_set(tmp_path, CASES, EVENTS)
    summary = import_files(tmp_path, scope={"13"})
    assert {(e.file, e.line) for e in summary.errors} == {
        ("cases.csv", 4),
        ("events.csv", 11),
        ("events.csv", 12),
    }
    assert Case.objects.count() == 0


def test_shift_jis_file_is_detected(tmp_path):
    write_set(tmp_path, CASES, EVENTS, encoding="cp932")
    summary = import_files(tmp_path)
    assert summary.ok, summary.errors
    assert Event.objects.filter(detail="元交際相手からのつきまとい").exists()


def test_encoding_can_be_given(tmp_path):
    write_set(tmp_path, CASES, EVENTS, encoding="cp932")
    call_command("import", str(tmp_path), "--encoding", "cp932")
    station = Case.objects.get(ref="T-1").station
    assert station is not None and station.name_ja == "新宿警察署"


def test_bom_and_crlf_are_accepted(tmp_path):
    write_set(tmp_path, CASES, EVENTS, encoding="utf-8-sig", newline="\r\n")
    summary = import_files(tmp_path)
    assert summary.ok, summary.errors
    assert Case.objects.count() == 3
    assert not Event.objects.filter(detail__contains="\r").exists()


def test_extra_columns_and_other_column_order(tmp_path):
    cases_header = ("note", "opened_on", "prefecture", "case_ref", "relationship", "station")
    cases = [("x", c[3], c[1], c[0], c[4], c[2]) for c in CASES]
    events_header = ("type", "detail", "date", "extra", "prefecture", "case_ref")
    events = [(e[3], e[4], e[2], "ignored", e[1], e[0]) for e in EVENTS]
    write_set(tmp_path, cases, events, cases_header=cases_header, events_header=events_header)
    summary = import_files(tmp_path)
    assert summary.ok, summary.errors
    assert Event.objects.count() == 11
    assert Case.objects.get(ref="T-2").relationship == "workplace"


def test_a_missing_required_column_is_refused(tmp_path):
    write_set(tmp_path, [c[:2] for c in CASES], EVENTS, cases_header=("case_ref", "prefecture"))
    with pytest.raises(fmt.FormatError, match="opened_on"):
        import_files(tmp_path)


def test_personal_columns_are_encrypted_at_rest(tmp_path):
    header = ("case_ref", "prefecture", "opened_on", "victim_name", "victim_address")
    write_set(
        tmp_path,
        [("T-1", "13", "2016-05-10", "被害 花子", "架空市1-2-3")],
        [EVENTS[0]],
        cases_header=header,
    )
    assert import_files(tmp_path).ok
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM cases_person WHERE role = 'victim'")
        (raw,) = cursor.fetchone()
    assert raw.startswith("v2:") and "架空" not in raw
    assert Person.objects.get(role="victim").address == "架空市1-2-3"


def test_a_case_written_meanwhile_makes_the_import_write_nothing(
    tmp_path, monkeypatch, make_case, officer_tokyo
):
    from tsunagu.interchange.importer import Importer

    write_set(tmp_path, CASES, EVENTS)
    original = Importer.plan

    def plan_then_conflict(self: Importer) -> None:
        original(self)
        make_case(officer_tokyo, ref="T-1")  # the same case, created by a user meanwhile

    monkeypatch.setattr(Importer, "plan", plan_then_conflict)
    summary = import_files(tmp_path)
    assert len(summary.errors) == 1 and "someone else" in summary.errors[0].reason
    assert list(Case.objects.values_list("ref", flat=True)) == ["T-1"]
    assert Event.objects.count() == 1


def test_progress_bars_are_drawn_when_asked(tmp_path, capsys):
    write_set(tmp_path, CASES, EVENTS)
    assert import_files(tmp_path, progress=True).ok
    err = capsys.readouterr().err
    assert "cases" in err and "events" in err and "write" in err


def test_nul_characters_are_bad_rows_and_malformed_csv_is_refused(tmp_path):
    write_set(tmp_path, CASES, [*EVENTS, ("T-1", "13", "2016-06-05", "assistance", "a\x00b")])
    summary = import_files(tmp_path)
    assert [(e.line, e.column) for e in summary.errors] == [(13, "detail")]
    assert Case.objects.count() == 0
    (tmp_path / "events.csv").write_text(
        "case_ref,prefecture,date,type\n" + "T-1,13,2016-05-10," + "x" * 200_000 + "\n",
        encoding="utf-8",
    )
    with pytest.raises(fmt.FormatError, match="events.csv"):
        import_files(tmp_path)


def test_files_are_read_before_the_write_transaction_and_tables_analysed(tmp_path, monkeypatch):
    """On SQLite the write transaction holds the database's write lock: the files are
    parsed (both passes) before it, and only the writes happen inside it."""
    from django.db import connection

    write_set(tmp_path, CASES, EVENTS)
    outside = len(connection.savepoint_ids)
    reads: list[bool] = []
    original = fmt.Table.rows

    def rows(self):
        reads.append(len(connection.savepoint_ids) == outside)
        yield from original(self)

    monkeypatch.setattr(fmt.Table, "rows", rows)
    summary = import_files(tmp_path)
    assert summary.ok and summary.cases_created == 3
    assert len(reads) == 3 and all(reads)  # cases twice, events once: none inside
    assert summary.write_seconds > 0 and set(summary.write_steps) >= {"cases", "events"}
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
            assert {"cases_case", "cases_event"} <= {r[0] for r in cursor.fetchall()}


SAME_DAY_CASE = [("T-9", "13", "新宿", "2016-05-10", "partner_or_ex")]
SAME_DAY_START = [
    ("T-9", "13", "2016-05-10", "consultation", ""),
    ("T-9", "13", "2016-06-01", "case_closed", ""),
]


@pytest.mark.parametrize(
    ("last_two", "is_open"),
    [(("case_reopened", "case_closed"), False), (("case_closed", "case_reopened"), True)],
)
def test_events_of_one_date_the_type_list_does_not_order_keep_the_file_order(
    tmp_path, last_two, is_open
):
    rows = [*SAME_DAY_START, *(("T-9", "13", "2016-07-01", t, "") for t in last_two)]
    write_set(tmp_path, SAME_DAY_CASE, rows)
    assert import_files(tmp_path).ok
    case = Case.objects.get(ref="T-9")
    assert case.is_open is is_open
    assert case.state().is_open is is_open  # the cache agrees with the timeline
    assert [e.type for e in case.events.filter(date=dt.date(2016, 7, 1)).order_by("pk")] == list(
        last_two
    )


def test_a_file_event_is_recorded_after_the_database_events_of_its_date(tmp_path):
    rows = [*SAME_DAY_START, ("T-9", "13", "2016-07-01", "case_reopened", "")]
    write_set(tmp_path / "a", SAME_DAY_CASE, rows)
    import_files(tmp_path / "a")
    assert Case.objects.get(ref="T-9").is_open is True
    write_set(tmp_path / "b", [], [("T-9", "13", "2016-07-01", "case_closed", "")])
    assert import_files(tmp_path / "b").ok
    case = Case.objects.get(ref="T-9")
    assert case.is_open is False and case.state().is_open is False


def test_export_and_reimport_keep_the_recorded_order_of_one_date(tmp_path):
    from tsunagu.interchange.exporter import export

    rows = [*SAME_DAY_START, ("T-9", "13", "2016-07-01", "case_reopened", "")]
    rows.append(("T-9", "13", "2016-07-01", "case_closed", ""))
    write_set(tmp_path / "in", SAME_DAY_CASE, rows)
    import_files(tmp_path / "in")
    export(tmp_path / "out")
    exported = (tmp_path / "out" / fmt.EVENTS_FILE).read_text(encoding="utf-8-sig")
    assert exported.index("case_reopened") < exported.rindex("case_closed")
    Case.objects.all().delete()
    assert import_files(tmp_path / "out").ok
    assert Case.objects.get(ref="T-9").is_open is False
