"""Hostile or faulty uploads: size limit, zip bombs, damaged workbooks, bounded error
lists, plaintext never left behind, unknown stations only by choice."""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from tsunagu.cases.models import Case, Event
from tsunagu.core.models import Region
from tsunagu.interchange import uploads
from tsunagu.interchange.exporter import export
from tsunagu.interchange.importer import import_files
from tsunagu.testing.files import CASES, CASES_HEADER, EVENTS, EVENTS_HEADER, csv_text, write_set

pytestmark = pytest.mark.django_db

TOKYO_CASES = [c for c in CASES if c[1] == "13"]
TOKYO_EVENTS = [e for e in EVENTS if e[1] == "13"]


@pytest.fixture(autouse=True)
def _own_data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.UPLOAD_DIR = tmp_path / "data" / "interchange-uploads"


def upload(cases, events):
    return {
        "cases_file": SimpleUploadedFile("cases.csv", csv_text(CASES_HEADER, cases).encode()),
        "events_file": SimpleUploadedFile("events.csv", csv_text(EVENTS_HEADER, events).encode()),
    }


def uploads_left() -> list[Path]:
    folder = Path(settings.UPLOAD_DIR)
    return [p for p in folder.iterdir() if p.is_dir()] if folder.exists() else []


def zip_bomb() -> bytes:
    """About 0.5 MB that unpacks to 512 MB of sheet XML."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            chunk = b" " * (1 << 20)
            for _ in range(512):
                part.write(chunk)
    return buf.getvalue()


def test_a_file_over_the_size_limit_is_a_form_error_and_a_422(client, supervisor_tokyo, settings):
    settings.UPLOAD_MAX_MB = 0
    client.force_login(supervisor_tokyo)
    response = client.post(reverse("interchange:import"), upload(TOKYO_CASES, TOKYO_EVENTS))
    assert response.status_code == 200
    assert "0 MB" in str(response.context["form"].errors["cases_file"])
    api = client.post(
        reverse("api:interchange_check"),
        {
            "cases": SimpleUploadedFile("cases.csv", csv_text(CASES_HEADER, TOKYO_CASES).encode()),
            "events": SimpleUploadedFile("events.csv", b"x"),
        },
    )
    assert api.status_code == 422
    assert api.json()["detail"][0]["loc"] == ["body", "cases"]
    assert uploads_left() == [] and Case.objects.count() == 0


def test_a_zip_bomb_is_refused_quickly_page_and_api(client, supervisor_tokyo):
    bomb = zip_bomb()
    assert 300_000 < len(bomb) < 800_000
    client.force_login(supervisor_tokyo)
    started = time.monotonic()
    response = client.post(
        reverse("interchange:import"), {"workbook": SimpleUploadedFile("b.xlsx", bomb)}
    )
    assert time.monotonic() - started < 2
    assert response.status_code == 200
    assert "compressed" in " ".join(response.context["form"].non_field_errors())
    api = client.post(
        reverse("api:interchange_check"), {"workbook": SimpleUploadedFile("b.xlsx", bomb)}
    )
    assert api.status_code == 422
    assert uploads_left() == []


def _truncated_workbook(tmp_path: Path) -> bytes:
    write_set(tmp_path / "in", TOKYO_CASES, TOKYO_EVENTS)
    import_files(tmp_path / "in")
    export(tmp_path / "book.xlsx", file_format="xlsx")
    Case.objects.all().delete()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(tmp_path / "book.xlsx") as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet2"):
                data = data[: len(data) // 2]  # the events sheet cut in the middle
            target.writestr(info.filename, data)
    return out.getvalue()


def test_a_truncated_sheet_is_a_form_error_with_no_path_and_the_upload_deleted(
    client, supervisor_tokyo, tmp_path
):
    book = _truncated_workbook(tmp_path)
    client.force_login(supervisor_tokyo)
    response = client.post(
        reverse("interchange:import"), {"workbook": SimpleUploadedFile("book.xlsx", book)}
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert errors
    page = response.content.decode()
    assert str(settings.DATA_DIR) not in page and str(settings.UPLOAD_DIR) not in page
    assert uploads_left() == [] and Case.objects.count() == 0
    api = client.post(
        reverse("api:interchange_check"), {"workbook": SimpleUploadedFile("book.xlsx", book)}
    )
    assert api.status_code == 422
    assert str(settings.DATA_DIR) not in api.content.decode()
    assert uploads_left() == []


def test_bad_encoding_is_a_form_error(client, supervisor_tokyo):
    client.force_login(supervisor_tokyo)
    files = upload(TOKYO_CASES, TOKYO_EVENTS)
    files["cases_file"] = SimpleUploadedFile(
        "cases.csv", csv_text(CASES_HEADER, TOKYO_CASES).encode("cp932")
    )
    files["encoding"] = "utf-8-sig"
    response = client.post(reverse("interchange:import"), files)
    assert response.status_code == 200
    assert "Shift_JIS" in " ".join(response.context["form"].non_field_errors())
    assert uploads_left() == []


def test_bad_rows_are_kept_up_to_1000_with_the_total_and_one_line_per_kind(
    client, supervisor_tokyo
):
    events = list(TOKYO_EVENTS) + [
        ("T-1", "13", "2016-06-05", "no_such_type", "") for _ in range(1400)
    ]
    events += [("T-1", "13", "2016-13-40", "warning", "") for _ in range(100)]
    client.force_login(supervisor_tokyo)
    response = client.post(reverse("interchange:import"), upload(TOKYO_CASES, events))
    summary = response.context["summary"]
    assert summary.error_count == 1500 and len(summary.errors) == 1000
    kinds = sorted(count for _, count, _ in response.context["problems"])
    assert kinds == [100, 1400]
    assert response.context["errors_hidden"] == 1000  # 500 shown of 1,500
    assert response.context["confirm"] is None and uploads_left() == []


def test_other_prefectures_rows_are_one_summary_line_or_skipped_on_request(
    client, supervisor_tokyo
):
    client.force_login(supervisor_tokyo)
    response = client.post(reverse("interchange:import"), upload(CASES, EVENTS))
    ((first, count, rows),) = response.context["problems"]
    assert count == 3 and first.column == "prefecture" and len(rows) == 3
    assert "アップロード" in response.content.decode() or "upload" in response.content.decode()
    files = upload(CASES, EVENTS) | {"own_only": "on"}
    response = client.post(reverse("interchange:import"), files)
    summary = response.context["summary"]
    assert summary.ok and summary.rows_skipped == 3
    token = response.context["confirm"]["token"].value()
    client.post(reverse("interchange:import_confirm"), {"token": token})
    assert set(Case.objects.values_list("prefecture__code", flat=True)) == {"13"}
    assert Case.objects.count() == 2 and uploads_left() == []


def test_unknown_station_is_created_only_when_ticked_on_the_preview(client, supervisor_tokyo):
    cases = [("T-9", "13", "<b>月島</b>", "2016-05-10", "partner_or_ex")]
    events = [("T-9", "13", "2016-05-10", "consultation", "")]
    client.force_login(supervisor_tokyo)
    response = client.post(reverse("interchange:import"), upload(cases, events))
    assert response.context["summary"].stations_created == ["13 <b>月島</b>"]
    page = response.content.decode()
    assert 'name="create_stations"' in page and "&lt;b&gt;月島&lt;/b&gt;" in page
    token = response.context["confirm"]["token"].value()
    response = client.post(reverse("interchange:import_confirm"), {"token": token})
    assert response.context["summary"].error_count == 1  # not ticked: refused
    assert not Region.objects.filter(name_ja="<b>月島</b>").exists()
    assert Case.objects.count() == 0 and uploads_left() == []
    response = client.post(reverse("interchange:import"), upload(cases, events))
    token = response.context["confirm"]["token"].value()
    client.post(reverse("interchange:import_confirm"), {"token": token, "create_stations": "on"})
    assert Case.objects.get().station == Region.objects.get(name_ja="<b>月島</b>")


def test_api_unknown_station_needs_create_stations(client, supervisor_tokyo):
    cases = [("T-9", "13", "月島", "2016-05-10", "partner_or_ex")]
    events = [("T-9", "13", "2016-05-10", "consultation", "")]
    client.force_login(supervisor_tokyo)

    def files() -> dict[str, object]:
        return {
            "cases": SimpleUploadedFile("cases.csv", csv_text(CASES_HEADER, cases).encode()),
            "events": SimpleUploadedFile("events.csv", csv_text(EVENTS_HEADER, events).encode()),
        }

    response = client.post(reverse("api:interchange_import"), files())
    assert response.status_code == 422 and response.json()["errors"][0]["column"] == "station"
    response = client.post(reverse("api:interchange_import"), files() | {"create_stations": "true"})
    assert response.status_code == 200 and Case.objects.count() == 1


def test_cancelling_a_preview_deletes_the_upload(client, supervisor_tokyo):
    client.force_login(supervisor_tokyo)
    response = client.post(reverse("interchange:import"), upload(TOKYO_CASES, TOKYO_EVENTS))
    token = response.context["confirm"]["token"].value()
    assert len(uploads_left()) == 1
    client.post(reverse("interchange:import_confirm"), {"token": token, "cancel": "1"})
    assert uploads_left() == [] and Case.objects.count() == 0


def test_uploads_older_than_an_hour_are_purged_by_the_command(client, supervisor_tokyo):
    old = uploads.root() / ("a" * 32)
    old.mkdir()
    (old / "cases.csv").write_text("plaintext")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    fresh = uploads.root() / ("b" * 32)
    fresh.mkdir()
    out = io.StringIO()
    call_command("purge_uploads", stdout=out)
    assert not old.exists() and fresh.exists()
    assert "1" in out.getvalue()


def test_empty_rejection_reason_and_recurrence_victim_are_accepted(tmp_path):
    cases = [("T-1", "13", "新宿", "2016-05-10", "partner_or_ex")]
    events = [
        ("T-1", "13", "2016-05-10", "consultation", ""),
        ("T-1", "13", "2016-05-20", "treatment_advised", ""),
        ("T-1", "13", "2016-05-25", "advice_rejected", ""),
        ("T-1", "13", "2016-08-01", "recurrence", ""),
    ]
    write_set(tmp_path, cases, events)
    summary = import_files(tmp_path)
    assert summary.ok, [str(e) for e in summary.errors]
    assert set(Event.objects.filter(detail="").values_list("type", flat=True)) >= {
        "advice_rejected",
        "recurrence",
    }
    write_set(tmp_path, cases, [*events[:2], ("T-1", "13", "2016-05-25", "advice_rejected", "x")])
    assert not import_files(tmp_path).ok  # a reason that is not a code is still refused
