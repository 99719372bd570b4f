"""Cases (ストーカー事案), the people in them, and the timeline of dated events."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tsunagu.cases import timeline
from tsunagu.core.fields import EncryptedTextField, new_ref
from tsunagu.core.models import Region, User

RELATIONSHIPS = (
    "partner_or_ex",
    "spouse_or_ex",
    "acquaintance",
    "workplace",
    "stranger",
    "other",
    "unknown",
)
SEXES = ("male", "female", "other", "unknown")


def case_scope(user: Any, path: str = "", **case: Any) -> models.Q | None:
    """The rule of `visible_to` as a condition on the case at `path` ("" for the
    case itself, "case__" for a row of a case): police of the case's prefecture
    only (DESIGN §1). None when `user` may see no case at all. `case` adds
    conditions on the case itself (`is_open=True`, `station_id=…`).

    A row of a case is kept when its case satisfies the rule: a correlated
    EXISTS on the case's primary key, so the database starts from the (often
    small) table asked about and looks each row's case up. Not
    `case__in=<visible cases>` (SQLite builds the whole list of a prefecture's case
    ids first) nor a join (without statistics on a new, empty table, SQLite
    starts from the prefecture's cases and probes the table once per case: 23,000
    probes for Tokyo on every home page).
    """
    if not getattr(user, "is_authenticated", False):
        return None
    if not (user.is_police and user.prefecture_id):
        return None
    if not path:
        return models.Q(prefecture_id=user.prefecture_id, **case)
    cases = Case.objects.filter(
        pk=models.OuterRef(path.removesuffix("__")), prefecture_id=user.prefecture_id, **case
    )
    return models.Q(models.Exists(cases))


def statistics_prefectures(user: Any) -> list[int] | None:
    """The prefectures whose cases `user`'s reports count (`for_statistics`):
    None for every prefecture (analysts), their own for police, none for anyone
    else. Always whole prefectures, so a figure counted over one prefecture is
    the same for everyone who may see it (reports cache it per prefecture)."""
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_analyst:
        return None
    if user.is_police and user.prefecture_id:
        return [user.prefecture_id]
    return []


class CaseQuerySet(models.QuerySet["Case"]):
    def visible_to(self, user: Any) -> CaseQuerySet:
        """Case files: police of the case's prefecture only (DESIGN §1)."""
        scope = case_scope(user)
        return self.none() if scope is None else self.filter(scope)

    def retention_due(self, cutoff: Any) -> CaseQuerySet:
        """Closed cases last closed before `cutoff`, not yet anonymised (core/retention.py)."""
        closed = (
            Event.objects.filter(case=models.OuterRef("pk"), type="case_closed")
            .order_by("-date")
            .values("date")[:1]
        )
        return (
            self.filter(is_open=False, anonymised_at__isnull=True)
            .annotate(closed_on=models.Subquery(closed))
            .filter(closed_on__lt=cutoff)
        )

    def for_statistics(self, user: Any) -> CaseQuerySet:
        """Cases counted in reports: the prefecture's for police, all for analysts.

        Analysts get figures and de-identified lists only; the callers must never
        show them personal fields or free text.
        """
        prefectures = statistics_prefectures(user)
        if prefectures is None:
            return self.all()
        if len(prefectures) == 1:
            return self.filter(prefecture_id=prefectures[0])
        return self.none()


