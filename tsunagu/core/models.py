"""Organisation tree, users and roles, versioned code tables, and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A node of the organisation tree: nation → prefecture → police station.

    Users belong to a node; case data belongs to a prefecture. Prefecture codes
    are JIS X 0401 ("01" Hokkaido … "47" Okinawa).
    """

    class Kind(models.TextChoices):
        NATION = "nation", _("Nation")
        PREFECTURE = "prefecture", _("Prefecture")
        STATION = "station", _("Police station")

    code = models.CharField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name_ja = models.CharField(_("name (Japanese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "ja").startswith("en") else self.name_ja

    @property
    def prefecture(self) -> Region | None:
        """The prefecture this node is in (itself for a prefecture)."""
        if self.kind == self.Kind.PREFECTURE:
            return self
        if self.kind == self.Kind.STATION:
            return self.parent
        return None


class Role(models.TextChoices):
    OFFICER = "officer", _("Officer")
    SUPERVISOR = "supervisor", _("Supervisor")
    CLINICIAN = "clinician", _("Clinician")
    ANALYST = "analyst", _("Analyst")
    ADMIN = "admin", _("Administrator")


class User(AbstractUser):
    """A person who signs in. The role decides what they may see (DESIGN §1).

    Officers and supervisors belong to a prefecture or one of its stations,
    clinicians to a clinic, analysts to the nation; administrators see no case data.
    """

    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name=_("region"),
    )
    clinic = models.ForeignKey(
        "treatment.Clinic",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("clinic"),
    )

    class Meta:
        verbose_name = _("user")

    @property
    def is_police(self) -> bool:
        return self.role in (Role.OFFICER, Role.SUPERVISOR)

    @property
    def is_supervisor(self) -> bool:
        return self.role == Role.SUPERVISOR

    @property
    def is_clinician(self) -> bool:
        return self.role == Role.CLINICIAN

    @property
    def is_analyst(self) -> bool:
        return self.role == Role.ANALYST

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def prefecture(self) -> Region | None:
        """The prefecture whose data a police user works on."""
        if self.is_police and self.region is not None:
            return self.region.prefecture
        return None

    @property
    def prefecture_id(self) -> int | None:
        pref = self.prefecture
        return pref.pk if pref else None


class CodeQuerySet(models.QuerySet["Code"]):
    def valid_on(self, table: str, day: dt.date | None = None) -> CodeQuerySet:
        day = day or timezone.localdate()
        return self.filter(table=table, valid_from__lte=day).filter(
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=day)
        )


class Code(models.Model):
    """A versioned category (relationship, rejection reason, measure kind…).

    The NPA's categories change between years, so each code has a validity period;
    forms offer the codes valid on the event's date, old data keeps its codes.
    """

    table = models.CharField(_("table"), max_length=32)
    code = models.CharField(_("code"), max_length=32)
    label_ja = models.CharField(_("label (Japanese)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100)
    valid_from = models.DateField(_("valid from"), default=dt.date(2000, 1, 1))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    sort = models.PositiveSmallIntegerField(default=0)

    objects = CodeQuerySet.as_manager()

    class Meta:
        ordering = ["table", "sort", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["table", "code", "valid_from"], name="code_unique_version"
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_en if (get_language() or "ja").startswith("en") else self.label_ja


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def visible_to(self, user: Any) -> AuditEventQuerySet:
        """Supervisors see their prefecture's log; admins see non-case events."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_supervisor and user.prefecture_id:
            return self.filter(prefecture_id=user.prefecture_id)
        if user.is_admin:
            # Separation of duties: administrators see account events only.
            return self.filter(prefecture__isnull=True, action__startswith="user.")
        return self.none()


class AuditEvent(models.Model):
    """One audited action: who, when, what, on which object, and why.

    Append-only: the database refuses updates and deletes (triggers in the
    migration). Never holds plaintext victim data, only field names.
    """

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("user"),
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    prefecture = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("prefecture"),
    )
    object_type = models.CharField(_("object type"), max_length=32, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        # The audit log's order within a prefecture (or none: the account events).
        indexes = [models.Index(fields=["prefecture", "-at", "-id"], name="audit_log_order")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
