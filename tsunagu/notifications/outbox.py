"""Writing notices and their outbox rows, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, models, transaction

from tsunagu.core.models import User
from tsunagu.notifications import kinds, targets
from tsunagu.notifications.models import Delivery, Notice, Preference


def mode_for(user: User, kind: str) -> str:
    """How `user` gets `kind` by email: inbox only without an address."""
    if not user.email:
        return kinds.INBOX
    pref = Preference.objects.filter(user=user, kind=kind).values_list("mode", flat=True).first()
    return pref or kinds.INBOX


def notify(
    recipients: Iterable[User],
    kind: str,
    *,
    link: str = "",
    target: models.Model | None = None,
    key: str,
) -> list[Notice]:
    """A notice of `kind` for each recipient, and an email delivery for those who
    asked for one. `key` makes it idempotent: a second call with the same key
    for the same recipient writes nothing. Runs in the caller's transaction.

    A notice about a case or a referral names it as `target` (its link is the
    item's page): it is shown only while the recipient can see the item."""
    if kind not in kinds.LABELS:
        raise ValueError(f"unknown notice kind {kind!r}")
    target_type, target_id = "", None
    if target is not None:
        target_type, target_id, link = targets.of(target)
    made = []
    seen: set[int] = set()
    for user in recipients:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        try:
            with transaction.atomic():
                notice = Notice.objects.create(
                    recipient=user,
                    kind=kind,
                    link=link,
                    target_type=target_type,
                    target_id=target_id,
                    key=key,
                )
        except IntegrityError:
            continue  # already notified under this key
        mode = mode_for(user, kind)
        if mode != kinds.INBOX:
            Delivery.objects.create(
                recipient=user,
                notice=notice,
                kind=kind,
                mode=mode,
                delivery_key=f"n{notice.pk}",
            )
        made.append(notice)
    return made
