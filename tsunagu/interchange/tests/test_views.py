"""The supervisor's import and export pages: scope, preview, confirm, download."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tsunagu.cases.models import Case
from tsunagu.core.models import AuditEvent
from tsunagu.interchange.exporter import export
from tsunagu.interchange.importer import import_files
from tsunagu.testing import access_test, assert_no_markers
from tsunagu.testing.builders import VICTIM_ADDRESS, VICTIM_MARKERS
from tsunagu.testing.files import CASES, CASES_HEADER, EVENTS, EVENTS_HEADER, csv_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_data_dir(settings, tmp_path):
    """Uploads wait in DATA_DIR: each test gets its own, to see what is left behind."""
    settings.DATA_DIR = tmp_path / "data"
    settings.UPLOAD_DIR = tmp_path / "data" / "interchange-uploads"


TOKYO_CASES = [c for c in CASES if c[1] == "13"]
TOKYO_EVENTS = [e for e in EVENTS if e[1] == "13"]


def upload(cases, events, encoding="utf-8"):
    return {
        "cases_file": SimpleUploadedFile(
            "cases.csv", csv_text(CASES_HEADER, cases).encode(encoding), "text/csv"
        ),
        "events_file": SimpleUploadedFile(
            "events.csv", csv_text(EVENTS_HEADER, events).encode(encoding), "text/csv"
        ),
    }


def uploads_left() -> list[Path]:
    folder = Path(settings.UPLOAD_DIR)
    return [p for p in folder.iterdir() if p.is_dir()] if folder.exists() else []


@access_test("interchange:import", "interchange:import_confirm", "interchange:export")
def test_only_supervisors_reach_the_pages_others_get_404(
    client, officer_tokyo, officer_osaka, clinician_tokyo, analyst, admin_user
):
    for user in (officer_tokyo, officer_osaka, clinician_tokyo, analyst, admin_user):
        client.force_login(user)
        assert client.get(reverse("interchange:import")).status_code == 404
        assert client.post(reverse("interchange:import"), upload(CASES, EVENTS)).status_code == 404
        assert client.get(reverse("interchange:export")).status_code == 404
        assert client.post(reverse("interchange:export"), {"file_format": "csv"}).status_code == 404
        response = client.post(reverse("interchange:import_confirm"), {"token": "0" * 32})
        assert response.status_code == 404
    assert Case.objects.count() == 0


@access_test("interchange:import_confirm")
def test_another_supervisor_cannot_confirm_an_upload(client, supervisor_tokyo, supervisor_osaka):
    client.force_login(supervisor_tokyo)
    response = client.post(reverse("interchange:import"), upload(TOKYO_CASES, TOKYO_EVENTS))
    token = response.context["confirm"]["token"].value()
    client.force_login(supervisor_osaka)
    response = client.post(reverse("interchange:import_confirm"), {"token": token})
    assert response.status_code == 404
    assert Case.objects.count() == 0


def test_preview_lists_other_prefecture_rows_as_errors_and_offers_no_confirm(
    client, supervisor_tokyo
):
    client.force_login(supervisor_tokyo)
    response = client.post(reverse("interchange:import"), upload(CASES, EVENTS))
    assert response.status_code == 200
    assert response.context["confirm"] is None
    errors = {(e.file, e.line, e.column) for e in response.context["errors"]}
    assert errors == {
        ("cases.csv", 4, "prefecture"),
        ("events.csv", 11, "prefecture"),
        ("events.csv", 12, "prefecture"),
    }
    assert "この都道府県は権限の範囲外です" in response.content.decode()
    assert Case.objects.count() == 0 and uploads_left() == []


def test_upload_preview_then_confirm_imports_and_forgets_the_files(client, supervisor_tokyo):
    client.force_login(supervisor_tokyo)
    response = client.post(
        reverse("interchange:import"), upload(TOKYO_CASES, TOKYO_EVENTS, "cp932")
    )
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.cases_created, summary.events_created) == (2, 9)
    assert Case.objects.count() == 0  # the preview writes nothing
    token = response.context["confirm"]["token"].value()
    response = client.post(reverse("interchange:import_confirm"), {"token": token}, follow=True)
    assert response.status_code == 200
    assert Case.objects.filter(prefecture__code="13").count() == 2
    audit = AuditEvent.objects.get(action="interchange.import")
    assert audit.actor == supervisor_tokyo and audit.prefecture is not None
    assert audit.prefecture.code == "13"
    assert uploads_left() == []
    again = client.post(reverse("interchange:import_confirm"), {"token": token})
    assert again.status_code == 404


def test_xlsx_upload_is_previewed(client, supervisor_tokyo, tmp_path):
    write = tmp_path / "in"
    from tsunagu.testing.files import write_set

    write_set(write, TOKYO_CASES, TOKYO_EVENTS)
    import_files(write)
    export(tmp_path / "book.xlsx", file_format="xlsx")
    Case.objects.all().delete()
    client.force_login(supervisor_tokyo)
    book = SimpleUploadedFile("book.xlsx", (tmp_path / "book.xlsx").read_bytes())
    response = client.post(reverse("interchange:import"), {"workbook": book})
    assert response.context["summary"].events_created == 9
    assert response.context["confirm"] is not None


def test_missing_file_is_shown_next_to_the_field_and_nothing_written(client, supervisor_tokyo):
    client.force_login(supervisor_tokyo)
    files = upload(TOKYO_CASES, TOKYO_EVENTS)
    del files["events_file"]
    response = client.post(reverse("interchange:import"), files)
    assert response.status_code == 200
    assert "events_file" in response.context["form"].errors
    assert Case.objects.count() == 0


def test_unreadable_workbook_is_a_form_error_not_a_500(client, supervisor_tokyo):
    client.force_login(supervisor_tokyo)
    junk = SimpleUploadedFile("book.xlsx", b"this is not a workbook")
    response = client.post(reverse("interchange:import"), {"workbook": junk})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert uploads_left() == []


def test_supervisor_export_downloads_zip_of_their_prefecture_without_personal(
    client, supervisor_tokyo, officer_tokyo, officer_osaka, make_case
):
    make_case(officer_tokyo, ref="T-1")
    make_case(officer_osaka, ref="O-1")
    client.force_login(supervisor_tokyo)
    assert client.get(reverse("interchange:export")).status_code == 200
    response = client.post(reverse("interchange:export"), {"file_format": "csv"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    cases = archive.read("cases.csv").decode("utf-8-sig")
    assert "T-1" in cases and "O-1" not in cases
    assert_no_markers(cases, VICTIM_MARKERS)


def test_personal_export_needs_a_reason_and_is_audited(
    client, supervisor_tokyo, officer_tokyo, make_case
):
    make_case(officer_tokyo, ref="T-1")
    client.force_login(supervisor_tokyo)
    response = client.post(
        reverse("interchange:export"), {"file_format": "csv", "include_personal": "on"}
    )
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    assert not AuditEvent.objects.filter(action="interchange.export").exists()
    response = client.post(
        reverse("interchange:export"),
        {
            "file_format": "xlsx",
            "include_personal": "on",
            "reason": "県警間の移管のため",
            "reason_category": "other",
        },
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(response.content), read_only=True)
    values = [c for row in book["cases"].iter_rows(values_only=True) for c in row]
    assert VICTIM_ADDRESS in values
    audit = AuditEvent.objects.get(action="interchange.export")
    assert audit.reason.endswith("県警間の移管のため") and audit.detail["include_personal"] is True


def test_nav_links_shown_to_supervisors_only(client, supervisor_tokyo, officer_tokyo):
    client.force_login(supervisor_tokyo)
    page = client.get(reverse("interchange:export")).content.decode()
    assert reverse("interchange:import") in page
    client.force_login(officer_tokyo)
    page = client.get(reverse("cases:list")).content.decode()
    assert reverse("interchange:import") not in page


def test_an_imported_case_opens_on_the_case_page(client, officer_tokyo, tmp_path):
    from tsunagu.testing.files import write_set

    write_set(tmp_path / "in", CASES, EVENTS)
    import_files(tmp_path / "in")
    case = Case.objects.get(ref="T-2")
    client.force_login(officer_tokyo)
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    assert "T-2" in response.content.decode()
