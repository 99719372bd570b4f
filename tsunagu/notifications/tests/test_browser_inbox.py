"""The inbox in Debian's Chromium: a referral sent to a clinic shows in its
clinician's header count; the clinician opens the inbox, follows a notice to the
referral (which marks it read), marks the rest read, and the count goes down."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tsunagu.cases.models import Case
from tsunagu.core.models import User
from tsunagu.notifications import kinds
from tsunagu.notifications.models import Notice
from tsunagu.testing import browser_login
from tsunagu.testing.builders import referred
from tsunagu.treatment.models import Clinic


def unread_badge(page: Any) -> str:
    """The header's unread count; "" when there is no badge."""
    badge = page.locator("#notices-link .badge")
    return badge.inner_text().strip() if badge.count() else ""


@pytest.mark.django_db(transaction=True)
def test_inbox_count_open_and_mark_read(
    page: Any,
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
    screenshot_dir: Any,
) -> None:
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    # Real actions: the officer sends two referrals to the clinic (the service the
    # officer's page calls), each writing a notice for the clinic's staff.
    first = referred(officer_tokyo, make_case, clinic_tokyo)
    referred(officer_tokyo, make_case, clinic_tokyo)
    assert Notice.objects.filter(recipient=clinician_tokyo, kind=kinds.REFERRAL_NEW).count() == 2

    browser_login(page, "clinician-tokyo")
    assert unread_badge(page) == "2"

    page.click("#notices-link")
    page.wait_for_url("**/notifications/")
    rows = page.locator("table.notices tbody tr")
    assert rows.count() == 2
    assert page.locator("table.notices tbody tr.unread").count() == 2
    assert all("新しい紹介" in text for text in rows.all_inner_texts())  # the kind, nothing more
    assert all(clinic_tokyo.name not in text for text in rows.all_inner_texts())
    page.screenshot(path=str(screenshot_dir / "notices-inbox.png"), full_page=True)

    # The older notice is the first referral's: open it.
    with page.expect_navigation():
        rows.last.locator("button[type=submit]").click()
    assert page.url.endswith(f"/treatment/referrals/{first.pk}/")
    assert page.locator("h1").inner_text().startswith("紹介")
    assert unread_badge(page) == "1"

    page.click("#notices-link")
    page.wait_for_url("**/notifications/")
    assert page.locator("table.notices tbody tr.unread").count() == 1
    with page.expect_navigation():
        page.click("form[action='/notifications/read/'] button[type=submit]")
    assert unread_badge(page) == ""
    assert page.locator("table.notices tbody tr.unread").count() == 0
    assert not Notice.objects.filter(recipient=clinician_tokyo, read_at__isnull=True).exists()
    assert not csp_errors, csp_errors
