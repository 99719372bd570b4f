"""The supervisor's import in Debian's Chromium: upload, preview, confirm."""

from __future__ import annotations

import pytest

from tsunagu.cases.models import Case
from tsunagu.testing import browser_login, enrol_totp, screenshots, totp_code
from tsunagu.testing.files import CASES, EVENTS, write_set


@pytest.mark.django_db(transaction=True)
def test_supervisor_uploads_previews_and_confirms_an_import(
    page, supervisor_tokyo, tmp_path, screenshot_dir, settings
):
    settings.DATA_DIR = tmp_path / "data"
    settings.UPLOAD_DIR = tmp_path / "data" / "interchange-uploads"
    tokyo = write_set(
        tmp_path / "in",
        [c for c in CASES if c[1] == "13"],
        [e for e in EVENTS if e[1] == "13"],
        encoding="cp932",
    )
    browser_login(page, "supervisor-tokyo")
    page.click("nav summary:has-text('管理')")  # the supervisor's menu is grouped by task
    page.click("nav >> text=取り込み")
    page.wait_for_load_state()
    if "/mfa/" in page.url:  # a supervisor's pages ask for the second factor
        page.fill("#id_code", totp_code(enrol_totp(supervisor_tokyo)))
        page.click("main form button[type=submit]")
    page.wait_for_url("**/interchange/import/")
    page.set_input_files("#id_cases_file", str(tokyo / "cases.csv"))
    page.set_input_files("#id_events_file", str(tokyo / "events.csv"))
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()
    assert "取り込みのプレビュー" in page.content()
    counts = page.locator("#h-counts + table").inner_text()
    assert "新規登録する事案\t2" in counts and "新規登録する経過\t9" in counts
    assert Case.objects.count() == 0
    screenshots(page, screenshot_dir, "supervisor-import-preview")
    with page.expect_navigation():
        page.click("text=取り込む")
    assert "取り込みました" in page.content()
    assert Case.objects.filter(prefecture__code="13").count() == 2
