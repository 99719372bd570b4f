"""The loop in Debian's Chromium: the officer advises and refers, the clinician
acknowledges and starts treatment, the officer sees the status."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tsunagu.cases.models import Case
from tsunagu.core.models import User
from tsunagu.testing import assert_no_markers, browser_login, publish_doc, screenshots
from tsunagu.testing.builders import VICTIM_MARKERS
from tsunagu.treatment.models import Clinic, Referral


def _with_japanese_font(context: Any) -> None:
    """Serve the pinned Noto Sans CJK JP to the page so that screenshots show Japanese
    (Debian's Chromium in CI has no Japanese system font)."""
    import noto_cjk_sans_jp_regular

    font = Path(noto_cjk_sans_jp_regular.__file__).parent / "NotoSansCJKjp-Regular.otf"
    context.route("**/__test-font/noto.otf", lambda route: route.fulfill(path=str(font)))


FONT_CSS = (
    "@font-face{font-family:'TestNotoJP';src:url('/__test-font/noto.otf')}"
    "body,button,input,select,textarea{font-family:'TestNotoJP',sans-serif !important}"
)


def _screenshot_ready(page: Any) -> None:
    page.add_style_tag(content=FONT_CSS)
    page.evaluate("document.fonts.ready")
    page.wait_for_timeout(300)


def _submit(page: Any, action_suffix: str) -> None:
    page.click(f"form[action$='{action_suffix}'] button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_officer_refers_clinician_starts_officer_sees_it(
    chromium: Any,
    live_server: Any,
    officer_tokyo: User,
    clinician_tokyo: User,
    clinic_tokyo: Clinic,
    make_case: Callable[..., Case],
    screenshot_dir: Path,
) -> None:
    case = make_case(officer_tokyo, ref="LOOP-1")
    today = timezone.localdate().isoformat()
    # bypass_csp: the test adds its own font style for the screenshots.
    officer_ctx = chromium.new_context(locale="ja-JP", base_url=live_server.url, bypass_csp=True)
    clinic_ctx = chromium.new_context(locale="ja-JP", base_url=live_server.url, bypass_csp=True)
    _with_japanese_font(officer_ctx)
    _with_japanese_font(clinic_ctx)
    try:
        police = officer_ctx.new_page()
        browser_login(police, "officer-tokyo")
        police.goto(f"/cases/{case.pk}/")

        police.click("text=受診の働き掛けを記録")
        police.select_option("#advice_method", "in_person")
        _submit(police, "/advise/")
        police.click("text=本人の回答を記録")
        police.select_option("#response_response", "accepted")
        _submit(police, "/respond/")
        for direction in ("police_to_clinic", "clinic_to_police"):
            police.click("text=同意または撤回を記録")
            police.select_option("#consent_direction", direction)
            police.select_option("#consent_given", "1")
            police.select_option("#consent_method", "written")
            _submit(police, "/consent/")
        # The referral is a step of its own: choose, confirm, done.
        police.click("#refer-link")
        police.wait_for_url(f"**/treatment/cases/{case.pk}/refer/")
        police.check(f"#clinic-{clinic_tokyo.pk}")
        police.fill("#id_summary", "本人は受診を希望。平日夜の予約を希望。")
        police.click("#referral-form button[type=submit]")
        police.wait_for_load_state()
        assert "新宿こころのクリニック" in police.inner_text("#chosen-clinic")
        police.click("#referral-confirm button[name=confirmed]")
        police.wait_for_url(f"**/cases/{case.pk}/#treatment")
        assert "紹介済み・医療機関の回答待ち" in police.inner_text("#treatment")
        assert "への紹介" in police.inner_text("#treatment p.message")
        referral = Referral.objects.get(case=case)

        clinic = clinic_ctx.new_page()
        browser_login(clinic, "clinician-tokyo")
        assert "/treatment/" in clinic.url
        assert_no_markers(clinic.content(), VICTIM_MARKERS)
        clinic.click("text=OFFENDER-NAME-MARKER")
        clinic.wait_for_url(f"**/treatment/referrals/{referral.pk}/")
        assert_no_markers(clinic.content(), VICTIM_MARKERS)
        _submit(clinic, "/acknowledge/")
        clinic.fill("#schedule_appointment_on", today)
        _submit(clinic, "/schedule/")
        _submit(clinic, "/start/")
        assert "治療中" in clinic.inner_text("#referral-stage")
        assert_no_markers(clinic.content(), VICTIM_MARKERS)

        police.goto(f"/cases/{case.pk}/")
        stage = police.inner_text("#treatment .referral-stage")
        assert "治療中" in stage
        _screenshot_ready(police)
        section = police.locator("#treatment")
        section.screenshot(path=str(screenshot_dir / "treatment-loop.png"))
        publish_doc(screenshot_dir / "treatment-loop.png", "treatment-loop.png")
        screenshots(police, screenshot_dir, "officer-case-in-treatment")
        _screenshot_ready(clinic)
        clinic.goto("/treatment/")
        _screenshot_ready(clinic)
        assert_no_markers(clinic.content(), VICTIM_MARKERS)
        clinic.screenshot(path=str(screenshot_dir / "treatment-clinician.png"), full_page=True)
        publish_doc(screenshot_dir / "treatment-clinician.png", "treatment-clinician.png")
        screenshots(clinic, screenshot_dir, "clinician-work-list")
        publish_doc(
            screenshot_dir / "clinician-work-list-phone.png", "clinician-work-list-phone.png"
        )
        clinic.goto(f"/treatment/referrals/{referral.pk}/")
        screenshots(clinic, screenshot_dir, "clinician-referral")
    finally:
        officer_ctx.close()
        clinic_ctx.close()
    referral.refresh_from_db()
    assert referral.stage == "in_treatment"
