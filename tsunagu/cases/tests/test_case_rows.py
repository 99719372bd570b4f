"""The rows of the case list and the officer's home (`cases/templatetags/case_rows.py`)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django.urls import reverse

from tsunagu.cases import services
from tsunagu.cases.models import Case
from tsunagu.core.models import User
from tsunagu.testing import client_for


def _row(html: str, case: Case) -> str:
    link = reverse("cases:detail", args=[case.pk])
    found = re.search(r"<tr>((?:(?!</tr>).)*" + re.escape(link) + r".*?)</tr>", html, re.S)
    assert found, html
    return found.group(1)


def test_a_row_links_the_case_and_shows_its_state(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(officer_tokyo, opened_on=dt.date(2024, 4, 1), ref="T-<9>")
    services.police_event_record(
        actor=officer_tokyo, case=case, date=dt.date(2024, 5, 2), type="warning", detail=""
    )
    client = client_for(officer_tokyo)
    for url in (reverse("cases:list"), reverse("core:home")):
        row = _row(client.get(url).content.decode(), case)
        assert f'<a href="/cases/{case.pk}/">T-&lt;9&gt;</a>' in row  # the reference escaped
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        assert len(cells) == 6
        assert cells[2] == "2024-04-01"
        assert cells[4].startswith("警告") and '<span class="muted">2024-05-02</span>' in cells[4]
        assert "継続中" in cells[5] and 'class="badge ok"' in cells[5]
        # Each cell is labelled from its column header for the phone layout.
        assert 'data-label="事案番号"' in row


def test_a_case_without_station_or_measure_shows_a_dash_and_a_closed_badge(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(officer_tokyo, opened_on=dt.date(2024, 4, 1))
    Case.objects.filter(pk=case.pk).update(
        station=None, is_open=False, latest_measure="", latest_measure_on=None
    )
    html = client_for(officer_tokyo).get(reverse("cases:list")).content.decode()
    cells = re.findall(r"<td[^>]*>(.*?)</td>", _row(html, case), re.S)
    assert cells[1] == "—" and cells[4] == "—"
    assert cells[5] == '<span class="badge">終結</span>'
