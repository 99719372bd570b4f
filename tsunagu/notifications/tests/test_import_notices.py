"""Whoever started an import hears that it finished or failed: on the page, in
the API and from `tsunagu import --actor`. A failed import's notice survives the
rollback of the import's own transaction, and no notice holds case detail."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from tsunagu.cases.models import Case
from tsunagu.core.models import AuditEvent, User
from tsunagu.interchange import signals
from tsunagu.interchange.importer import Importer
from tsunagu.interchange.tests.test_api import files as api_files
from tsunagu.interchange.tests.test_views import TOKYO_CASES, TOKYO_EVENTS, upload
from tsunagu.notifications import kinds
from tsunagu.notifications.models import Notice
from tsunagu.testing import client_for
from tsunagu.testing.files import CASES, EVENTS, write_set

IMPORT_PAGE = "/interchange/import/"
# What the imported files hold: references, a station, a detail, dates.
CASE_DETAIL = ("T-1", "T-2", "O-1", "新宿", "渋谷", "元交際相手", "2016", "13-C001")


def notices() -> list[tuple[str, str, str]]:
    return list(Notice.objects.values_list("recipient__username", "kind", "link"))


def assert_no_case_detail(user: User) -> None:
    """Neither the notice rows nor the inbox page name anything of the import."""
    rows = " ".join(f"{n.kind} {n.link} {n.key}" for n in Notice.objects.filter(recipient=user))
    page = client_for(user).get("/notifications/").content.decode()
    for marker in CASE_DETAIL:
        assert marker not in rows, marker
        if marker != "2016":  # the page shows when the notice came (2026…)
            assert marker not in page, marker


def test_confirmed_import_notifies_its_supervisor(
    settings: Any, tmp_path: Any, supervisor_tokyo: User, supervisor_osaka: User
) -> None:
    settings.DATA_DIR = settings.UPLOAD_DIR = tmp_path
    client = client_for(supervisor_tokyo)
    response = client.post(reverse("interchange:import"), upload(TOKYO_CASES, TOKYO_EVENTS))
    token = response.context["confirm"]["token"].value()
    client.post(reverse("interchange:import_confirm"), {"token": token})
    assert notices() == [("supervisor-tokyo", kinds.IMPORT_DONE, IMPORT_PAGE)]


def test_a_failed_import_notifies_outside_its_rolled_back_transaction(
    settings: Any, tmp_path: Any, supervisor_tokyo: User
) -> None:
    settings.DATA_DIR = settings.UPLOAD_DIR = tmp_path
    client = client_for(supervisor_tokyo)
    response = client.post(reverse("interchange:import"), upload(TOKYO_CASES, TOKYO_EVENTS))
    token = response.context["confirm"]["token"].value()
    folder = tmp_path
    for path in folder.rglob("*.csv"):
        path.write_bytes(b"\xff\xfe garbage")
    client.post(reverse("interchange:import_confirm"), {"token": token})
    assert list(Notice.objects.values_list("kind", flat=True)) == [kinds.IMPORT_FAILED]
    signals.import_failed.send(sender=None, actor=supervisor_tokyo)
    assert Notice.objects.filter(kind=kinds.IMPORT_FAILED).count() == 2


# --- the API -----------------------------------------------------------------------


def test_api_import_tells_its_supervisor_it_finished(
    supervisor_tokyo: User, supervisor_osaka: User
) -> None:
    response = client_for(supervisor_tokyo).post(reverse("api:interchange_import"), api_files())
    assert response.status_code == 200, response.content
    assert notices() == [("supervisor-tokyo", kinds.IMPORT_DONE, IMPORT_PAGE)]
    assert_no_case_detail(supervisor_tokyo)


def test_api_import_with_bad_rows_tells_its_supervisor_it_failed(
    supervisor_tokyo: User, supervisor_osaka: User
) -> None:
    client = client_for(supervisor_tokyo)
    # A dry run that finds bad rows is a check, not an import: nobody is told.
    assert (
        client.post(reverse("api:interchange_check"), api_files(CASES, EVENTS)).json()["ok"]
        is False
    )
    assert notices() == []
    # Osaka's rows are outside the supervisor's prefecture: refused, nothing written.
    response = client.post(reverse("api:interchange_import"), api_files(CASES, EVENTS))
    assert response.status_code == 422
    assert Case.objects.count() == 0
    assert notices() == [("supervisor-tokyo", kinds.IMPORT_FAILED, IMPORT_PAGE)]
    assert_no_case_detail(supervisor_tokyo)


def test_api_import_of_unreadable_files_tells_its_supervisor_it_failed(
    supervisor_tokyo: User,
) -> None:
    junk = SimpleUploadedFile("book.xlsx", b"not a workbook")
    response = client_for(supervisor_tokyo).post(
        reverse("api:interchange_import"), {"workbook": junk}
    )
    assert response.status_code == 422
    assert notices() == [("supervisor-tokyo", kinds.IMPORT_FAILED, IMPORT_PAGE)]


@pytest.mark.django_db(transaction=True)
def test_api_import_rolled_back_by_a_conflict_still_tells_it_failed(
    monkeypatch: Any,
    supervisor_tokyo: User,
    officer_tokyo: User,
    make_case: Callable[..., Case],
) -> None:
    """A real transaction (no test wrapper): the import's write rolls back, and the
    failure's notice, written after it in a transaction of its own, stays."""
    original = Importer.plan

    def plan_then_conflict(self: Importer) -> None:
        original(self)
        make_case(officer_tokyo, ref="T-1")  # the same case, created by a user meanwhile

    monkeypatch.setattr(Importer, "plan", plan_then_conflict)
    response = client_for(supervisor_tokyo).post(reverse("api:interchange_import"), api_files())
    assert response.status_code == 422
    assert list(Case.objects.values_list("ref", flat=True)) == ["T-1"]
    assert not AuditEvent.objects.filter(action="interchange.import").exists()
    assert notices() == [("supervisor-tokyo", kinds.IMPORT_FAILED, IMPORT_PAGE)]


