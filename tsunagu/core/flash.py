"""Messages shown where the user is looking.

A write answered by a redirect to a panel of a page (`…#measure`) puts its
message next to that panel, not at the top of the page the browser scrolls
away from: the message carries the tags "placed at-<panel>", base.html leaves
it out and the panel shows it (template "core/_placed_messages.html").
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect


def placed(request: HttpRequest, place: str, text: str, level: int = messages.SUCCESS) -> None:
    """A message for the panel `place` (its element id on the page)."""
    messages.add_message(request, level, text, extra_tags=f"placed at-{place}")


def to_panel(
    request: HttpRequest, url: str, place: str, text: str, level: int = messages.SUCCESS
) -> HttpResponseRedirect:
    """Redirect to the panel `place` of the page at `url`, with the message beside it."""
    placed(request, place, text, level)
    return HttpResponseRedirect(f"{url}#{place}")
