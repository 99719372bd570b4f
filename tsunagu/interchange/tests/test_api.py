"""The interchange API: supervisors of the prefecture only; the same rules as the pages."""

from __future__ import annotations

import io
import json
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tsunagu.cases.models import Case
from tsunagu.core import tokens
from tsunagu.core.models import AuditEvent
from tsunagu.core.security import VERIFIED_AT
from tsunagu.testing import access_test, assert_no_markers, client_for, enrol_totp, totp_code
from tsunagu.testing.builders import VICTIM_ADDRESS, VICTIM_MARKERS
from tsunagu.testing.files import CASES, CASES_HEADER, EVENTS, EVENTS_HEADER, csv_text

pytestmark = pytest.mark.django_db

TOKYO_CASES = [c for c in CASES if c[1] == "13"]
TOKYO_EVENTS = [e for e in EVENTS if e[1] == "13"]


def bearer(secret):
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


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


# --- the personal export ------------------------------------------------------------------

PERSONAL = {"format": "csv", "purpose": "court", "reason": "裁判所からの照会への回答"}


def _post_personal(client, body):
    return client.post(
        reverse("api:interchange_export_personal"),
        json.dumps(body),
        content_type="application/json",
    )


def _personal_exports():
    return AuditEvent.objects.filter(action="interchange.export", detail__include_personal=True)


@access_test("api:interchange_export_personal")
@pytest.mark.parametrize(
    "who", ["officer_tokyo", "officer_osaka", "clinician_tokyo", "analyst", "admin_user"]
)
def test_api_personal_export_is_404_for_everyone_but_supervisors(
    request, who, officer_tokyo, make_case
):
    make_case(officer_tokyo, ref="T-1")
    user = request.getfixturevalue(who)
    device = enrol_totp(user)
    _t, secret = tokens.create(actor=user, name="s", scope="write")
    for client in (bearer(secret), client_for(user)):
        response = _post_personal(client, {**PERSONAL, "otp": totp_code(device)})
        assert response.status_code == 404
        assert_no_markers(response.content, VICTIM_MARKERS)
    assert not AuditEvent.objects.filter(action="interchange.export").exists()


def test_api_personal_export_with_a_token_needs_a_reason_and_a_current_code(
    supervisor_tokyo, officer_tokyo, officer_osaka, make_case
):
    make_case(officer_tokyo, ref="T-1")
    Case.objects.create(prefecture=officer_osaka.prefecture, ref="O-1", opened_on="2016-05-01")
    _t, secret = tokens.create(actor=supervisor_tokyo, name="s", scope="write")
    client = bearer(secret)
    # The page's rules for the purpose and the reason, each named in `loc`.
    short = _post_personal(client, {**PERSONAL, "reason": "aaa"})
    assert short.status_code == 422 and short.json()["detail"][0]["loc"] == ["body", "reason"]
    unknown = _post_personal(client, {**PERSONAL, "purpose": "curiosity"})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "purpose"]
    # No code: a token has no session, so no step-up counts for it.
    missing = _post_personal(client, PERSONAL)
    assert missing.status_code == 403
    (item,) = missing.json()["detail"]
    assert item["loc"] == ["body", "otp"] and "otp" in item["msg"]
    device = enrol_totp(supervisor_tokyo)
    wrong = _post_personal(client, {**PERSONAL, "otp": "000000"})
    assert wrong.status_code == 403 and wrong.json()["detail"][0]["loc"] == ["body", "otp"]
    assert not _personal_exports().exists()
    assert not AuditEvent.objects.filter(action="user.mfa_verified").exists()

    code = totp_code(device)
    done = _post_personal(client, {**PERSONAL, "otp": code})
    assert done.status_code == 200, done.content
    assert done["Content-Type"] == "application/zip" and "no-store" in done["Cache-Control"]
    cases = zipfile.ZipFile(io.BytesIO(done.content)).read("cases.csv").decode("utf-8-sig")
    assert VICTIM_ADDRESS in cases and "T-1" in cases and "O-1" not in cases
    audit = _personal_exports().get()
    assert audit.actor == supervisor_tokyo and audit.reason.startswith("[court]")
    assert audit.reason.endswith(PERSONAL["reason"])
    assert AuditEvent.objects.filter(action="user.mfa_verified", detail__once=True).count() == 1
    # A code passes once; a read token cannot ask at all (POST).
    assert _post_personal(client, {**PERSONAL, "otp": code}).status_code == 403
    _t, read = tokens.create(actor=supervisor_tokyo, name="r", scope="read")
    assert _post_personal(bearer(read), {**PERSONAL, "otp": code}).status_code == 403
    assert _personal_exports().count() == 1


def test_api_personal_export_with_a_session_needs_a_fresh_step_up(
    supervisor_tokyo, officer_tokyo, make_case
):
    make_case(officer_tokyo, ref="T-1")
    fresh = client_for(supervisor_tokyo)
    answer = _post_personal(fresh, {**PERSONAL, "format": "xlsx"})
    assert answer.status_code == 200, answer.content
    assert answer["Content-Disposition"].endswith('.xlsx"')
    stale = client_for(supervisor_tokyo)
    session = stale.session
    session[VERIFIED_AT] = int(time.time()) - 600
    session.save()
    refused = _post_personal(stale, PERSONAL)
    assert refused.status_code == 403 and refused.json()["detail"][0]["loc"] == ["body", "otp"]
    assert _personal_exports().count() == 1


def test_api_personal_export_shares_the_pages_daily_limit(
    settings, client, supervisor_tokyo, officer_tokyo, make_case
):
    settings.STEPUP_DAILY_LIMIT = 1
    make_case(officer_tokyo, ref="T-1")
    client.force_login(supervisor_tokyo)
    page = client.post(
        reverse("interchange:export"),
        {
            "file_format": "csv",
            "include_personal": "on",
            "reason_category": "other",
            "reason": "県警間の移管のため",
        },
    )
    assert page.status_code == 200 and page["Content-Type"] == "application/zip"
    over = _post_personal(client, PERSONAL)
    assert over.status_code == 429
    assert over.json()["detail"][0]["type"] == "too_many_requests"
    assert_no_markers(over.content, VICTIM_MARKERS)
    assert _personal_exports().count() == 1


def test_api_personal_export_of_another_prefectures_supervisor_has_no_tokyo_victim(
    supervisor_osaka, officer_tokyo, make_case
):
    make_case(officer_tokyo, ref="T-1")
    answer = _post_personal(client_for(supervisor_osaka), PERSONAL)
    assert answer.status_code == 200, answer.content
    cases = zipfile.ZipFile(io.BytesIO(answer.content)).read("cases.csv").decode("utf-8-sig")
    assert "T-1" not in cases
    assert_no_markers(answer.content, VICTIM_MARKERS)
    assert_no_markers(cases, VICTIM_MARKERS)
