"""The officer's main flow in Debian's Chromium: log in, open a case, record a warning."""

from __future__ import annotations

import pytest

from tsunagu.testing import assert_no_markers, browser_login, screenshots
from tsunagu.testing.builders import VICTIM_MARKERS


@pytest.mark.django_db(transaction=True)
def test_officer_records_a_warning_and_sees_it_on_the_timeline(
    page, officer_tokyo, make_case, screenshot_dir
):
    case = make_case(officer_tokyo, ref="BROWSER-1")
    browser_login(page, "officer-tokyo")
    page.click(f"text={case.ref}")
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert_no_markers(page.content(), VICTIM_MARKERS)

    page.select_option("#id_measure-type", "warning")
    page.fill("#id_measure-date", "2016-06-01")
    page.fill("#id_measure-note", "電話で警告")
    page.click("#measure-form button[type=submit]")
    page.wait_for_load_state()

    row = page.locator("#timeline tbody tr", has_text="2016-06-01")
    assert row.count() == 1
    assert "警告" in row.inner_text() and "電話で警告" in row.inner_text()
    screenshots(page, screenshot_dir, "officer-case-timeline")
    page.goto("/cases/")
    screenshots(page, screenshot_dir, "officer-one-case-list")
    assert case.events.filter(type="warning").exists()


@pytest.mark.django_db(transaction=True)
def test_officer_opens_a_case_with_two_victims_using_add_a_victim(page, officer_tokyo):
    from tsunagu.cases.models import Case

    browser_login(page, "officer-tokyo")
    page.goto("/cases/new/")
    page.fill("#id_ref", "BROWSER-NEW")
    page.fill("#id_opened_on", "2016-05-01")
    # Selects that feed the statistics start blank and must be chosen.
    for select in ("#id_relationship", "#id_offender_sex", "#id_victims-0-sex"):
        assert page.input_value(select) == ""
    page.select_option("#id_relationship", "partner_or_ex")
    page.select_option("#id_offender_sex", "male")
    page.fill("#id_victims-0-name", "第一 被害者")
    page.select_option("#id_victims-0-sex", "female")
    page.click("button[name=add_victim]")
    page.wait_for_selector("#id_victims-1-name")
    # htmx swapped only the victims block: what was typed above is still there.
    assert page.input_value("#id_ref") == "BROWSER-NEW"
    assert page.input_value("#id_victims-0-name") == "第一 被害者"
    # Focus is on the new row, whose sex starts blank (not 男性).
    page.wait_for_function("document.activeElement.id === 'id_victims-1-name'")
    assert page.input_value("#id_victims-1-sex") == ""
    page.keyboard.type("第二 被害者")
    page.select_option("#id_victims-1-sex", "unknown")
    page.press("#id_victims-1-name", "Enter")  # the default button opens the case
    page.wait_for_url("**/cases/*/")
    case = Case.objects.get(ref="BROWSER-NEW")
    assert case.people.filter(role="victim").count() == 2
    assert_no_markers(page.content(), ("第一 被害者", "第二 被害者"))
