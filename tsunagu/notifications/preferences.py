"""Reading and saving a user's email preferences (per kind), and on the same page
their account's language, which their email is written in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from tsunagu.core import services
from tsunagu.core.audit import audit
from tsunagu.core.models import User
from tsunagu.notifications import kinds
from tsunagu.notifications.models import Preference

PREFIX = "kind_"


class PreferenceError(Exception):
    def __init__(self, message: Any, field: str) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


def current(user: User) -> dict[str, Any]:
    modes = dict(Preference.objects.filter(user=user).values_list("kind", "mode"))
    return {"modes": modes, "language": user.language}


def save(user: User, data: Mapping[str, str]) -> None:
    """Save the submitted modes; refuse an unknown kind or mode, naming the field."""
    chosen: dict[str, str] = {}
    for field, value in data.items():
        if not field.startswith(PREFIX):
            continue
        kind = field.removeprefix(PREFIX)
        if kind not in kinds.LABELS:
            raise PreferenceError(_("Unknown kind of notice."), field)
        if value not in kinds.MODES:
            raise PreferenceError(_("Choose inbox only, email at once or a daily digest."), field)
        chosen[kind] = value
    language = data.get("language", user.language)
    if language not in dict(settings.LANGUAGES):
        raise PreferenceError(_("Choose Japanese or English."), "language")
    before = current(user)["modes"]
    changed = {k: m for k, m in chosen.items() if before.get(k, kinds.INBOX) != m}
    with transaction.atomic():
        for kind, mode in changed.items():
            Preference.objects.update_or_create(user=user, kind=kind, defaults={"mode": mode})
        if changed:
            audit(
                actor=user,
                action="user.notice_preferences",
                obj=user,
                prefecture=user.prefecture,
                changed=changed,
            )
    services.user_set_own_language(user=user, language=language)
