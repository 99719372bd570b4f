"""Cooperating clinics (協力医療機関) and the referral loop."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from tsunagu.cases.models import case_scope
from tsunagu.core.models import Region, User

# Bounds the web form and the API share (the database would take more, or fail).
MAX_MONTHLY_CAPACITY = 10000
FEE_NOTES_MAX_LENGTH = 2000
SUMMARY_MAX_LENGTH = 4000


class ClinicQuerySet(models.QuerySet["Clinic"]):
    def visible_to(self, user: Any) -> ClinicQuerySet:
        """Police see their prefecture's clinics; clinicians their own clinic."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_police and user.prefecture_id:
            return self.filter(prefecture_id=user.prefecture_id)
        if user.is_clinician:
            return self.filter(staff__user_id=user.pk)
        return self.none()

    def with_load(self, day: dt.date | None = None) -> ClinicQuerySet:
        """Annotate `load`: referrals sent to the clinic in the month of `day`."""
        day = day or timezone.localdate()
        start = day.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        return self.annotate(
            load=models.Count(
                "referrals",
                filter=models.Q(referrals__sent_on__gte=start, referrals__sent_on__lt=end),
            )
        )


# Languages a clinic sees patients in, by ISO 639-1 code (the directory stores codes).
LANGUAGE_LABELS = {
    "ja": _("Japanese"),
    "en": _("English"),
    "zh": _("Chinese"),
    "ko": _("Korean"),
    "pt": _("Portuguese"),
    "es": _("Spanish"),
    "vi": _("Vietnamese"),
    "tl": _("Tagalog"),
    "ne": _("Nepali"),
    "id": _("Indonesian"),
    "th": _("Thai"),
    "fr": _("French"),
    "ru": _("Russian"),
}


class Clinic(models.Model):
    """A cooperating medical institution that takes referrals in one prefecture."""

    class Kind(models.TextChoices):
        HOSPITAL = "hospital", _("Psychiatric hospital")
        CLINIC = "clinic", _("Clinic")
        COUNSELLING = "counselling", _("Counselling office")

    code = models.CharField(_("clinic code"), max_length=32, unique=True)
    prefecture = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="clinics", verbose_name=_("prefecture")
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CLINIC)
    specialties = models.CharField(_("specialties"), max_length=300, blank=True)
    address = models.CharField(pgettext_lazy("clinic", "address"), max_length=300, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=100, blank=True)
    phone = models.CharField(pgettext_lazy("clinic", "phone"), max_length=40, blank=True)
    languages = models.CharField(_("languages"), max_length=100, blank=True, default="ja")
    fee_notes = models.TextField(_("fee notes"), blank=True)
    monthly_capacity = models.PositiveIntegerField(_("new referrals per month"), default=4)
    accepting = models.BooleanField(_("accepting referrals"), default=True)
    nearest_stations = models.ManyToManyField(
        Region, blank=True, related_name="nearby_clinics", verbose_name=_("nearest stations")
    )

    objects = ClinicQuerySet.as_manager()

    class Meta:
        ordering = ["prefecture__code", "name"]
        verbose_name = _("clinic")

    def __str__(self) -> str:
        return self.name

    @property
    def language_names(self) -> str:
        """The languages as names in the user's language (「日本語、英語」), not codes."""
        names = []
        for code in (c.strip().lower() for c in self.languages.split(",")):
            if code:
                names.append(str(LANGUAGE_LABELS.get(code, code)))
        return (", " if (get_language() or "ja").startswith("en") else "、").join(names)

    @property
    def has_room(self) -> bool:
        """Accepting and under capacity this month (on a queryset `with_load`)."""
        load = getattr(self, "load", 0)
        return self.accepting and load < self.monthly_capacity


class ReferralQuerySet(models.QuerySet["Referral"]):
    def visible_to(self, user: Any) -> ReferralQuerySet:
        """Clinicians see their clinic's referrals; police their prefecture's."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_police and user.prefecture_id:
            return self.filter(case__prefecture_id=user.prefecture_id)
        if user.is_clinician:
            return self.filter(clinic__staff__user_id=user.pk)
        return self.none()


class Referral(models.Model):
    """A referral of an advice episode's offender to a clinic: what the clinic is given.

    The timeline holds the referral's history (`referral_sent` and the clinic's
    events); this row holds what the timeline's short details cannot: the summary
    the officer wrote for the clinic and who sent it. It is the object clinicians
    are scoped by.

    `stage`, `police_stage` and `is_current` are a cache of what the timeline
    derives (`derive.referral_stages`), written only by `loop.referral_refresh`, so
    that lists filter and count in SQL; a page derives the same from the events.
    """

    AUDIT_READS = True  # opening one (page or API) is audited: core/access_audit.py
    RETENTION_CLEAR, RETENTION_LINK = ("summary",), "case"  # free text: core/retention.py
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="referrals", verbose_name=_("case")
    )
    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("clinic")
    )
    advised_on = models.DateField(_("advised on"))
    sent_on = models.DateField(_("sent on"))
    answer_due = models.DateField(_("answer due"))
    summary = models.TextField(_("summary for the clinic"))
    sent_by = models.ForeignKey(
        User, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("sent by")
    )
    stage = models.CharField(_("stage"), max_length=32, default="sent")
    # The stage as the police see it: "consent_withdrawn" while the clinic-to-police
    # consent stands withdrawn, else the stage from the events they may see.
    police_stage = models.CharField(_("stage shown to the police"), max_length=32, default="sent")
    # Not replaced by a later referral or a later advice episode.
    is_current = models.BooleanField(default=True)
    # The clinic answered the police's latest request to contact them on this date.
    contact_answered_on = models.DateField(_("contacted the police on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_on", "-id"]
        verbose_name = _("referral")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "clinic", "sent_on"], name="referral_unique_per_day"
            )
        ]
        indexes = [
            models.Index(fields=["clinic", "stage"]),
            models.Index(fields=["stage"]),
            models.Index(fields=["police_stage"]),
        ]

    def __str__(self) -> str:
        return f"{self.clinic.code} {self.sent_on}"


class AdviceQuerySet(models.QuerySet["Advice"]):
    def visible_to(self, user: Any) -> AdviceQuerySet:
        if getattr(user, "is_authenticated", False) and user.is_police and user.prefecture_id:
            return self.filter(case__prefecture_id=user.prefecture_id)
        return self.none()


class Advice(models.Model):
    """Who advised the offender of a `treatment_advised` event (the event holds how)."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="advice", verbose_name=_("case")
    )
    advised_on = models.DateField(_("advised on"))
    advised_by = models.ForeignKey(
        User, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("advised by")
    )

    objects = AdviceQuerySet.as_manager()

    class Meta:
        ordering = ["advised_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "advised_on"], name="advice_unique_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.advised_on}"


