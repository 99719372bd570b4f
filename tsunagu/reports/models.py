"""The release log: every public-release download, who made it and what it held."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tsunagu.core.models import Region, User


class ReleaseLogQuerySet(models.QuerySet["ReleaseLog"]):
    def visible_to(self, user: Any) -> ReleaseLogQuerySet:
        """Supervisors see their prefecture's releases, analysts the national ones and
        every prefecture's; nobody else any."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_analyst:
            return self.all()
        if user.is_supervisor and user.prefecture_id:
            return self.filter(prefecture_id=user.prefecture_id)
        return self.none()


class ReleaseLog(models.Model):
    """A published table (public release mode): who, when, with which parameters,
    and the SHA-256 of the exact file handed out, so a copy found later can be
    matched to its release."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    # The prefecture the release covers for a supervisor; empty for a national one.
    prefecture = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("prefecture"),
    )
    report = models.CharField(_("report"), max_length=32)
    format = models.CharField(_("format"), max_length=8)
    parameters = models.JSONField(_("parameters"), default=dict)
    threshold = models.PositiveSmallIntegerField(_("threshold"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size in bytes"))

    objects = ReleaseLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("release")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.report}.{self.format}"


class DataVersion(models.Model):
    """How many times a prefecture's case data changed: the key of the report cache.

    Database triggers (migration `0002_data_version_counters`) add one in the same
    transaction as every insert, update or delete of a case, event or person of
    the prefecture, whatever writes it (a service, an import, a restore), so a
    cached report is never served for data it did not count. Reports are cached
    on these numbers, never on time.
    """

    prefecture_id = models.IntegerField(primary_key=True)
    n = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefecture_id}: {self.n}"
