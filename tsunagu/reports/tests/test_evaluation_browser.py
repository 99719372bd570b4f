"""The evaluation page in Debian's Chromium on the followed-up npa-2016 set: the
analyst sees curves, the comparison and the caveat; the page is photographed for
the README (docs/evaluation.png)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tsunagu.core.models import User
from tsunagu.interchange.importer import import_files
from tsunagu.reports.tests.test_browser import FONT_CSS, _with_japanese_font
from tsunagu.testing import assert_no_markers, publish_doc
from tsunagu.testing.builders import OFFENDER_NAME, VICTIM_MARKERS

DATA = Path(settings.BASE_DIR) / "data" / "npa-2016"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "reports"


def test_evaluation_templates_have_no_inline_script_or_style() -> None:
    for name in ("evaluation.html", "evaluation_episodes.html", "_km_chart.html"):
        source = (TEMPLATES / name).read_text(encoding="utf-8")
        assert "<script" not in source and "style=" not in source and "<style" not in source


def _signed_in(context: Any, user: User, url: str) -> None:
    """A session signed in past the second factor, handed to the browser (the
    sign-in pages are tested in core; here the page under test is the report)."""
    from django.conf import settings as django_settings
    from django.test import Client

    from tsunagu.testing import enrol_totp

    client = Client()
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = enrol_totp(user).persistent_id
    session.save()
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": url,
            }
        ]
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_analyst_reads_the_evaluation_of_2016(
    chromium: Any, live_server: Any, analyst: User, screenshot_dir: Path
) -> None:
    assert import_files(DATA).ok
    context = chromium.new_context(
        locale="ja-JP",
        base_url=live_server.url,
        viewport={"width": 1280, "height": 900},
        # Only for the test font injected before the screenshot.
        bypass_csp=True,
    )
    _with_japanese_font(context)
    try:
        page = context.new_page()
        # The first evaluation loads numpy and scipy in the server: give it time
        # on a busy machine.
        page.set_default_timeout(120_000)
        _signed_in(context, analyst, live_server.url)
        page.goto("/reports/evaluation/")
        assert "/reports/evaluation/" in page.url
        page.select_option("#id_preset", "custom")
        page.fill("#id_date_from", "2016-04-01")
        page.fill("#id_date_to", "2016-12-31")
        page.fill("#id_as_of", "2018-06-30")
        page.click("form.filters button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("svg.km").count() == 2
        assert page.locator("svg.km .km-received polyline.line").count() == 1
        assert page.locator("svg.km .censor").count() > 10
        assert page.locator("svg.forest").count() == 1
        assert page.locator("svg.funnel circle").count() > 10
        text = page.inner_text("main")
        for phrase in ("受診", "拒否", "ハザード比", "E値", "関連であり", "293"):
            assert phrase in text, phrase
        assert_no_markers(page.content(), (*VICTIM_MARKERS, OFFENDER_NAME, "H27-", "H28-"))
        page.add_style_tag(content=FONT_CSS)
        page.evaluate("document.fonts.ready")
        page.wait_for_timeout(300)
        page.screenshot(path=str(screenshot_dir / "evaluation.png"), full_page=True)
        publish_doc(screenshot_dir / "evaluation.png", "evaluation.png")
        # The received group's outcomes lead to their episodes, de-identified.
        page.click("table.summary tbody tr:nth-child(2) td:nth-child(3) a")
        page.wait_for_load_state()
        assert "/reports/evaluation/episodes/" in page.url
        assert_no_markers(page.content(), (*VICTIM_MARKERS, OFFENDER_NAME, "H27-", "H28-"))
    finally:
        context.close()
