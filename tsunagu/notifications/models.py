"""Notices (the in-app inbox), their email deliveries (the outbox) and preferences.

A notice and its delivery row are written in the transaction of the event that
causes them (`outbox.notify`), so a rolled-back write sends nothing and a
committed one loses nothing. Neither holds content beyond the notice's kind.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tsunagu.notifications import kinds, targets


class NoticeQuerySet(models.QuerySet["Notice"]):
    def visible_to(self, user: Any) -> NoticeQuerySet:
        """A user sees only their own notices, and of those only the ones whose item
        they can still see (the item's own `visible_to`): a clinician who left the
        clinic, an officer moved to another prefecture no longer see its notices.
        One query with a correlated EXISTS per kind of item: no query per notice."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient_id=user.pk).filter(targets.still_visible(user))


class Notice(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notices",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=kinds.CHOICES)
    # A path inside the app; the page behind it checks sign-in and scope.
    link = models.CharField(_("link"), max_length=200, blank=True)
    # The item the notice is about (`targets.TARGETS`), if any: while the
    # recipient can no longer see it, the notice is neither listed nor counted.
    target_type = models.CharField(max_length=16, blank=True, choices=targets.CHOICES)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    # Idempotence of periodic notices: one notice per recipient and key.
    key = models.CharField(max_length=120)
    created = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("notice")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notice_once_per_key"),
        ]
        indexes = [
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notice_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"


class Delivery(models.Model):
    """One email to send: a notice at once, or a user's digest of a day."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        # Not sent: by the time of sending, the user could no longer see the item.
        WITHDRAWN = "withdrawn", _("withdrawn")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("recipient"),
    )
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(_("kind"), max_length=32)
    mode = models.CharField(_("mode"), max_length=16)
    # The Message-ID of the email and the guard against sending twice.
    delivery_key = models.CharField(_("delivery key"), max_length=160, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("email delivery")
        verbose_name_plural = _("email deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return self.delivery_key


class Attempt(models.Model):
    """Each try of a delivery: when, and the error if it failed."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField(default=False)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {'ok' if self.ok else 'failed'}"


class Preference(models.Model):
    """A user's choice, per kind, between inbox only, email at once and a digest."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preferences"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=kinds.CHOICES)
    mode = models.CharField(
        _("mode"), max_length=16, choices=list(kinds.MODE_LABELS.items()), default=kinds.INBOX
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="preference_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.mode}"


class MailSettings(models.Model):
    """Whether a user's address is failing. (The language of their email is the
    account's, `User.language`.)"""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_settings"
    )
    failing_since = models.DateTimeField(_("address failing since"), null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id} (failing since {self.failing_since})"
