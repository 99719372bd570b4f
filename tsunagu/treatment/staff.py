"""Clinicians belong to a clinic: the relation, declared by the treatment app.

`ClinicStaff` (in `models`) ties an account to its clinic. It is registered with
`tsunagu.core.affiliations` in `TreatmentConfig.ready`, so the account service
(the only way accounts are created or re-placed), the administrator's user form
and the supervisor's list of prefecture users handle a clinician's clinic
without `core` naming this app.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import Model, Q

from tsunagu.core.models import Role, User
from tsunagu.treatment.models import Clinic, ClinicStaff, clinic_of


class ClinicChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name}"


class ClinicAffiliation:
    """A clinician's clinic (see `tsunagu.core.affiliations.Affiliation`)."""

    name: str = "clinic"
    role: str = Role.CLINICIAN

    def form_field(self) -> forms.Field:
        return ClinicChoiceField(
            queryset=Clinic.objects.select_related("prefecture").order_by("code"),
            required=False,
            label=Clinic._meta.verbose_name,
        )

    def of(self, user: User) -> Clinic | None:
        return clinic_of(user)

    def of_many(self, users: Iterable[User]) -> dict[int, Model]:
        rows = ClinicStaff.objects.filter(user__in=[u.pk for u in users]).select_related("clinic")
        return {row.user_id: row.clinic for row in rows}

    def load(self, pk: Any) -> Clinic | None:
        return Clinic.objects.filter(pk=pk).first()

    def prefecture_id(self, value: Model) -> int | None:
        assert isinstance(value, Clinic)
        return value.prefecture_id

    def assign(self, user: User, value: Model | None) -> None:
        if value is None:
            ClinicStaff.objects.filter(user=user).delete()
        else:
            assert isinstance(value, Clinic)
            ClinicStaff.objects.update_or_create(user=user, defaults={"clinic": value})

    def users_q(self, supervisor: User) -> Q:
        return Q(
            role=Role.CLINICIAN,
            clinic_staff__clinic__in=Clinic.objects.visible_to(supervisor).values("pk"),
        )
