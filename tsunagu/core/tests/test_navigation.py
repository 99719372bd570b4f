"""The main menu: defined once (core/navigation.py), shown by role, grouped by task."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from tsunagu.core.navigation import FLAT_UP_TO, MENU, entries_for
from tsunagu.core.templatetags.ui import label_cells
from tsunagu.testing import client_for

USERS = {
    "officer": "officer_tokyo",
    "supervisor": "supervisor_tokyo",
    "clinician": "clinician_tokyo",
    "analyst": "analyst",
    "admin": "admin_user",
}

# Pages a role may open that its menu leaves out on purpose: officers may read their
# prefecture's figures (`reports.views.reporting_user`), but the statistics stay out
# of the officer's daily menu, as they always were.
OPEN_BUT_NOT_LISTED = {
    ("officer", "reports:programme"),
    ("officer", "reports:evaluation"),
    ("officer", "reports:annual"),
}


@pytest.mark.parametrize("role", list(USERS))
def test_each_menu_entry_opens_for_its_roles_and_no_other(db: Any, request: Any, role: str) -> None:
    """The menu's role rules agree with the pages' own gates: every entry a role sees
    opens for it, and every entry it does not see is refused to it."""
    client = client_for(request.getfixturevalue(USERS[role]))
    for entry in MENU:
        status = client.get(reverse(entry.url_name)).status_code
        if role in entry.roles:
            assert status == 200, (role, entry.url_name, status)
        elif (role, entry.url_name) not in OPEN_BUT_NOT_LISTED:
            assert status in (302, 403, 404), (role, entry.url_name, status)


@pytest.mark.parametrize("role", list(USERS))
def test_the_header_lists_exactly_the_roles_entries(db: Any, request: Any, role: str) -> None:
    page = (
        client_for(request.getfixturevalue(USERS[role]))
        .get(reverse("notifications:inbox"))
        .content.decode()
    )
    nav = re.search(r'<nav aria-label="[^"]+">(.*?)</nav>', page, re.S)
    assert nav
    hrefs = re.findall(r'href="([^"]+)"', nav.group(1))
    assert hrefs == [reverse(e.url_name) for e in sorted_by_group(entries_for(role))]


def sorted_by_group(entries: list[Any]) -> list[Any]:
    from tsunagu.core.navigation import GROUPS

    order = list(GROUPS)
    return sorted(entries, key=lambda e: order.index(e.group))


def test_the_supervisors_long_menu_is_grouped_by_task_and_short_ones_are_flat(
    supervisor_tokyo: Any, officer_tokyo: Any
) -> None:
    assert len(entries_for("supervisor")) > FLAT_UP_TO >= len(entries_for("officer"))
    page = client_for(supervisor_tokyo).get(reverse("cases:list")).content.decode()
    nav = re.search(r"<nav .*?</nav>", page, re.S)
    assert nav
    summaries = re.findall(r'<details class="nav-group[^"]*">\s*<summary>([^<]+)</summary>', nav[0])
    assert summaries == ["事案", "紹介・医療機関", "統計", "管理"]
    # The group of the page shown is marked, and so is its link.
    assert '<details class="nav-group current">\n  <summary>事案</summary>' in page
    assert f'href="{reverse("cases:list")}" aria-current="page"' in page
    officer_page = client_for(officer_tokyo).get(reverse("cases:list")).content.decode()
    officer_nav = re.search(r"<nav .*?</nav>", officer_page, re.S)
    assert officer_nav and "<details" not in officer_nav[0]


def test_the_phone_menu_opens_without_javascript(officer_tokyo: Any) -> None:
    page = client_for(officer_tokyo).get(reverse("cases:list")).content.decode()
    # A checkbox and its label fold the header; CSS opens it (static/css/tsunagu.css).
    assert re.search(r'<input type="checkbox" id="menu-toggle" class="menu-toggle"', page)
    assert '<label for="menu-toggle" class="menu-button">' in page


def test_list_cells_carry_their_column_header_for_the_card_layout() -> None:
    html = label_cells(
        '<table><thead><tr><th scope="col">事案番号</th><th colspan="2">警察署 &amp; 日付</th>'
        "<th>状態</th></tr></thead><tbody>"
        '<tr><td><a href="/x">A-1</a></td><td>新宿警察署</td><td>2016-06-01</td><td>継続</td></tr>'
        '<tr><td colspan="4">該当する事案はありません。</td></tr></tbody></table>'
    )
    assert html.startswith('<table class="cards">')
    assert '<td data-label="事案番号"><a href="/x">A-1</a></td>' in html
    assert '<td data-label="警察署 &amp; 日付">新宿警察署</td>' in html
    assert '<td data-label="警察署 &amp; 日付">2016-06-01</td>' in html
    assert '<td data-label="状態">継続</td>' in html
    assert '<td colspan="4">該当' in html  # the empty list's message is not labelled
    assert "<th" in html and "data-label" not in html.split("<tbody>")[0]


def test_the_case_list_is_a_card_table(officer_tokyo: Any, make_case: Any) -> None:
    make_case(officer_tokyo, ref="CARD-1")
    page = client_for(officer_tokyo).get(reverse("cases:list")).content.decode()
    assert '<table class="cards">' in page
    assert re.search(r'<td data-label="事案番号"><a href="[^"]+">CARD-1</a>', page)
