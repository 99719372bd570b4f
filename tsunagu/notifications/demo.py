"""Demo: addresses and email preferences for three demo users, so the demo's
notices also reach the mail folder (`<data folder>/mail`, Django's file backend)."""

from __future__ import annotations

from typing import TextIO

from django.db import transaction

from tsunagu.core.models import User
from tsunagu.notifications import kinds
from tsunagu.notifications.models import Preference

DEMO_MAIL = {
    "clinician-tokyo": (kinds.IMMEDIATE, "ja"),
    "supervisor-tokyo": (kinds.IMMEDIATE, "ja"),
    "officer-tokyo": (kinds.DIGEST, "en"),
}


def load(stdout: TextIO) -> None:
    with transaction.atomic():
        for username, (mode, language) in DEMO_MAIL.items():
            user = User.objects.filter(username=username).first()
            if user is None:
                continue
            if not user.email:
                user.email = f"{username}@demo.invalid"
            user.language = language
            user.save(update_fields=["email", "language"])
            for kind in kinds.KINDS:
                Preference.objects.get_or_create(user=user, kind=kind, defaults={"mode": mode})
    stdout.write("notifications: email preferences for " + ", ".join(DEMO_MAIL) + "\n")