# --- `tsunagu import` ----------------------------------------------------------------


def test_command_tells_its_actor_it_finished(
    tmp_path: Path, supervisor_tokyo: User, admin_user: User
) -> None:
    write_set(tmp_path, CASES, EVENTS)
    call_command("import", str(tmp_path), stdout=io.StringIO())
    assert notices() == []  # no --actor: the system imported, nobody to tell
    call_command("import", str(tmp_path), "--actor", "supervisor-tokyo", stdout=io.StringIO())
    assert notices() == [("supervisor-tokyo", kinds.IMPORT_DONE, IMPORT_PAGE)]
    assert_no_case_detail(supervisor_tokyo)
    # An administrator has no import page: the notice links nowhere but the inbox.
    call_command("import", str(tmp_path), "--actor", admin_user.username, stdout=io.StringIO())
    assert (admin_user.username, kinds.IMPORT_DONE, "") in notices()


def test_command_tells_its_actor_it_failed(tmp_path: Path, supervisor_tokyo: User) -> None:
    write_set(tmp_path, CASES, [*EVENTS, ("T-9", "13", "2016-05-10", "warning", "")])
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 bad row"):
        call_command(
            "import", str(tmp_path), "--dry-run", "--actor", "supervisor-tokyo", stdout=out
        )
    assert notices() == []  # a dry run tells nobody
    with pytest.raises(CommandError, match="1 bad row"):
        call_command("import", str(tmp_path), "--actor", "supervisor-tokyo", stdout=out)
    assert Case.objects.count() == 0
    assert notices() == [("supervisor-tokyo", kinds.IMPORT_FAILED, IMPORT_PAGE)]
    assert_no_case_detail(supervisor_tokyo)
    # Files that cannot be read fail too.
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CommandError):
        call_command("import", str(empty), "--actor", "supervisor-tokyo", stdout=out)
    assert [k for _, k, _ in notices()] == [kinds.IMPORT_FAILED] * 2
