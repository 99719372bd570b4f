"""Accessibility and phone layout of every main page of every role, in Debian's Chromium.

On the demo data (its users, clinics, cases, referrals and risk instrument; the
national npa-2016 file aside, for time), each role signs in once and visits its
menu's pages (`core.navigation`, so a page added to the menu is checked here too)
and the detail pages it works on, in Japanese and in English, at 1366 px and at
390 px. axe-core (vendored from npm, static/vendor/axe-core) must find no serious
and no critical violation. At 390 px the header stays compact, list cells are not
squeezed, and the text of the programme's charts (flow, map, trend) is at least 12 px. A state with a
problem is photographed into test-results/a11y/ (the flows' own tests photograph
their pages at both widths).
"""

from __future__ import annotations

import io
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from tsunagu.core.demo import DEMO_PASSWORD
from tsunagu.core.models import User
from tsunagu.core.navigation import entries_for
from tsunagu.testing import DESKTOP, PHONE, browser_login, publish_doc, screenshots

AXE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
LANGUAGES = ("ja", "en")
ROLES = {
    "officer": "officer-tokyo",
    "supervisor": "supervisor-tokyo",
    "clinician": "clinician-tokyo",
    "analyst": "analyst",
    "admin": "admin",
}
# The demo loaders of the small demo (tsunagu demo without the national file).
DEMO_LOADERS = (
    "tsunagu.core.demo",
    "tsunagu.notifications.demo",
    "tsunagu.treatment.demo",
    "tsunagu.cases.demo",
    "tsunagu.risk.demo",
)
# Pages checked again after a submit that fails, so that the error lists are checked:
# role -> (page, the submit button).
REFUSED_SUBMITS = {
    "officer": [("cases:new", "main p > button[type=submit]:not([name])")],
    "admin": [("core:user_new", "main form button[type=submit]")],
}
# Pages of the demo photographed at both widths for the README (docs/, with
# TSUNAGU_UPDATE_DOCS=1): role -> {page: picture name}.
README_PICTURES = {"officer": {"cases:list": "officer-case-list"}}
HEADER_MAX_PX = 64
CHART_TEXT_MIN_PX = 12

RUN_AXE = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
}"""

# Cells of a card list narrower than this at 390 px are squeezed text.
SQUEEZED_CELLS = """() => [...document.querySelectorAll('table.cards td, table.cards tbody th')]
  .filter(td => td.offsetParent !== null && td.innerText.trim().length > 1
                && td.getBoundingClientRect().width < 200)
  .map(td => td.innerText.trim().slice(0, 30))"""

# The smallest text of each chart on the page, as drawn: {chart: px}.
CHART_TEXT_PX = """() => Object.fromEntries(['flow', 'tilemap', 'trend']
  .map(name => [name, document.querySelector('svg.chart.' + name)])
  .filter(([name, svg]) => svg !== null)
  .map(([name, svg]) => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return [name, Math.min(...[...svg.querySelectorAll('text')].map(
      t => parseFloat(t.getAttribute('font-size')) * scale))];
  }))"""


def _load_demo() -> None:
    out = io.StringIO()
    for name in DEMO_LOADERS:
        import_module(name).load(out)


def _pages(role: str, user: User) -> list[str]:
    """The role's menu and the detail pages of its daily work."""
    from tsunagu.cases.models import Case
    from tsunagu.treatment.models import Clinic, Referral

    urls = [reverse(e.url_name) for e in entries_for(role)]
    if role in ("officer", "supervisor"):
        case = Case.objects.visible_to(user).filter(referrals__isnull=False).first()
        assert case is not None
        urls.append(reverse("cases:detail", args=[case.pk]))
        clinic = Clinic.objects.visible_to(user).first()
        assert clinic is not None
        urls.append(reverse("treatment:clinic", args=[clinic.pk]))
    if role == "clinician":
        referral = Referral.objects.visible_to(user).first()
        assert referral is not None
        urls.append(reverse("treatment:referral", args=[referral.pk]))
    return urls


def _slug(url: str) -> str:
    return url.strip("/").replace("/", "-") or "home"


