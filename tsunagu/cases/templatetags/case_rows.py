"""The rows of a case list (the case list and the officer's home).

Python rather than a template loop: a page shows fifty rows of six cells, and the
template engine spent about a quarter of the home page's time on them. The header
stays in `cases/_table.html`, so `{% cardtable %}` still labels each cell from it.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import pgettext

register = template.Library()

_ROW = (
    '\n  <tr>\n    <td><a href="{}">{}</a></td>\n    <td>{}</td>\n    <td>{}</td>\n'
    "    <td>{}</td>\n    <td>{}{}</td>\n    <td>{}</td>\n  </tr>\n"
)


@register.simple_tag
def case_rows(rows: list[dict[str, Any]]) -> SafeString:
    """One `<tr>` per row of `cases.views._rows`: reference (a link to the case),
    station, opened on, relationship, latest measure with its date, status."""
    if not rows:
        return SafeString("")
    first = reverse("cases:detail", args=[0])
    prefix, suffix = first.rsplit("/0/", 1)
    is_open = format_html('<span class="badge ok">{}</span>', pgettext("case status", "Open"))
    closed = format_html('<span class="badge">{}</span>', pgettext("case status", "Closed"))

    def cells(row: dict[str, Any]) -> tuple[Any, ...]:
        case = row["case"]
        station = case.station.name if case.station_id else ""
        return (
            f"{prefix}/{case.pk}/{suffix}",
            case.ref,
            station or "—",
            case.opened_on.isoformat() if case.opened_on else "",
            row["relationship"],
            row["latest_measure"] or "—",
            format_html(' <span class="muted">{}</span>', case.latest_measure_on.isoformat())
            if case.latest_measure_on
            else "",
            is_open if case.is_open else closed,
        )

    return format_html_join("", _ROW, (cells(row) for row in rows))