class Case(models.Model):
    """A stalking case, opened on the first consultation, owned by a prefecture.

    The state (open, latest measure, episodes) is derived from the events;
    `is_open` and `latest_measure*` are a cache of that derivation kept by the
    services so that lists can filter 250k cases without reading every timeline.
    """

    AUDIT_READS = True  # opening one (page or API) is audited: core/access_audit.py
    RETENTION_ANCHOR = True  # anonymised when closed long ago: core/retention.py
    prefecture = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="cases", verbose_name=_("prefecture")
    )
    station = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="station_cases",
        verbose_name=_("police station"),
    )
    ref = models.CharField(_("case reference"), max_length=64)
    opened_on = models.DateField(_("opened on"))
    relationship = models.CharField(_("relationship"), max_length=32, default="unknown")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_open = models.BooleanField(_("open"), default=True)
    latest_measure = models.CharField(_("latest measure"), max_length=32, blank=True)
    latest_measure_on = models.DateField(_("latest measure on"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_on", "-id"]
        verbose_name = _("case")
        constraints = [
            models.UniqueConstraint(
                fields=["prefecture", "ref"], name="case_ref_unique_in_prefecture"
            )
        ]
        indexes = [
            models.Index(fields=["prefecture", "is_open", "opened_on"]),
            # The case list's order, and the officer home page's open cases by latest measure.
            models.Index(fields=["prefecture", "-opened_on", "-id"], name="case_list_order"),
            models.Index(
                fields=["prefecture", "-latest_measure_on", "-opened_on", "-id"],
                condition=models.Q(is_open=True),
                name="case_open_by_latest_measure",
            ),
        ]

    def __str__(self) -> str:
        return self.ref

    def timeline_events(self) -> list[timeline.Ev]:
        return [ev.as_ev() for ev in self.events.all()]

    def state(self, as_of: Any = None) -> timeline.CaseState:
        return timeline.case_state(self.timeline_events(), as_of)


class PersonQuerySet(models.QuerySet["Person"]):
    def visible_to(self, user: Any) -> PersonQuerySet:
        return self.filter(case__in=Case.objects.visible_to(user))


class Person(models.Model):
    """An offender or a victim of a case. Names and contact are encrypted at rest.

    A victim's address, phone, workplace and whereabouts are shown only after a
    reasoned, audited reveal (services.victim_reveal).
    """

    class Role(models.TextChoices):
        OFFENDER = "offender", _("Offender")
        VICTIM = "victim", _("Victim")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="people")
    role = models.CharField(pgettext_lazy("person", "role"), max_length=16, choices=Role.choices)
    name = EncryptedTextField(pgettext_lazy("person", "name"), blank=True)
    sex = models.CharField(_("sex"), max_length=16, default="unknown")
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True)
    address = EncryptedTextField(pgettext_lazy("person", "address"), blank=True)
    phone = EncryptedTextField(pgettext_lazy("person", "phone"), blank=True)
    workplace = EncryptedTextField(_("workplace"), blank=True)
    # Binds the encrypted fields to this row (core/fields.py); random, never shown.
    key_ref = models.CharField(max_length=32, default=new_ref, editable=False)

    objects = PersonQuerySet.as_manager()

    # Fields that stay masked until revealed, for a victim.
    PROTECTED_FIELDS = ("name", "address", "phone", "workplace")
    RETENTION_CLEAR, RETENTION_LINK = PROTECTED_FIELDS, "case"  # core/retention.py

    class Meta:
        ordering = ["case_id", "role", "id"]
        verbose_name = _("person")

    def __str__(self) -> str:
        return f"{self.get_role_display()} #{self.pk}"


class EventQuerySet(models.QuerySet["Event"]):
    def visible_to(self, user: Any) -> EventQuerySet:
        return self.filter(case__in=Case.objects.visible_to(user))

    def in_timeline_order(self) -> EventQuerySet:
        return self.order_by("date", "rank", "id")


class Event(models.Model):
    """A dated event on a case's timeline: the source of truth for every state.

    An event is identified by its case, date, type and detail (DESIGN §3), so the
    same row imported twice is one event. Nothing is edited: a mistake is voided
    by a `correction` event.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    date = models.DateField(_("date"))
    type = models.CharField(_("type"), max_length=40)
    # The tie-break order of types on one date, stored so the database can sort by it.
    rank = models.PositiveSmallIntegerField(default=0)
    detail = models.TextField(_("detail"), blank=True, default="")
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["date", "rank", "id"]
        verbose_name = _("event")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "date", "type", "detail"], name="event_identity"
            )
        ]
        indexes = [
            # (type, date) ranges; with the case, the case list's "had a measure" filter
            # reads the case ids from the index alone.
            models.Index(fields=["type", "date", "case"], name="event_type_date_case"),
            models.Index(fields=["case", "date", "rank"]),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.type}"

    def as_ev(self) -> timeline.Ev:
        return timeline.Ev(self.date, self.type, self.detail, self.pk or 0)
