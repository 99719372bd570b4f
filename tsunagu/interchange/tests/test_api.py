"""The interchange API: supervisors of the prefecture only; the same rules as the pages."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tsunagu.cases.models import Case
from tsunagu.core.models import AuditEvent
from tsunagu.testing import access_test, assert_no_markers
from tsunagu.testing.builders import VICTIM_MARKERS
from tsunagu.testing.files import CASES, CASES_HEADER, EVENTS, EVENTS_HEADER, csv_text

pytestmark = pytest.mark.django_db

TOKYO_CASES = [c for c in CASES if c[1] == "13"]
TOKYO_EVENTS = [e for e in EVENTS if e[1] == "13"]


def files(cases=TOKYO_CASES, events=TOKYO_EVENTS):
    return {
        "cases": SimpleUploadedFile("cases.csv", csv_text(CASES_HEADER, cases).encode()),
        "events": SimpleUploadedFile("events.csv", csv_text(EVENTS_HEADER, events).encode()),
    }


@access_test("api:interchange_check", "api:interchange_import", "api:interchange_export")
def test_api_refuses_everyone_but_supervisors_with_404(
    client, officer_tokyo, officer_osaka, clinician_tokyo, analyst, admin_user
):
    for user in (officer_tokyo, officer_osaka, clinician_tokyo, analyst, admin_user):
        client.force_login(user)
        assert client.post(reverse("api:interchange_check"), files()).status_code == 404
        assert client.post(reverse("api:interchange_import"), files()).status_code == 404
        assert client.get(reverse("api:interchange_export")).status_code == 404
    assert Case.objects.count() == 0


def test_api_check_reports_other_prefecture_rows_and_writes_nothing(client, supervisor_tokyo):
    client.force_login(supervisor_tokyo)
    response = client.post(reverse("api:interchange_check"), files(CASES, EVENTS))
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] is False and data["dry_run"] is True
    assert {(e["file"], e["line"]) for e in data["errors"]} == {
        ("cases.csv", 4),
        ("events.csv", 11),
        ("events.csv", 12),
    }
    assert Case.objects.count() == 0


def test_api_import_writes_and_a_second_time_changes_nothing(client, supervisor_tokyo):
    client.force_login(supervisor_tokyo)
    response = client.post(reverse("api:interchange_import"), files())
    assert response.status_code == 200, response.content
    assert response.json()["cases_created"] == 2 and response.json()["events_created"] == 9
    again = client.post(reverse("api:interchange_import"), files()).json()
    assert (again["cases_unchanged"], again["events_unchanged"]) == (2, 9)
    assert Case.objects.count() == 2
    assert AuditEvent.objects.filter(action="interchange.import").count() == 2


def test_api_import_with_bad_rows_answers_422_with_every_row(client, supervisor_tokyo):
    client.force_login(supervisor_tokyo)
    response = client.post(reverse("api:interchange_import"), files(CASES, EVENTS))
    assert response.status_code == 422
    detail = response.json()["detail"]
    # The one error shape: each bad row named by file, line and column.
    assert len(detail) == 3
    assert all(item["loc"][0] == "body" and item["type"] == "row_error" for item in detail)
    assert all(isinstance(item["loc"][2], int) for item in detail)
    assert Case.objects.count() == 0


def test_api_missing_file_names_the_field(client, supervisor_tokyo):
    client.force_login(supervisor_tokyo)
    data = files()
    del data["events"]
    response = client.post(reverse("api:interchange_check"), data)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "events"]


def test_api_unreadable_workbook_is_422_not_500(client, supervisor_tokyo):
    client.force_login(supervisor_tokyo)
    junk = SimpleUploadedFile("book.xlsx", b"not a workbook")
    response = client.post(reverse("api:interchange_check"), {"workbook": junk})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "workbook"]


def test_api_export_is_the_prefecture_without_personal_columns(
    client, supervisor_tokyo, officer_tokyo, officer_osaka, make_case
):
    make_case(officer_tokyo, ref="T-1")
    make_case(officer_osaka, ref="O-1")
    client.force_login(supervisor_tokyo)
    response = client.get(reverse("api:interchange_export"))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    cases = archive.read("cases.csv").decode("utf-8-sig")
    assert "T-1" in cases and "O-1" not in cases
    assert_no_markers(cases, VICTIM_MARKERS)
    assert client.get(reverse("api:interchange_export"), {"format": "pdf"}).status_code == 422
    assert client.get(reverse("api:interchange_export"), {"format": "xlsx"}).status_code == 200
