"""Risk instruments (immutable versions) and the assessments recorded with them."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tsunagu.cases.models import Case, Event, case_scope
from tsunagu.core.fields import EncryptedTextField, new_ref
from tsunagu.core.models import Region, User

KINDS = ("judgement", "count", "external")


def wording(text: dict[str, str] | None, language: str | None = None) -> str:
    """The wording of a multilingual text in the active language (else ja, else any)."""
    if not text:
        return ""
    lang = (language or get_language() or "ja")[:2]
    return text.get(lang) or text.get("ja") or next(iter(text.values()))


class InstrumentQuerySet(models.QuerySet["Instrument"]):
    def for_prefecture(self, prefecture_id: int | None) -> InstrumentQuerySet:
        """The instruments a prefecture's police use: its own and the national ones
        (an admin's load). The one rule of instrument scope: `visible_to` and the
        interchange import's matching of `instrument,version` both read it."""
        national = models.Q(prefecture__isnull=True)
        if prefecture_id is None:
            return self.filter(national)
        return self.filter(national | models.Q(prefecture_id=prefecture_id))

    def visible_to(self, user: Any) -> InstrumentQuerySet:
        """Whose instruments a user may read (wording included): police (officers,
        supervisors) their prefecture's and the national ones; admins the national
        ones, which they load. Clinicians and analysts none: an analyst's national
        tables read level labels only, through `level_labels`."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_police and user.prefecture_id:
            return self.for_prefecture(user.prefecture_id)
        if user.is_admin:
            return self.for_prefecture(None)
        return self.none()

    def level_labels(self) -> dict[tuple[int, str], str]:
        """(instrument id, level code) -> the level's label: no item wording, for
        the aggregate tables (supervisor, analyst) whose rows name an instrument."""
        return {
            (i.pk, lv["code"]): wording(lv["label"])
            for i in self.only("pk", "definition")
            for lv in i.definition["levels"]
        }


class Instrument(models.Model):
    """One version of an instrument, as loaded from its file. Never changed once loaded.

    `prefecture` is the agency that loaded it (a supervisor's load); empty for a
    national one (an admin's load, the demo's). Versions are unique per agency."""

    prefecture = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("prefecture"),
    )
    name = models.CharField(_("name"), max_length=40)
    version = models.CharField(_("version"), max_length=20)
    language = models.CharField(_("language"), max_length=2)
    kind = models.CharField(_("summary kind"), max_length=16)
    is_demo = models.BooleanField(_("demo"), default=False)
    definition = models.JSONField()
    digest = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(default=timezone.now)
    loaded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = InstrumentQuerySet.as_manager()

    class Meta:
        ordering = ["name", "version", "id"]
        verbose_name = _("risk instrument")
        constraints = [
            # NULLs are distinct in a unique index: the national versions get their own.
            models.UniqueConstraint(
                fields=["prefecture", "name", "version"],
                condition=models.Q(prefecture__isnull=False),
                name="instrument_agency_version_unique",
            ),
            models.UniqueConstraint(
                fields=["name", "version"],
                condition=models.Q(prefecture__isnull=True),
                name="instrument_national_version_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"

    @property
    def title(self) -> str:
        return wording(self.definition.get("title"))

    def levels(self) -> list[dict[str, Any]]:
        """The levels from lowest to highest."""
        return sorted(self.definition["levels"], key=lambda lv: lv["order"])

    def level_label(self, code: str) -> str:
        for level in self.definition["levels"]:
            if level["code"] == code:
                return wording(level["label"])
        return code

    def items(self) -> list[dict[str, Any]]:
        return [item for section in self.definition["sections"] for item in section["items"]]


class AssessmentQuerySet(models.QuerySet["Assessment"]):
    def visible_to(self, user: Any, **case: Any) -> AssessmentQuerySet:
        """Police of the case's prefecture only, like the case file; `case` narrows
        to cases with those values (`is_open=True`) within the same condition."""
        scope = case_scope(user, "case__", **case)
        return self.none() if scope is None else self.filter(scope)


class Assessment(models.Model):
    """A risk assessment of a case. Its `risk_assessed` event carries the level on
    the timeline; answers, notes, rationale and scenarios are encrypted at rest."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="assessment")
    date = models.DateField(_("date"))
    level = models.CharField(_("level"), max_length=40)
    # The level's order in its instrument (1 = lowest), so lists can ask "top level".
    level_order = models.PositiveSmallIntegerField(default=1)
    is_top = models.BooleanField(default=False)
    positive_count = models.PositiveSmallIntegerField(default=0)
    answers = EncryptedTextField(_("answers"), blank=True)  # JSON: item -> {rating, note}
    rationale = EncryptedTextField(_("rationale"), blank=True)
    scenarios = EncryptedTextField(_("scenarios"), blank=True)  # JSON
    review_on = models.DateField(_("next review"), null=True, blank=True)
    assessed_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    assessed_by_role = models.CharField(max_length=16, default="officer")
    recorded_at = models.DateTimeField(default=timezone.now)
    # A cache of the timeline, kept by services.assessments_refresh: whether the
    # event still counts (not corrected away) and whether it is the case's latest.
    is_effective = models.BooleanField(default=True)
    is_current = models.BooleanField(default=True)
    key_ref = models.CharField(max_length=32, default=new_ref, editable=False)

    objects = AssessmentQuerySet.as_manager()

    PROTECTED_FIELDS = ("answers", "rationale", "scenarios")

    class Meta:
        ordering = ["case_id", "date", "id"]
        verbose_name = _("risk assessment")
        indexes = [models.Index(fields=["is_current", "review_on"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.date} {self.level}"


class PlanActionQuerySet(models.QuerySet["PlanAction"]):
    def visible_to(self, user: Any, **case: Any) -> PlanActionQuerySet:
        """Police of the case's prefecture only (`case` narrows, as for assessments)."""
        scope = case_scope(user, "assessment__case__", **case)
        return self.none() if scope is None else self.filter(scope)


class PlanAction(models.Model):
    """An action of an assessment's management plan: a follow-up with an owner and a due date."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="actions")
    action = EncryptedTextField(_("action"))
    owner = models.CharField(_("owner"), max_length=100)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    key_ref = models.CharField(max_length=32, default=new_ref, editable=False)

    objects = PlanActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("plan action")

    def __str__(self) -> str:
        return f"{self.owner} {self.due_on}"
