"""The programme report in Debian's Chromium, on the npa-2016 set: the analyst
sees the published figures, follows a number to its episodes, and the page is
photographed for the README (docs/report-programme.png)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tsunagu.core.models import User
from tsunagu.interchange.importer import import_files
from tsunagu.testing import assert_no_markers, browser_login, publish_doc, screenshots
from tsunagu.testing.builders import OFFENDER_NAME, VICTIM_MARKERS

DATA = Path(settings.BASE_DIR) / "data" / "npa-2016"
FONT_CSS = (
    "@font-face{font-family:'TestNotoJP';src:url('/__test-font/noto.otf')}"
    "body,button,input,select,textarea,svg text{font-family:'TestNotoJP',sans-serif !important}"
)


def _with_japanese_font(context: Any) -> None:
    """Serve the pinned Noto Sans CJK JP so the screenshot shows Japanese on a
    machine without Japanese system fonts."""
    from tsunagu.reports.exports import font_path

    context.route("**/__test-font/noto.otf", lambda route: route.fulfill(path=str(font_path())))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_analyst_reads_the_npa2016_report_and_drills_down(
    chromium: Any, live_server: Any, analyst: User, screenshot_dir: Path
) -> None:
    assert import_files(DATA).ok
    context = chromium.new_context(
        locale="ja-JP",
        base_url=live_server.url,
        viewport={"width": 1280, "height": 900},
        bypass_csp=True,  # the test adds its own font style for the screenshot
    )
    _with_japanese_font(context)
    try:
        page = context.new_page()
        browser_login(page, "analyst")
        assert "/reports/programme/" in page.url  # analysts land on the report
        page.select_option("#id_preset", "custom")
        page.fill("#id_date_from", "2016-04-01")
        page.fill("#id_date_to", "2016-12-31")
        page.click("form.filters button[type=submit]")
        page.wait_for_load_state()
        summary = page.locator("table.summary").first
        for text in ("受診の働き掛け", "293", "108", "36.9 %", "73", "24.9 %", "179", "61.1 %"):
            assert text in summary.inner_text(), text
        assert page.locator("svg.flow").count() == 1
        assert page.locator("svg.tilemap rect:has(title)").count() == 47  # the tiles
        assert page.locator("svg.tilemap g.legend").count() == 1
        page.add_style_tag(content=FONT_CSS)
        page.evaluate("document.fonts.ready")
        page.wait_for_timeout(300)
        screenshots(page, screenshot_dir, "analyst-programme")
        page.screenshot(path=str(screenshot_dir / "report-programme.png"), full_page=True)
        publish_doc(screenshot_dir / "report-programme.png", "report-programme.png")
        # The PDF offered on the page, as Chromium's viewer shows its first page.
        pdf_url = page.get_attribute("p.downloads a:has-text('PDF')", "href")
        assert pdf_url
        pdf = page.request.get(pdf_url)
        assert pdf.headers["content-type"] == "application/pdf"
        pdf_path = screenshot_dir / "report-programme.pdf"
        pdf_path.write_bytes(pdf.body())
        viewer = context.new_page()
        viewer.set_viewport_size({"width": 900, "height": 1200})
        viewer.goto(pdf_path.resolve().as_uri())
        viewer.wait_for_timeout(2500)
        viewer.screenshot(
            path=str(screenshot_dir / "report-programme-pdf.png"),
            clip={"x": 305, "y": 58, "width": 590, "height": 590},
        )
        viewer.close()
        # The map page with its legend (a new viewer: a changed fragment is not reloaded).
        viewer = context.new_page()
        viewer.set_viewport_size({"width": 900, "height": 1200})
        viewer.goto(pdf_path.resolve().as_uri() + "#page=2")
        viewer.wait_for_timeout(2500)
        viewer.screenshot(
            path=str(screenshot_dir / "report-programme-pdf-map.png"),
            clip={"x": 305, "y": 58, "width": 590, "height": 840},
        )
        viewer.close()
        publish_doc(screenshot_dir / "report-programme-pdf-map.png", "report-programme-pdf-map.png")
        publish_doc(pdf_path, "report-programme.pdf")
        publish_doc(screenshot_dir / "report-programme-pdf.png", "report-programme-pdf.png")
        # The 73 received link to their 73 episodes, de-identified.
        page.click("table.summary >> text=73")
        page.wait_for_load_state()
        assert "73件" in page.content()
        assert_no_markers(page.content(), (*VICTIM_MARKERS, OFFENDER_NAME, "H27-", "H28-"))
    finally:
        context.close()


# What must not be squeezed on a phone: the page never scrolls sideways (a wide
# table or chart scrolls in its own region) and no header cell breaks its label.
OVERFLOW_JS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('main *')) {
    if (el.closest('.table-scroll, .chart-scroll')) continue;
    if (el.getBoundingClientRect().right > window.innerWidth + 1) out.push(el.tagName + '.' + el.className);
  }
  for (const th of document.querySelectorAll('table.counts th, table.sortable th, table.months th')) {
    const line = parseFloat(getComputedStyle(th).lineHeight) || 24;
    const range = document.createRange();
    range.selectNodeContents(th);
    if (range.getClientRects().length && range.getBoundingClientRect().height > line * 1.5)
      out.push('wrapped: ' + th.textContent.trim());
  }
  return out;
}"""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("width", [1366, 390])
def test_report_tables_are_not_squeezed(
    chromium: Any, live_server: Any, analyst: User, screenshot_dir: Path, width: int
) -> None:
    assert import_files(DATA).ok
    context = chromium.new_context(
        locale="ja-JP", base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    try:
        page = context.new_page()
        browser_login(page, "analyst")
        period = "preset=custom&date_from=2016-04-01&date_to=2016-12-31"
        for name, url in (
            ("programme", f"/reports/programme/?{period}&open=months&open=prefectures"),
            ("annual", "/reports/annual/?year=2016"),
            ("annual-release", "/reports/annual/?year=2016&release=1"),
        ):
            page.goto(url)
            page.wait_for_load_state()
            assert page.evaluate(OVERFLOW_JS) == [], name
            page.screenshot(path=str(screenshot_dir / f"report-{name}-{width}.png"), full_page=True)
        # The area box checks its prefectures in the browser too; the server agrees.
        page.goto(f"/reports/programme/?{period}")
        page.click("fieldset.prefecture-picker summary")
        page.check("input[name=area][value=kanto]")
        assert page.locator("input[data-in-area=kanto]:checked").count() == 7
        page.uncheck("input[name=prefecture][value='13']")
        assert page.evaluate(
            "document.querySelector('input[name=area][value=kanto]').indeterminate"
        )
        page.click("form.filters button[type=submit]")
        page.wait_for_load_state()
        assert "prefecture=14" in page.url and "area=kanto" not in page.url
        assert "東京都" not in page.locator("p.period").inner_text()
    finally:
        context.close()
