"""The email worker: claims due deliveries, sends plain text, retries with backoff.

A plain worker on the database, no broker: rows are claimed atomically
(`select_for_update(skip_locked=True)` on PostgreSQL, a conditional UPDATE on
SQLite) with a lease (`claimed_until`); a worker killed mid-way leaves its rows
to be claimed again when the lease ends. Each message carries its delivery key
as Message-ID, and a row is marked sent in the same step as the SMTP answer.

A message holds the kind of notice and a link to the inbox: no name, no
reference, no address, no event date, no clinic.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tsunagu.core.models import User
from tsunagu.notifications import kinds
from tsunagu.notifications.models import Attempt, Delivery, MailSettings, Notice

log = logging.getLogger("tsunagu.notifications")

LEASE = dt.timedelta(minutes=5)


def backoff(attempts: int) -> dt.timedelta:
    """Seconds before the next try: base × 2^(attempts−1), at most an hour."""
    seconds = settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, 3600))


def _waiting(now: dt.datetime) -> Q:
    """Due now, or claimed by a worker whose lease ran out (it was killed)."""
    waiting = Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
    abandoned = Q(status=Delivery.Status.SENDING, claimed_until__lt=now)
    return waiting | abandoned


def _due_filter(now: dt.datetime) -> Q:
    return _waiting(now) & Q(mode=kinds.IMMEDIATE)


def claim(limit: int = 20) -> list[Delivery]:
    """Claim up to `limit` due immediate deliveries for this worker."""
    now = timezone.now()
    until = now + LEASE
    with transaction.atomic():
        if connection.vendor == "postgresql":
            rows = list(
                Delivery.objects.select_for_update(skip_locked=True)
                .filter(_due_filter(now))
                .order_by("next_attempt_at", "pk")[:limit]
            )
            Delivery.objects.filter(pk__in=[r.pk for r in rows]).update(
                status=Delivery.Status.SENDING, claimed_until=until
            )
            ids = [r.pk for r in rows]
        else:
            candidates = list(
                Delivery.objects.filter(_due_filter(now))
                .order_by("next_attempt_at", "pk")
                .values_list("pk", "status", "claimed_until")[:limit]
            )
            ids = []
            for pk, status, claimed in candidates:
                # Conditional: only if no other worker claimed it meanwhile.
                won = Delivery.objects.filter(pk=pk, status=status, claimed_until=claimed).update(
                    status=Delivery.Status.SENDING, claimed_until=until
                )
                if won:
                    ids.append(pk)
    return list(Delivery.objects.filter(pk__in=ids).select_related("recipient"))


def inbox_url() -> str:
    return settings.BASE_URL.rstrip("/") + reverse("notifications:inbox")


def compose(user: User, counted: Counter[str], key: str, digest: bool = False) -> EmailMessage:
    """A plain-text message naming only kinds of notice and the inbox link."""
    with translation.override(user.language):
        if digest:
            subject = _("Tsunagu: your daily summary of notices")
        else:
            subject = _("Tsunagu: %(kind)s") % {"kind": kinds.LABELS[next(iter(counted))]}
        lines = [_("You have something to see in Tsunagu:"), ""]
        for kind, n in sorted(counted.items()):
            lines.append(f"- {kinds.LABELS[kind]} ({n})" if digest else f"- {kinds.LABELS[kind]}")
        lines += ["", _("Sign in to see it:"), inbox_url(), ""]
        lines.append(_("This message holds no details by design. Do not reply to it."))
        body = "\n".join(lines) + "\n"
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={"Message-ID": f"<{key}@{settings.NOTIFY_MESSAGE_DOMAIN}>"},
    )
    message.content_subtype = "plain"
    return message


def _record(delivery_ids: list[int], error: str, attempts_before: int) -> None:
    """Store the outcome of one try of these deliveries (all in one message)."""
    now = timezone.now()
    with transaction.atomic():
        for pk in delivery_ids:
            Attempt.objects.create(delivery_id=pk, ok=not error, error=error[:300])
        rows = Delivery.objects.filter(pk__in=delivery_ids)
        if not error:
            rows.update(
                status=Delivery.Status.SENT,
                sent_at=now,
                attempts=attempts_before + 1,
                last_error="",
                claimed_until=None,
            )
            # A message got through: the address works (again).
            MailSettings.objects.filter(
                user_id__in=rows.values("recipient_id"), failing_since__isnull=False
            ).update(failing_since=None)
            return
        attempts = attempts_before + 1
        if attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            rows.update(
                status=Delivery.Status.FAILED,
                attempts=attempts,
                last_error=error[:300],
                claimed_until=None,
            )
            user_ids = rows.values_list("recipient_id", flat=True).distinct()
            for uid in user_ids:
                settings_row, _created = MailSettings.objects.get_or_create(user_id=uid)
                if settings_row.failing_since is None:
                    settings_row.failing_since = now
                    settings_row.save(update_fields=["failing_since"])
        else:
            rows.update(
                status=Delivery.Status.PENDING,
                attempts=attempts,
                last_error=error[:300],
                next_attempt_at=now + backoff(attempts),
                claimed_until=None,
            )


def _send(message: EmailMessage) -> str:
    """Send one message; the error text (no content) or "" when accepted."""
    try:
        with get_connection(fail_silently=False, timeout=settings.NOTIFY_SMTP_TIMEOUT) as conn:
            conn.send_messages([message])
    except Exception as exc:  # noqa: BLE001 (any transport failure is retried)
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return ""


def in_sight(user: User, deliveries: list[Delivery]) -> list[Delivery]:
    """The deliveries whose notice `user` still sees (the inbox's own rule); the
    others are withdrawn unsent, since even the kind of notice would tell the user
    of an item they can no longer see (a referral of a clinic they left)."""
    notice_ids = [d.notice_id for d in deliveries if d.notice_id is not None]
    visible = set(
        Notice.objects.visible_to(user).filter(pk__in=notice_ids).values_list("pk", flat=True)
    )
    keep = [d for d in deliveries if d.notice_id is None or d.notice_id in visible]
    gone = [d.pk for d in deliveries if d not in keep]
    if gone:
        Delivery.objects.filter(pk__in=gone).update(
            status=Delivery.Status.WITHDRAWN, claimed_until=None
        )
    return keep


def deliver(delivery: Delivery) -> bool:
    user = delivery.recipient
    if not user.email or not user.is_active:
        _record([delivery.pk], "no address", settings.NOTIFY_MAX_ATTEMPTS)
        return False
    if not in_sight(user, [delivery]):
        return False
    message = compose(user, Counter({delivery.kind: 1}), delivery.delivery_key)
    error = _send(message)
    _record([delivery.pk], error, delivery.attempts)
    if error:
        log.warning("delivery %s failed: %s", delivery.pk, error)
    return not error


def run_once(limit: int = 20) -> int:
    """Claim and send what is due now; the number of messages accepted."""
    sent = 0
    for delivery in claim(limit):
        sent += deliver(delivery)
    return sent


def send_digests(day: dt.date | None = None) -> int:
    """One message per user gathering their digest notices created up to the end
    of `day` (Japan time) and not yet sent; idempotent per user and day."""
    day = day or timezone.localdate()
    end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
    now = timezone.now()
    sent = 0
    users = (
        Delivery.objects.filter(mode=kinds.DIGEST, created__lt=end)
        .filter(_waiting(now))
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    for uid in list(users):
        with transaction.atomic():
            rows = list(
                Delivery.objects.select_for_update()
                .filter(recipient_id=uid, mode=kinds.DIGEST, created__lt=end)
                .filter(_waiting(now))
                .order_by("pk")
            )
            if not rows:
                continue
            Delivery.objects.filter(pk__in=[r.pk for r in rows]).update(
                status=Delivery.Status.SENDING, claimed_until=now + LEASE
            )
        user = User.objects.get(pk=uid)
        if not user.email:
            _record([r.pk for r in rows], "no address", settings.NOTIFY_MAX_ATTEMPTS)
            continue
        rows = in_sight(user, rows)
        if not rows:
            continue
        ids = [r.pk for r in rows]
        attempts = max(r.attempts for r in rows)
        key = f"digest{uid}-{day.isoformat()}-{rows[0].pk}"
        error = _send(compose(user, Counter(r.kind for r in rows), key, digest=True))
        _record(ids, error, attempts)
        sent += not error
    return sent


def run_forever(poll_seconds: float = 5.0, stop_after: int | None = None) -> None:
    """The worker loop (`tsunagu worker`): immediate deliveries, and the digests
    once a day after NOTIFY_DIGEST_HOUR (Japan time)."""
    loops = 0
    while stop_after is None or loops < stop_after:
        loops += 1
        try:
            run_once()
            now = timezone.localtime()
            if now.hour >= settings.NOTIFY_DIGEST_HOUR:
                send_digests(now.date() - dt.timedelta(days=1))
        except Exception:  # a database restart must not end the worker
            log.exception("notification worker pass failed; retrying")
            close_old_connections()
        time.sleep(poll_seconds)
