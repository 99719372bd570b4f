"""Personal access tokens for scripts: `Authorization: Bearer tsu_…`.

A token belongs to one user, reads (`read`) or also writes (`write`), and ends
at `expires_at` (default 90 days). Only the SHA-256 of its random secret is
stored: the secret is shown once, when it is made. A revoked or expired token,
or one of an inactive user, is refused (401). A token reaches exactly what its
user reaches: the API reads `request.user`, scoped by `visible_to` as for a
session. Every use is audited (`token.use`), as are creation and revocation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PREFIX = "tsu_"
DEFAULT_DAYS = 90
MAX_DAYS = 365
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class AccessToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", gettext_lazy("Read")
        WRITE = "write", gettext_lazy("Read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens"
    )
    name = models.CharField(gettext_lazy("name"), max_length=100)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.READ)
    # The first characters of the secret, to tell tokens apart in the list.
    hint = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "core"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(
    *, actor: Any, name: str, scope: str, days: int = DEFAULT_DAYS
) -> tuple[AccessToken, str]:
    """A new token of `actor` and its secret (shown once, never stored)."""
    from tsunagu.core.audit import audit

    secret = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = AccessToken.objects.create(
            user=actor,
            name=name,
            scope=scope,
            hint=secret[: len(PREFIX) + 6],
            key_hash=digest(secret),
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        audit(
            actor=actor,
            action="token.create",
            obj=token,
            prefecture=actor.prefecture_id,
            scope=scope,
            days=days,
        )
    return token, secret


def revoke(*, actor: Any, token: AccessToken) -> None:
    from tsunagu.core.audit import audit

    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit(actor=actor, action="token.revoke", obj=token, prefecture=actor.prefecture_id)


def authenticate(request: HttpRequest, secret: str) -> Any:
    """The token's user (also set as `request.user`), or a 401/403 HttpError."""
    from ninja.errors import HttpError

    from tsunagu.core.audit import audit

    token = (
        AccessToken.objects.select_related("user", "user__region")
        .filter(key_hash=digest(secret.strip()))
        .first()
    )
    now = timezone.now()
    if token is None or not token.active or not token.user.is_active:
        raise HttpError(401, _("The access token is unknown, revoked or expired."))
    if token.scope != AccessToken.Scope.WRITE and request.method not in SAFE_METHODS:
        raise HttpError(403, _("This access token may only read."))
    with transaction.atomic():
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        audit(
            actor=token.user,
            action="token.use",
            obj=token,
            prefecture=token.user.prefecture_id,
            method=request.method,
            path=request.path[:200],
        )
    request.user = token.user
    # Marks the request as a token's: no session step-up counts for it (core.stepup).
    request.access_token = token  # type: ignore[attr-defined]
    return token.user
