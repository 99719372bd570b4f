"""Small helpers of the page layout: the menu's counts and lists shown as cards on phones."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.html import format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_badge(context: Any, name: str) -> Any:
    """The count a menu entry shows beside its label (`Entry.badge` names the variable)."""
    return context.get(name) if name else None


@register.simple_tag(takes_context=True)
def nav_link(context: Any, link: Any, tag: str) -> SafeString:
    """One menu entry (`core.navigation.Link`) inside `<tag class="nav-item">`: the
    current page marked for assistive technology, its count (if any) beside it.
    Python, not an included template: every page shows up to twenty of them."""
    count = nav_badge(context, link.badge)
    badge = (
        format_html(' <span class="badge" aria-label="{}">{}</span>', gettext("unread"), count)
        if count
        else ""
    )
    return format_html(
        '<{} class="nav-item"><a href="{}"{}{}>{}{}</a></{}>',
        tag,
        link.url,
        format_html(' id="{}"', link.id) if link.id else "",
        mark_safe(' aria-current="page"') if link.current else "",
        link.label,
        badge,
        tag,
    )


_THEAD = re.compile(r"<thead\b.*?</thead>", re.S | re.I)
_HEAD_CELL = re.compile(r"<th\b([^>]*)>(.*?)</th>", re.S | re.I)
_ROW = re.compile(r"(<tr\b[^>]*>)(.*?)(</tr>)", re.S | re.I)
_CELL = re.compile(r"<(td|th)\b([^>]*)>", re.I)
_COLSPAN = re.compile(r'colspan="?(\d+)', re.I)


def _span(attrs: str) -> int:
    found = _COLSPAN.search(attrs)
    return int(found.group(1)) if found else 1


def label_cells(html: str) -> str:
    """Give each body cell of a rendered table the text of its column header as
    `data-label`, and the table the class `cards`: below 40em the CSS shows each row
    as a card of "header: value" lines instead of squeezing the columns.

    Derived from the table's own <thead>, so the labels cannot drift from the
    headers. A cell spanning every column (an empty list's message) gets none.
    """
    head = _THEAD.search(html)
    if not head:
        return html
    labels: list[str] = []
    for attrs, text in _HEAD_CELL.findall(head.group(0)):
        label = " ".join(strip_tags(text).split()).replace('"', "&quot;")
        labels.extend([label] * _span(attrs))
    width = len(labels)

    def row(match: re.Match[str]) -> str:
        if match.start() < head.end():
            return match.group(0)
        column = 0

        def cell(m: re.Match[str]) -> str:
            nonlocal column
            tag, attrs = m.group(1), m.group(2)
            span = _span(attrs)
            at = column
            column += span
            if span >= width or at >= width or "data-label" in attrs or not labels[at]:
                return m.group(0)
            return f'<{tag}{attrs} data-label="{labels[at]}">'

        return match.group(1) + _CELL.sub(cell, match.group(2)) + match.group(3)

    html = _ROW.sub(row, html)
    return re.sub(
        r"<table\b([^>]*)>",
        lambda m: (
            m.group(0).replace('class="', 'class="cards ', 1)
            if 'class="' in m.group(1)
            else f'<table class="cards"{m.group(1)}>'
        ),
        html,
        count=1,
    )


class CardTableNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context: Any) -> SafeString:
        # The input is the template's own rendered (escaped) output; only attributes
        # built from its header text are added.
        return mark_safe(label_cells(self.nodelist.render(context)))  # noqa: S308


@register.tag
def cardtable(parser: Any, token: Any) -> CardTableNode:
    """`{% cardtable %}<table>…</table>{% endcardtable %}`: a list that becomes
    stacked cards on a phone (see `label_cells`)."""
    nodelist = parser.parse(("endcardtable",))
    parser.delete_first_token()
    return CardTableNode(nodelist)