@pytest.mark.django_db(transaction=True)
def test_every_main_page_of_every_role_passes_axe_in_both_languages_and_widths(
    chromium: Any, live_server: Any, screenshot_dir: Path
) -> None:
    _load_demo()
    axe = AXE.read_text()
    shots = screenshot_dir / "a11y"
    shots.mkdir(exist_ok=True)
    problems: list[str] = []
    visited = 0
    charts_seen: set[str] = set()
    for role, username in ROLES.items():
        user = User.objects.get(username=username)
        urls = _pages(role, user)
        context = chromium.new_context(
            locale="ja-JP", base_url=live_server.url, viewport=WIDTHS["desktop"]
        )
        try:
            page = context.new_page()
            browser_login(page, username, DEMO_PASSWORD)
            for lang in LANGUAGES:
                context.add_cookies(
                    [{"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": live_server.url}]
                )
                submits = [
                    (reverse(name), button) for name, button in REFUSED_SUBMITS.get(role, [])
                ]
                for url, button in [(url, None) for url in urls] + submits:
                    page.set_viewport_size(WIDTHS["desktop"])
                    response = page.goto(url)
                    assert response is not None and response.status == 200, (role, url)
                    assert "/mfa/" not in page.url, (role, url)
                    if button:
                        # The server's refusal, not the browser's own check of required fields.
                        page.evaluate(
                            "document.querySelectorAll('form').forEach(f => f.noValidate = true)"
                        )
                        with page.expect_navigation():
                            page.click(button)
                        assert page.locator(".errorlist li").count() > 0, (role, url)
                        url += " (refused)"
                    assert page.get_attribute("html", "lang") == lang
                    # Through CDP, so the page's CSP (no inline script) does not apply.
                    page.evaluate(axe)
                    for width, viewport in WIDTHS.items():
                        page.set_viewport_size(viewport)
                        state = f"{role} {lang} {width} {url}"
                        visited += 1
                        found = [
                            f"{state}: {v['impact']} {v['id']} ({v['help']}) at {v['targets']}"
                            for v in page.evaluate(RUN_AXE)
                        ]
                        if width == "phone":
                            found.extend(_phone_layout(page, state, charts_seen))
                        if found:
                            problems.extend(found)
                            page.screenshot(
                                path=str(shots / f"{role}-{_slug(url)}-{lang}-{width}.png"),
                                full_page=True,
                            )
                    for name, picture in README_PICTURES.get(role, {}).items():
                        if lang == "ja" and url == reverse(name):
                            screenshots(page, screenshot_dir, picture, publish=True)
        finally:
            context.close()
    (shots / "problems.txt").write_text("\n".join(problems))
    assert visited >= 150
    assert charts_seen == {"flow", "tilemap", "trend"}  # measured, not missed
    assert not problems, "\n" + "\n".join(problems)


def _phone_layout(page: Any, state: str, charts_seen: set[str]) -> list[str]:
    problems = []
    height = page.locator("header.top").bounding_box()["height"]
    if height > HEADER_MAX_PX:
        problems.append(f"{state}: header {height:.0f} px tall (at most {HEADER_MAX_PX})")
    squeezed = page.evaluate(SQUEEZED_CELLS)
    if squeezed:
        problems.append(f"{state}: list cells squeezed: {squeezed[:5]}")
    for chart, px in page.evaluate(CHART_TEXT_PX).items():
        charts_seen.add(chart)
        if px < CHART_TEXT_MIN_PX:
            problems.append(
                f"{state}: {chart} chart text {px:.1f} px (at least {CHART_TEXT_MIN_PX})"
            )
    return problems


@pytest.mark.django_db(transaction=True)
def test_the_phone_menu_opens_and_reaches_a_grouped_page_without_javascript(
    chromium: Any, live_server: Any, supervisor_tokyo: User, screenshot_dir: Path
) -> None:
    context = chromium.new_context(
        locale="ja-JP",
        base_url=live_server.url,
        viewport=WIDTHS["phone"],
        java_script_enabled=False,
    )
    try:
        page = context.new_page()
        page.goto("/login/")
        browser_login(page, "supervisor-tokyo")
        assert page.locator("header.top").bounding_box()["height"] <= HEADER_MAX_PX
        assert not page.locator("header nav").is_visible()
        page.click("label.menu-button")
        assert page.locator("header nav").is_visible()
        page.click("nav summary:has-text('統計')")
        shot = screenshot_dir / "supervisor-menu-phone.png"
        page.screenshot(path=str(shot))
        publish_doc(shot, shot.name)
        with page.expect_navigation():
            page.click("nav >> text=公表記録")
        assert page.url.endswith(reverse("reports:releases"))
        # At desktop width the groups are menus under the header; the current one marked.
        page.set_viewport_size(DESKTOP)
        assert page.locator("label.menu-button").is_hidden()
        page.click("nav summary:has-text('管理')")
        assert page.locator("nav >> text=監査ログ").is_visible()
        shot = screenshot_dir / "supervisor-menu-desktop.png"
        page.screenshot(path=str(shot), clip={"x": 0, "y": 0, "width": 1366, "height": 420})
        publish_doc(shot, shot.name)
    finally:
        context.close()
