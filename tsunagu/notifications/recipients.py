"""Who receives each notice: the people who can see its item by signing in."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tsunagu.core.models import Role, User
from tsunagu.treatment.models import ClinicStaff


def clinic_staff(clinic_id: int) -> QuerySet[User]:
    ids = ClinicStaff.objects.filter(clinic_id=clinic_id).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True)


def supervisors(prefecture_id: int | None) -> QuerySet[User]:
    """The prefecture's supervisors; administrators for national accounts."""
    if prefecture_id is None:
        return User.objects.filter(role=Role.ADMIN, is_active=True)
    return User.objects.filter(role=Role.SUPERVISOR, is_active=True).filter(
        Q(region_id=prefecture_id) | Q(region__parent_id=prefecture_id)
    )
