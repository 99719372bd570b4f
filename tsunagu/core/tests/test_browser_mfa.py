"""A TOTP enrolment and a sign-in with a code, in Debian's Chromium.

The test plays the phone: it reads the secret the page shows (as an app would
from the QR code) and computes the codes itself.
"""

from __future__ import annotations

import base64
import time

import pytest
from django_otp.oath import totp

from tsunagu.testing import browser_login, publish_doc
from tsunagu.testing.builders import PASSWORD


def _code(secret: str, offset: int = 0) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, t0=-offset):06d}"


@pytest.mark.django_db(transaction=True)
def test_totp_enrolment_then_sign_in_with_a_code(page, officer_tokyo, screenshot_dir):
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.goto("/login/")
    page.fill("#id_username", "officer-tokyo")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/mfa/**")
    # Every page but enrolment is out of reach before the second factor.
    page.goto("/cases/")
    assert "/mfa/" in page.url
    secret = page.inner_text("#totp-secret").strip()
    page.screenshot(path=str(screenshot_dir / "mfa-enrolment.png"), full_page=True)
    publish_doc(screenshot_dir / "mfa-enrolment.png", "mfa-enrolment.png")
    page.fill("#id_code", _code(secret))
    page.click("form[action='/mfa/totp/'] button[type=submit]")
    page.wait_for_load_state()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    page.click("text=控えました")
    page.wait_for_load_state()
    page.click("header form button[type=submit]:has-text('ログアウト')")
    page.wait_for_url("**/login/**")

    # Sign in again: password, then the next code of the app.
    page.fill("#id_username", "officer-tokyo")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/mfa/**")
    # The code used at enrolment may not be used again; wait for the next step.
    time.sleep(max(0.0, 30 - time.time() % 30) + 0.5)
    page.fill("#id_code", _code(secret))
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "/mfa/" not in page.url and "/login/" not in page.url
    page.goto("/cases/")
    assert page.url.endswith("/cases/")
    assert not csp_errors, csp_errors


@pytest.mark.django_db(transaction=True)
def test_browser_login_passes_the_second_factor(page, officer_tokyo):
    browser_login(page, "officer-tokyo")
    page.goto("/cases/")
    assert page.url.endswith("/cases/")
