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


class ProgrammeVersion(models.Model):
    """How many times the part of a prefecture's data that the programme report reads
    changed: its advice episodes' events (`programme.VERSIONED_TYPES`: the
    classifying events, corrections, risk assessments) and the moving or deleting
    of a case. Kept by database triggers (migration `0004_programme_version`) like
    `DataVersion`, but a warning or a consultation does not change it: the
    programme report stays cached while officers record measures all day.
    """

    prefecture_id = models.IntegerField(primary_key=True)
    n = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefecture_id}: {self.n}"


class AnnualCount(models.Model):
    """The annual statistics' rollup: how many consultations (cases opened) and how
    many events of each counted measure (arrests by kind) a prefecture had in a month.

    Counted from the events (`reports/rollup.py`), never added to: a write marks its
    (prefecture, month) cell stale (`AnnualStale`, database triggers), and the next
    report recounts the stale cells. Corrections are applied when the report reads
    the rollup, not stored in it.
    """

    prefecture_id = models.IntegerField()
    month = models.IntegerField()  # year * 100 + month
    kind = models.CharField(max_length=40)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["prefecture_id", "month", "kind"], name="annual_count_cell_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefecture_id} {self.month} {self.kind}: {self.n}"


class AnnualStale(models.Model):
    """A (prefecture, month) cell of the rollup that writes changed since it was counted.

    Database triggers (migrations `0003_annual_rollup`, `0005_annual_people_version`)
    add one to `n` in the same transaction as every insert or delete of a case,
    every change of a case's opening date or prefecture, and every insert, update
    or delete of a counted event of the cell, whatever writes it. The cell is stale while `n > done`; a recount
    stores its figures and sets `done` to the `n` it read before counting, only if
    `n` has not moved meanwhile (so a write committed during a recount is never lost).
    """

    prefecture_id = models.IntegerField()
    month = models.IntegerField()  # year * 100 + month
    n = models.BigIntegerField(default=0)
    done = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefecture_id", "month"], name="annual_stale_cell")
        ]

    def __str__(self) -> str:
        return f"{self.prefecture_id} {self.month}: {self.n} ({self.done} counted)"


class AnnualPeopleVersion(models.Model):
    """How many times the cases a prefecture opened in a month, or their people,
    were written: the version of the annual statistics' relationship and people
    counts of that month's cases (`annual.year_parts`).

    Database triggers (migration `0005_annual_people_version`) add one to `n` in
    the same transaction as every insert or delete of a case, every update of a
    case's opening date, prefecture or relationship, and every insert, delete or
    update (case, role, sex, age) of a person, whoever writes. A year's part of a
    prefecture is cached on the sum of its months' counters: events, and the
    cases' other columns, leave it standing.
    """

    prefecture_id = models.IntegerField()
    month = models.IntegerField()  # year * 100 + month of the cases' opening
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["prefecture_id", "month"], name="annual_people_version_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefecture_id} {self.month}: {self.n}"
