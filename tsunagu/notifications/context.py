"""The unread count in the page header: one count, only when shown, of the notices
the inbox lists (`Notice.objects.visible_to`), so the two always agree."""

from __future__ import annotations

from typing import Any

from django.db import OperationalError
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from tsunagu.core import busy
from tsunagu.notifications.models import Notice


def unread(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notices_unread": SimpleLazyObject(lambda: _count(user))}


def _count(user: Any) -> int:
    try:
        # Most pages are seen with nothing unread: one plain probe of the user's own
        # unread notices then answers, without building the visibility conditions
        # of every kind of item (a third of a small page's time).
        if not Notice.objects.filter(recipient_id=user.pk, read_at__isnull=True).exists():
            return 0
        return Notice.objects.visible_to(user).filter(read_at__isnull=True).count()
    except OperationalError as exc:
        # The count reads the cases and referrals tables too (what the user may
        # still see): while a long write holds them, the page — above all the
        # "database busy" page itself (503) — is shown without the count.
        if not busy.is_busy(exc):
            raise
        return 0
