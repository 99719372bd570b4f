"""Assessments in the interchange: `risk_assessed` events in events.csv and the
optional `assessments.csv` (instrument, version, level, role; never answers or text)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tsunagu.cases import timeline
from tsunagu.cases.models import Case, Event
from tsunagu.core.models import User
from tsunagu.interchange import format as fmt
from tsunagu.interchange.exporter import export
from tsunagu.interchange.importer import import_files
from tsunagu.risk.models import Assessment
from tsunagu.risk.tests.helpers import RISK_MARKERS, assess, load
from tsunagu.testing.files import csv_text, write_set

pytestmark = pytest.mark.django_db

CASES = [("A-1", "13", "", "2016-05-10", "stranger"), ("A-2", "13", "", "2016-05-10", "")]
EVENTS = [
    ("A-1", "13", "2016-05-10", "consultation", ""),
    ("A-2", "13", "2016-05-10", "consultation", ""),
]


def write_assessments(folder: Path, rows: list[tuple[str, ...]]) -> None:
    text = csv_text(fmt.ASSESSMENT_COLUMNS, rows)
    (folder / fmt.ASSESSMENTS_FILE).write_text(text, encoding="utf-8")


def files_equal(a: Path, b: Path) -> None:
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_round_trip_keeps_levels_and_their_corrections(
    tmp_path: Path, officer_tokyo: User, make_case: Any
) -> None:
    from tsunagu.cases import services

    case = make_case(officer_tokyo, ref="RISK-RT")
    instrument = load("external")
    assess(officer_tokyo, case, instrument, on=dt.date(2016, 6, 1), level="low")
    wrong = assess(officer_tokyo, case, instrument, on=dt.date(2016, 6, 5), level="top")
    services.event_correct(actor=officer_tokyo, event=wrong.event, reason="wrong case")
    assert timeline.risk_level(case.timeline_events()) == (dt.date(2016, 6, 1), "low")
    export(tmp_path / "a", include_personal=True)
    exported = (tmp_path / "a" / "events.csv").read_text(encoding="utf-8-sig")
    assert "risk_assessed" in exported
    rows = (tmp_path / "a" / "assessments.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows == [
        ",".join(fmt.ASSESSMENT_COLUMNS),
        "RISK-RT,13,2016-06-01,test-external,1,low,officer",
        "RISK-RT,13,2016-06-05,test-external,1,top,officer",
    ]
    for name in ("events.csv", "assessments.csv", "cases.csv"):
        text = (tmp_path / "a" / name).read_text(encoding="utf-8-sig")
        for marker in RISK_MARKERS:
            assert marker not in text  # answers and texts stay out of the interchange
    Case.objects.all().delete()
    summary = import_files(tmp_path / "a")
    assert summary.ok, summary.errors
    assert summary.assessments_created == 2
    export(tmp_path / "b", include_personal=True)
    files_equal(tmp_path / "a", tmp_path / "b")
    again = Case.objects.get(ref="RISK-RT")
    assert timeline.risk_level(again.timeline_events()) == (dt.date(2016, 6, 1), "low")
    # The rows the case panel and the supervisor read: the corrected one does not count.
    imported = {a.level: a for a in Assessment.objects.filter(case=again)}
    assert imported["low"].is_current and imported["low"].is_effective
    assert not imported["top"].is_effective and not imported["top"].is_current
    assert imported["low"].answers == "" and imported["low"].event.type == "risk_assessed"
    # Importing the same files again adds nothing.
    twice = import_files(tmp_path / "a")
    assert twice.ok and twice.assessments_created == 0 and twice.assessments_unchanged == 2
    assert twice.events_created == 0
    assert Assessment.objects.count() == 2


def test_assessments_only_records_the_event_and_the_panel_shows_it(
    tmp_path: Path, officer_tokyo: User
) -> None:
    from tsunagu.testing import client_for

    load("external")
    folder = write_set(tmp_path / "in", CASES, EVENTS)
    write_assessments(folder, [("A-1", "13", "2016-06-01", "test-external", "1", "top", "")])
    summary = import_files(folder)
    assert summary.ok, summary.errors
    assert (summary.events_created, summary.assessments_created) == (3, 1)
    case = Case.objects.get(ref="A-1")
    event = Event.objects.get(case=case, type="risk_assessed")
    a = Assessment.objects.get()
    assert (a.event_id, a.level, a.is_top, a.assessed_by_role) == (event.pk, "top", True, "officer")
    assert event.detail == "top" and a.is_current
    body = client_for(officer_tokyo).get(f"/cases/{case.pk}/").content.decode()
    assert "最高" in body and "2016-06-01" in body
    # Again: nothing new, neither the event nor the assessment.
    again = import_files(folder)
    assert (again.events_created, again.assessments_created) == (0, 0)
    assert again.assessments_unchanged == 1


def test_a_level_already_in_events_gets_its_assessment_row(tmp_path: Path) -> None:
    load("external")
    folder = write_set(
        tmp_path / "in", CASES, [*EVENTS, ("A-1", "13", "2016-06-01", "risk_assessed", "mid")]
    )
    assert import_files(folder).ok
    assert not Assessment.objects.exists()  # events only: no assessment row yet
    write_assessments(folder, [("A-1", "13", "2016-06-01", "test-external", "1", "mid", "")])
    summary = import_files(folder)
    assert summary.ok, summary.errors
    assert (summary.events_created, summary.assessments_created) == (0, 1)
    assert Assessment.objects.get().event == Event.objects.get(type="risk_assessed")


@pytest.mark.parametrize(
    "row, column, text",
    [
        (("A-1", "13", "2016-06-01", "nope", "1", "top", ""), "instrument", "nope"),
        (("A-1", "13", "2016-06-01", "test-external", "9", "top", ""), "version", "“9”"),
        (("A-1", "13", "2016-06-01", "test-external", "1", "huge", ""), "level", "huge"),
        (("A-1", "13", "2016-06-01", "test-external", "1", "", ""), "level", "not a level"),
        (("A-1", "13", "2999-06-01", "test-external", "1", "top", ""), "date", "future"),
        (("A-1", "13", "01/06/2016", "test-external", "1", "top", ""), "date", "ISO"),
        (
            ("A-1", "13", "2016-06-01", "test-external", "1", "top", "clinician"),
            "assessed_by_role",
            "clinician",
        ),
        (("A-9", "13", "2016-06-01", "test-external", "1", "top", ""), "case_ref", "No such case"),
        (("A-1", "99", "2016-06-01", "test-external", "1", "top", ""), "prefecture", "99"),
        (("A-1", "13", "2016-05-01", "test-external", "1", "top", ""), "date", "opened_on"),
    ],
)
def test_bad_rows_are_refused_with_line_and_field_and_nothing_written(
    tmp_path: Path, row: tuple[str, ...], column: str, text: str
) -> None:
    load("external")
    folder = write_set(tmp_path / "in", CASES, EVENTS)
    good = ("A-2", "13", "2016-06-01", "test-external", "1", "low", "")
    write_assessments(folder, [good, row])
    summary = import_files(folder)
    assert not summary.ok
    error = summary.errors[0]
    assert (error.file, error.line, error.column) == ("assessments.csv", 3, column), error
    assert text in str(error)
    assert not Case.objects.exists() and not Assessment.objects.exists()


def test_same_assessment_twice_with_different_data_is_refused(tmp_path: Path) -> None:
    load("external")
    load("count")
    folder = write_set(tmp_path / "in", CASES, EVENTS)
    write_assessments(
        folder,
        [
            ("A-1", "13", "2016-06-01", "test-external", "1", "top", ""),
            ("A-1", "13", "2016-06-01", "test-external", "1", "top", ""),  # the same: once
            ("A-1", "13", "2016-06-01", "test-count", "1", "top", ""),
        ],
    )
    summary = import_files(folder)
    assert [(e.line, e.column) for e in summary.errors] == [(4, "instrument")]
    assert "line 2" in str(summary.errors[0])
    assert not Assessment.objects.exists()


def test_a_different_instrument_for_an_assessment_in_the_database_is_refused(
    tmp_path: Path, officer_tokyo: User, make_case: Any
) -> None:
    case = make_case(officer_tokyo, ref="IN-DB")
    assess(officer_tokyo, case, load("external"), on=dt.date(2016, 6, 1), level="top")
    load("count")
    export(tmp_path / "a")
    path = tmp_path / "a" / fmt.ASSESSMENTS_FILE
    text = path.read_text(encoding="utf-8-sig").replace("test-external", "test-count")
    path.write_text(text, encoding="utf-8")
    summary = import_files(tmp_path / "a")
    assert [(e.file, e.line, e.column) for e in summary.errors] == [
        ("assessments.csv", 2, "instrument")
    ]
    assert Assessment.objects.count() == 1


def test_xlsx_round_trip_has_the_assessments_sheet(
    tmp_path: Path, officer_tokyo: User, make_case: Any
) -> None:
    from openpyxl import load_workbook

    case = make_case(officer_tokyo, ref="XL-1")
    assess(officer_tokyo, case, load("external"), on=dt.date(2016, 6, 1), level="mid")
    book = export(tmp_path / "a.xlsx", file_format="xlsx").files[0]
    sheet = load_workbook(book, read_only=True)["assessments"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[1] == ["XL-1", "13", "2016-06-01", "test-external", "1", "mid", "officer"]
    Case.objects.all().delete()
    summary = import_files(book)
    assert summary.ok and summary.assessments_created == 1, summary.errors
    assert Assessment.objects.get().level == "mid"


def test_analyst_export_keeps_levels_and_a_supervisor_only_their_prefecture(
    tmp_path: Path,
    officer_tokyo: User,
    officer_osaka: User,
    analyst: User,
    supervisor_osaka: User,
    make_case: Any,
) -> None:
    instrument = load("external")
    tokyo = make_case(officer_tokyo, ref="TK-1")
    assess(officer_tokyo, tokyo, instrument, on=dt.date(2016, 6, 1), level="mid")
    osaka = make_case(officer_osaka, ref="OS-1")
    assess(officer_osaka, osaka, instrument, on=dt.date(2016, 6, 2), level="low")
    export(tmp_path / "s", user=supervisor_osaka)
    text = (tmp_path / "s" / "assessments.csv").read_text(encoding="utf-8-sig")
    assert "OS-1" in text and "TK-1" not in text
    export(tmp_path / "n", user=analyst)
    events = (tmp_path / "n" / "events.csv").read_text(encoding="utf-8-sig")
    assert "risk_assessed,mid" in events  # a level is a code: kept for analysts
    text = (tmp_path / "n" / "assessments.csv").read_text(encoding="utf-8-sig")
    assert "2016-06-01,test-external,1,mid" in text
    for folder in ("s", "n"):
        for path in (tmp_path / folder).iterdir():
            for marker in RISK_MARKERS:
                assert marker not in path.read_text(encoding="utf-8-sig")


def test_export_reads_assessments_in_one_query_per_chunk(
    tmp_path: Path, officer_tokyo: User, make_case: Any
) -> None:
    instrument = load("external")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            export(tmp_path / f"q{Assessment.objects.count()}")
        return len(ctx)

    assess(officer_tokyo, make_case(officer_tokyo), instrument, level="low")
    before = queries()
    for _ in range(3):
        assess(officer_tokyo, make_case(officer_tokyo), instrument, level="low")
    assert queries() == before


def test_import_refreshes_a_corrected_assessment_from_events(
    tmp_path: Path, officer_tokyo: User, make_case: Any
) -> None:
    """A correction arriving in events.csv voids the assessment already in the database."""
    case = make_case(officer_tokyo, ref="COR-1")
    a = assess(officer_tokyo, case, load("external"), on=dt.date(2016, 6, 1), level="top")
    detail = timeline.correction_detail(a.event.as_ev(), "wrong case")
    folder = write_set(tmp_path / "in", [], [("COR-1", "13", "2016-06-02", "correction", detail)])
    summary = import_files(folder)
    assert summary.ok, summary.errors
    a.refresh_from_db()
    assert not a.is_effective and not a.is_current


def uploads_with_assessments(rows: list[tuple[str, ...]]) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tsunagu.testing.files import CASES_HEADER, EVENTS_HEADER

    return {
        "cases": SimpleUploadedFile("cases.csv", csv_text(CASES_HEADER, CASES).encode()),
        "events": SimpleUploadedFile("events.csv", csv_text(EVENTS_HEADER, EVENTS).encode()),
        "assessments": SimpleUploadedFile(
            "assessments.csv", csv_text(fmt.ASSESSMENT_COLUMNS, rows).encode()
        ),
    }


def test_api_import_takes_assessments_and_names_a_bad_line(supervisor_tokyo: User) -> None:
    from tsunagu.testing import client_for

    load("external")
    client = client_for(supervisor_tokyo)
    bad = client.post(
        "/api/v1/interchange/import",
        uploads_with_assessments([("A-1", "13", "2016-06-01", "test-external", "2", "top", "")]),
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "assessments.csv", 2, "version"]
    assert not Case.objects.exists()
    good = client.post(
        "/api/v1/interchange/import",
        uploads_with_assessments([("A-1", "13", "2016-06-01", "test-external", "1", "top", "")]),
    )
    assert good.status_code == 200, good.content
    assert good.json()["assessments_created"] == 1
    assert Assessment.objects.get().level == "top"


def test_import_page_takes_an_assessments_file(supervisor_tokyo: User) -> None:
    from tsunagu.testing import client_for

    load("external")
    files = uploads_with_assessments(
        [("A-2", "13", "2016-06-01", "test-external", "1", "low", "supervisor")]
    )
    client = client_for(supervisor_tokyo)
    preview = client.post(
        "/interchange/import/",
        {
            "cases_file": files["cases"],
            "events_file": files["events"],
            "assessments_file": files["assessments"],
        },
    )
    assert preview.status_code == 200
    token = preview.context["confirm"].initial["token"]
    assert client.post("/interchange/import/confirm/", {"token": token}).status_code == 302
    a = Assessment.objects.get()
    assert (a.case.ref, a.level, a.assessed_by_role) == ("A-2", "low", "supervisor")


def test_api_workbook_with_an_assessments_sheet(
    tmp_path: Path, supervisor_tokyo: User, officer_tokyo: User, make_case: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tsunagu.testing import client_for

    case = make_case(officer_tokyo, ref="WB-1")
    assess(officer_tokyo, case, load("external"), on=dt.date(2016, 6, 1), level="mid")
    client = client_for(supervisor_tokyo)
    book = client.get("/api/v1/interchange/export?format=xlsx")
    assert book.status_code == 200
    Case.objects.all().delete()
    upload = SimpleUploadedFile("history.xlsx", book.content)
    answer = client.post("/api/v1/interchange/import", {"workbook": upload})
    assert answer.status_code == 200, answer.content
    assert answer.json()["assessments_created"] == 1
    assert Assessment.objects.get().case.ref == "WB-1"


def test_rows_of_other_prefectures_are_skipped_with_own_only(tmp_path: Path) -> None:
    from tsunagu.interchange.importer import Importer

    load("external")
    cases = [*CASES, ("O-1", "27", "", "2016-05-10", "")]
    folder = write_set(tmp_path / "in", cases, EVENTS)
    write_assessments(
        folder,
        [
            ("O-1", "27", "2016-06-01", "test-external", "1", "top", ""),
            ("A-1", "13", "2016-06-01", "test-external", "1", "low", ""),
        ],
    )
    tables = fmt.open_input(folder)
    importer = Importer(
        tables[0],
        tables[1],
        assessments=fmt.open_assessments(folder),
        scope={"13"},
        own_only=True,
    )
    summary = importer.run()
    assert summary.ok, summary.errors
    assert summary.rows_skipped == 2  # the Osaka case and its assessment
    assert [a.case.ref for a in Assessment.objects.all()] == ["A-1"]
    strict = Importer(
        *fmt.open_input(folder)[:2], assessments=fmt.open_assessments(folder), scope={"13"}
    ).run(dry_run=True)
    assert ("assessments.csv", 2, "prefecture") in {
        (e.file, e.line, e.column) for e in strict.errors
    }
