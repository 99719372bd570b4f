"""The unread count in the page header: one count, only when shown, of the notices
the inbox lists (`Notice.objects.visible_to`), so the two always agree."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from tsunagu.notifications.models import Notice


def unread(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "notices_unread": SimpleLazyObject(
            lambda: Notice.objects.visible_to(user).filter(read_at__isnull=True).count()
        )
    }
