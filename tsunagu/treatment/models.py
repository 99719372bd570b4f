"""Cooperating clinics (協力医療機関) and the referral loop."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from tsunagu.core.models import Region


class ClinicQuerySet(models.QuerySet["Clinic"]):
    def visible_to(self, user: Any) -> ClinicQuerySet:
        """Police see their prefecture's clinics; clinicians their own clinic."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_police and user.prefecture_id:
            return self.filter(prefecture_id=user.prefecture_id)
        if user.is_clinician and user.clinic_id:
            return self.filter(pk=user.clinic_id)
        return self.none()


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
    address = models.CharField(_("address"), max_length=300, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
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
