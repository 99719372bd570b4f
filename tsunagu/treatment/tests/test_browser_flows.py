"""Layout that matters, in Debian's Chromium: the officer's open cases in view at
1366×768 however many follow-ups are proposed, the referral's clinic chooser
readable on a 390 px phone, and a focus ring that can be seen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tsunagu.cases.models import Case
from tsunagu.core.models import Region, User
from tsunagu.testing import browser_login
from tsunagu.testing.builders import accepted, referred, started, with_proposals
from tsunagu.treatment.models import Clinic
from tsunagu.treatment.tests.test_browser import _screenshot_ready, _with_japanese_font


def _context(chromium: Any, live_server: Any, width: int, height: int) -> Any:
    # bypass_csp: only for the test's own font style (screenshots show Japanese).
    context = chromium.new_context(
        locale="ja-JP",
        base_url=live_server.url,
        viewport={"width": width, "height": height},
        bypass_csp=True,
    )
    _with_japanese_font(context)
    return context


@pytest.mark.django_db(transaction=True)
def test_open_cases_are_in_view_at_1366x768_with_nineteen_overdue_proposals(
    chromium: Any,
    live_server: Any,
    officer_tokyo: User,
    make_case: Callable[..., Case],
    screenshot_dir: Path,
) -> None:
    with_proposals(officer_tokyo, make_case, 19, days_ago=60)
    context = _context(chromium, live_server, 1366, 768)
    try:
        page = context.new_page()
        browser_login(page, "officer-tokyo")
        page.goto("/")
        _screenshot_ready(page)
        assert page.inner_text("#proposals-count") == "19"
        assert page.locator("#proposals tbody tr").count() == 5
        first_case = page.locator("#open-cases tbody tr").first.bounding_box()
        heading = page.locator("#h-open-cases").bounding_box()
        assert heading is not None and first_case is not None
        assert first_case["y"] + first_case["height"] <= 768, first_case
        # The follow-ups are in view too, beside the cases.
        proposals = page.locator("#proposals").bounding_box()
        assert proposals is not None and proposals["y"] < 768
        page.screenshot(path=str(screenshot_dir / "officer-home-1366.png"))
    finally:
        context.close()


@pytest.mark.django_db(transaction=True)
def test_clinic_chooser_is_readable_on_a_390px_phone(
    chromium: Any,
    live_server: Any,
    officer_tokyo: User,
    make_case: Callable[..., Case],
    tokyo: Region,
    screenshot_dir: Path,
) -> None:
    case = make_case(officer_tokyo)
    accepted(officer_tokyo, case)
    names = (
        "新宿こころのクリニック",
        "医療法人社団 東京ストーカー加害者相談センター",
        "池袋メンタル",
    )
    clinics = [
        Clinic.objects.create(
            code=f"13-C{i:03d}", prefecture=tokyo, name=name, fee_notes="保険診療"
        )
        for i, name in enumerate(names, start=1)
    ]
    context = _context(chromium, live_server, 390, 844)
    try:
        page = context.new_page()
        browser_login(page, "officer-tokyo")
        page.goto(f"/treatment/cases/{case.pk}/refer/")
        _screenshot_ready(page)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        for clinic in clinics:
            name = page.locator(f"label[for=clinic-{clinic.pk}] .clinic-name").bounding_box()
            assert name is not None
            # A name on one or two lines, never a character per line.
            assert name["height"] < 80, (clinic.name, name)
        choice = page.locator(f"label[for=clinic-{clinics[0].pk}]").bounding_box()
        assert choice is not None and choice["width"] > 300
        page.screenshot(path=str(screenshot_dir / "referral-chooser-390.png"), full_page=True)
        page.check(f"#clinic-{clinics[1].pk}")
        page.fill("#id_summary", "本人は受診を希望。")
        page.click("#referral-form button[type=submit]")
        page.wait_for_load_state()
        assert names[1] in page.inner_text("#chosen-clinic")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
    finally:
        context.close()


def _ring(page: Any, selector: str) -> dict[str, Any]:
    page.focus(selector)
    ring: dict[str, Any] = page.eval_on_selector(
        selector,
        "el => { const s = getComputedStyle(el); return {width: parseFloat(s.outlineWidth),"
        " style: s.outlineStyle, color: s.outlineColor, shadow: s.boxShadow,"
        " visible: el.matches(':focus-visible')}; }",
    )
    return ring


@pytest.mark.django_db(transaction=True)
def test_correct_and_refer_controls_show_a_thick_focus_ring(
    chromium: Any, live_server: Any, officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(officer_tokyo)
    accepted(officer_tokyo, case)
    context = _context(chromium, live_server, 1366, 768)
    try:
        page = context.new_page()
        browser_login(page, "officer-tokyo")
        page.goto(f"/cases/{case.pk}/")
        page.keyboard.press("Tab")  # keyboard use: the focus ring is the visible kind
        for selector in ("#timeline summary", "#refer-link"):
            ring = _ring(page, selector)
            assert ring["style"] != "none" and ring["width"] >= 2, (selector, ring)
            # Dark ring with a yellow halo: contrasts with white and with the buttons.
            assert ring["color"] == "rgb(27, 31, 36)", (selector, ring)
            assert "245, 183, 0" in ring["shadow"], (selector, ring)
    finally:
        context.close()


@pytest.mark.django_db(transaction=True)
def test_the_clinicians_next_step_is_above_the_fold_and_final_steps_ask_to_confirm(
    chromium: Any,
    live_server: Any,
    officer_tokyo: User,
    clinician_tokyo: User,
    clinic_tokyo: Clinic,
    make_case: Callable[..., Case],
    screenshot_dir: Path,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    started(clinician_tokyo, referral)
    context = _context(chromium, live_server, 1366, 768)
    try:
        page = context.new_page()
        browser_login(page, "clinician-tokyo")
        page.goto(f"/treatment/referrals/{referral.pk}/")
        _screenshot_ready(page)
        button = page.locator("#step-session button[type=submit]").bounding_box()
        assert button is not None and button["y"] + button["height"] <= 768, button
        page.screenshot(path=str(screenshot_dir / "clinician-next-step-1366.png"))
        # No script: the final step without the confirmation comes back refused.
        page.fill("#complete_date", "2016-06-20")
        page.click("#step-complete button[type=submit]")
        page.wait_for_load_state()
        assert "確認しました" in page.inner_text(".error-summary")
        page.check("#id_confirm")
        page.click("main form button[type=submit]")
        page.wait_for_url(f"**/treatment/referrals/{referral.pk}/#next-step")
        assert "治療終了" in page.inner_text("#next-step")
    finally:
        context.close()
    referral.refresh_from_db()
    assert referral.stage == "completed"