class FollowUpPolicy(models.Model):
    """A prefecture's follow-up intervals after one kind of event, e.g. "30,90" days."""

    class Trigger(models.TextChoices):
        WARNING = "warning", _("After a warning")
        ORDER = "order", _("After a prohibition order")
        TREATMENT = "treatment", _("After a treatment event")

    prefecture = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="+", verbose_name=_("prefecture")
    )
    trigger = models.CharField(_("after"), max_length=16, choices=Trigger.choices)
    days = models.CharField(_("days"), max_length=100, blank=True)

    DEFAULTS: dict[str, str] = {"warning": "30,90", "order": "30,90", "treatment": "30"}

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefecture", "trigger"], name="followup_policy_once")
        ]

    def __str__(self) -> str:
        return f"{self.prefecture_id} {self.trigger} {self.days}"


class FollowUpQuerySet(models.QuerySet["FollowUp"]):
    def visible_to(self, user: Any) -> FollowUpQuerySet:
        """Police of the case's prefecture only, like the case file."""
        scope = case_scope(user, "case__")
        return self.none() if scope is None else self.filter(scope)


class FollowUp(models.Model):
    """A planned check on a case (mirrors its `followup_planned` event, for due-date lists).

    `source_type`/`source_date` name the event it follows and `offset_days` the
    interval that proposed it; the officer may have moved `due_on`. Done when the
    `followup_done` event is recorded (same transaction).
    """

    RETENTION_CLEAR, RETENTION_LINK = ("outcome",), "case"  # free text: core/retention.py

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="followups", verbose_name=_("case")
    )
    source_type = models.CharField(_("after"), max_length=40)
    source_date = models.DateField(_("event date"))
    offset_days = models.PositiveSmallIntegerField(_("days after"), null=True, blank=True)
    due_on = models.DateField(_("due on"), db_index=True)
    planned_by = models.ForeignKey(
        User, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("planned by")
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "source_type", "due_on"], name="followup_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_type} → {self.due_on}"

    @property
    def detail(self) -> str:
        """The event detail of this follow-up: "kind|due date"."""
        return f"{self.source_type}|{self.due_on.isoformat()}"


class ClinicStaff(models.Model):
    """A clinician's clinic: which cooperating clinic an account works at.

    Declared here, not on the user, so that `core` names no other app; the
    account service reaches it through `tsunagu.treatment.staff` (an affiliation
    registered with `core.affiliations`). One clinic per account.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="clinic_staff",
        verbose_name=_("user"),
    )
    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, related_name="staff", verbose_name=_("clinic")
    )

    class Meta:
        verbose_name = _("clinic staff")

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.clinic_id}"


def clinic_id_of(user: Any) -> int | None:
    """The pk of the clinic a clinician works at, or None (one query)."""
    if not getattr(user, "pk", None):
        return None
    return ClinicStaff.objects.filter(user_id=user.pk).values_list("clinic_id", flat=True).first()


def clinic_of(user: Any) -> Clinic | None:
    """The clinic a clinician works at, or None."""
    pk = clinic_id_of(user)
    return Clinic.objects.filter(pk=pk).first() if pk is not None else None


# --- read models of the officer's home page (kept by `treatment.home_marks`) ----------


class FollowUpSource(models.Model):
    """The latest effective event of each follow-up trigger of a case.

    A cache of the timeline, rewritten for a case whenever one of its events is
    recorded (`home_marks.refresh_case`), so that the home page proposes follow-ups
    from an index on `source_date` instead of reading a year of events.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    # The case's prefecture, copied so that one index serves "this prefecture, lately".
    prefecture = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    trigger = models.CharField(max_length=16)
    source_type = models.CharField(max_length=40)
    source_date = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "trigger"], name="followup_source_once")
        ]
        indexes = [models.Index(fields=["prefecture", "source_date"], name="followup_source_date")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.trigger} {self.source_type} {self.source_date}"


class ConditionBreach(models.Model):
    """A contact report dated while a condition on the offender was active.

    A cache of `derive.condition_breaches` over the case's timeline, rewritten with
    the follow-up sources, so that the home page reads the last months' breaches
    from an index on `date` instead of every event of every case with a condition.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    prefecture = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey("cases.Event", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    kind = models.CharField(max_length=32)
    starts_on = models.DateField()
    expires_on = models.DateField(null=True)
    ended_on = models.DateField(null=True)

    class Meta:
        indexes = [models.Index(fields=["prefecture", "date"], name="condition_breach_date")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.date} {self.kind}"
