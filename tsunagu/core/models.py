"""Organisation tree, users and roles, versioned code tables, and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language, pgettext_lazy
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
    clinicians to a clinic (declared by the treatment app, `treatment.ClinicStaff`),
    analysts to the nation; administrators see no case data.
    """

    role = models.CharField(pgettext_lazy("account", "role"), max_length=16, choices=Role.choices)
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name=_("region"),
    )
    session_generation = models.PositiveIntegerField(
        _("session generation"),
        default=0,
        help_text=_("Raised to end every session of the account."),
    )
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_("The password was set by someone else: change it at the next sign-in."),
    )
    # The account's language: email to the user is written in it. The pages
    # follow the language switch of the browser (a cookie), not this.
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="ja",
        help_text=_("The language of email to this account."),
    )

    class Meta:
        verbose_name = _("user")

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django keeps a session only while this hash matches the one stored in it.

        Mixing in `session_generation` lets a service end every session of the
        account (disabled, re-placed, "sign out everywhere") by raising a counter;
        re-enabling the account does not lower it, so old sessions stay dead.
        """
        return salted_hmac(
            "tsunagu.core.models.User.session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_full_name(self) -> str:
        """Family name first, as Japanese names are written (Django's default is the
        Western order)."""
        return f"{self.last_name} {self.first_name}".strip()

    @property
    def display_name(self) -> str:
        """How a person is named on every page and download meant for people: family
        name first, the login id only when the account has no name."""
        return self.get_full_name() or self.username

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


class PendingAccountChangeQuerySet(models.QuerySet["PendingAccountChange"]):
    def visible_to(self, user: Any) -> PendingAccountChangeQuerySet:
        """Supervisors see their prefecture's requests; administrators see every
        request (account data only, never case data) so they can follow their own."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_supervisor and user.prefecture_id:
            return self.filter(prefecture_id=user.prefecture_id)
        if user.is_admin:
            return self.all()
        return self.none()


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

    @staticmethod
    def label_field() -> str:
        """The column holding the label in the active language."""
        return "label_en" if (get_language() or "ja").startswith("en") else "label_ja"

    @property
    def label(self) -> str:
        return str(getattr(self, self.label_field()))


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

    Append-only: the database refuses updates, deletes and (PostgreSQL) TRUNCATE
    (triggers in the migrations), and the app's role is not granted them.
    Tamper-evident: `seq` numbers the events 1, 2, 3, … and `mac` is an HMAC over
    the event's content and the previous event's `mac` (core/audit.py), under a
    key held outside the database; `tsunagu audit verify` recomputes the chain.
    Never holds plaintext victim data, only field names.
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
    seq = models.BigIntegerField(null=True, unique=True, editable=False)
    mac = models.CharField(max_length=96, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        indexes = [
            # The supervisor's audit page: one prefecture, newest first, then filters.
            models.Index(fields=["prefecture", "-at", "-id"], name="audit_pref_at"),
            models.Index(fields=["prefecture", "action", "-at"], name="audit_pref_action_at"),
            models.Index(fields=["actor", "-at"], name="audit_actor_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class AuditChainHead(models.Model):
    """The last link of the audit chain: one row, locked while an event is appended.

    Appending reads and moves this row under `select_for_update`, so two writers
    can never chain to the same predecessor (SQLite serialises writers anyway).
    """

    seq = models.BigIntegerField(default=0)
    mac = models.CharField(max_length=96, blank=True)

    def __str__(self) -> str:
        return f"audit chain head {self.seq}"


class PendingAccountChange(models.Model):
    """A change to an account that waits for a second person (separation of duties).

    The requested values are held here and applied only on approval. Approvers:
    a supervisor of the prefecture the account belongs to (after the change; for
    a clinic's account, the clinic's prefecture), or a second administrator for
    national accounts (administrators, analysts). Nobody approves a change to their
    own account or a change they requested. A password reset holds no password:
    on approval a temporary one is generated and shown once to the approver, so
    the person who asked never learns a working password.
    """

    class Kind(models.TextChoices):
        CREATE = "create", _("New account")
        UPDATE = "update", _("Change of role or place")
        PASSWORD = "password", _("Password reset")
        ACTIVATE = "activate", _("Re-enabling")
        RESET_SECOND_FACTOR = "reset_second_factor", _("Second factor reset")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", pgettext_lazy("account change", "Rejected")
        SUPERSEDED = "superseded", _("Superseded")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="pending_changes", verbose_name=_("account")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    values = models.JSONField(_("requested values"), default=dict, blank=True)
    prefecture = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("prefecture"),
        help_text=_("Whose supervisors approve; empty: a second administrator approves."),
    )
    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = PendingAccountChangeQuerySet.as_manager()

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("pending account change")
        indexes = [models.Index(fields=["status", "prefecture"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.user_id} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    def may_decide(self, user: User) -> bool:
        """Whether `user` may approve or reject: the right approver, not the account
        itself, not the one who asked."""
        if user.pk in (self.user_id, self.requested_by_id) or not user.is_active:
            return False
        if self.prefecture_id is None:
            return user.is_admin
        return user.is_supervisor and user.prefecture_id == self.prefecture_id


# Personal access tokens for the API (their own module; a model of this app).
from tsunagu.core.tokens import AccessToken  # noqa: E402, F401
