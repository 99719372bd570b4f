"""Writes of the clinic directory: a prefecture's clinics and their staff accounts.

Each a function under one transaction, audited in it. Only the prefecture's
supervisor changes its clinics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_noop as _

from tsunagu.cases.models import Event
from tsunagu.cases.services import ServiceError
from tsunagu.core import services as accounts
from tsunagu.core.audit import audit
from tsunagu.core.models import Region, Role, User
from tsunagu.treatment.models import (
    MAX_MONTHLY_CAPACITY,
    Clinic,
    ClinicStaff,
    Referral,
    clinic_id_of,
    clinic_of,
)

CLINIC_FIELDS = (
    "name",
    "kind",
    "specialties",
    "address",
    "contact_person",
    "phone",
    "languages",
    "fee_notes",
    "monthly_capacity",
    "accepting",
)


def _supervisor_of(actor: User, prefecture_id: int | None) -> None:
    if not actor.is_supervisor or actor.prefecture_id != prefecture_id:
        raise ServiceError(_("Only the prefecture's supervisor can change its clinics."))


def clinic_code_in_use(code: str) -> bool:
    """Whether a referral or a timeline event refers to a clinic by this code.

    Timeline events name the clinic by its code (`referral_sent`: the code;
    `appointment_scheduled`: "code" or "code|date"), so once one does, the code
    is the clinic's identity and can no longer change.
    """
    if Referral.objects.filter(clinic__code=code).exists():
        return True
    return Event.objects.filter(
        Q(type="referral_sent", detail=code)
        | Q(type="appointment_scheduled", detail=code)
        | Q(type="appointment_scheduled", detail__startswith=f"{code}|")
    ).exists()


def clinic_save(
    *,
    actor: User,
    clinic: Clinic,
    stations: list[Region] | None = None,
) -> Clinic:
    """Create or update a clinic of the supervisor's prefecture."""
    _supervisor_of(actor, clinic.prefecture_id)
    clinic.code = clinic.code.strip()
    if not clinic.code:
        raise ServiceError(_("A clinic code is required."), "code")
    if not clinic.name.strip():
        raise ServiceError(_("A name is required."), "name")
    for station in stations or []:
        if station.parent_id != clinic.prefecture_id:
            raise ServiceError(_("The station is not in this prefecture."), "nearest_stations")
    if not 0 <= clinic.monthly_capacity <= MAX_MONTHLY_CAPACITY:
        raise ServiceError(
            _("The capacity must be between 0 and 10000 referrals a month."), "monthly_capacity"
        )
    created = clinic.pk is None
    with transaction.atomic():
        if not created:
            stored = Clinic.objects.select_for_update().filter(pk=clinic.pk)
            old_code = stored.values_list("code", flat=True).first()
            if old_code is not None and old_code != clinic.code and clinic_code_in_use(old_code):
                raise ServiceError(
                    _(
                        "The clinic code cannot be changed: referrals and timeline events "
                        "refer to the clinic by it."
                    ),
                    "code",
                )
        if Clinic.objects.filter(code=clinic.code).exclude(pk=clinic.pk).exists():
            raise ServiceError(_("This clinic code is already used."), "code")
        clinic.save()
        if stations is not None:
            clinic.nearest_stations.set(stations)
        audit(
            actor=actor,
            action="clinic.create" if created else "clinic.update",
            obj=clinic,
            prefecture=clinic.prefecture,
            code=clinic.code,
        )
    return clinic


def clinic_delete(*, actor: User, clinic: Clinic) -> None:
    """Remove a clinic that never received a referral and has no accounts attached."""
    _supervisor_of(actor, clinic.prefecture_id)
    with transaction.atomic():
        if Referral.objects.filter(clinic=clinic).exists():
            raise ServiceError(
                _("This clinic has referrals: mark it as not accepting instead."), "accepting"
            )
        if ClinicStaff.objects.filter(clinic=clinic).exists():
            raise ServiceError(_("Detach the clinic's accounts first."), "user")
        audit(
            actor=actor,
            action="clinic.delete",
            obj=clinic,
            prefecture=clinic.prefecture,
            code=clinic.code,
            name=clinic.name,  # the audit log names the clinic after it is gone
        )
        clinic.delete()


def _account_write(write: Any, **kwargs: Any) -> Any:
    """Call the account service (`core.services`), the one way accounts are created
    and re-placed (one audit action each: `user.create`, `user.update`); its
    refusals become this app's ServiceError on the same field."""
    try:
        return write(**kwargs)
    except accounts.AccountError as exc:
        raise ServiceError(exc.message, exc.field or "user", code="account") from exc


def clinic_attach(*, actor: User, clinic: Clinic, user: User) -> None:
    """Attach an existing clinician account (without a clinic, or of this prefecture's)."""
    _supervisor_of(actor, clinic.prefecture_id)
    if not user.is_clinician:
        raise ServiceError(_("Only clinician accounts can be attached to a clinic."), "user")
    current = clinic_of(user)
    if current is not None and current.prefecture_id != clinic.prefecture_id:
        raise ServiceError(_("This account belongs to another prefecture's clinic."), "user")
    _account_write(accounts.user_update, actor=actor, user=user, clinic=clinic)


def clinic_detach(*, actor: User, clinic: Clinic, user: User) -> None:
    _supervisor_of(actor, clinic.prefecture_id)
    if clinic_id_of(user) != clinic.pk:
        raise ServiceError(_("This account is not attached to the clinic."), "user")
    _account_write(accounts.user_update, actor=actor, user=user, clinic=None)


@dataclass
class NewAccount:
    user: User
    password: str


def clinic_create_clinician(
    *, actor: User, clinic: Clinic, username: str, full_name: str = ""
) -> NewAccount:
    """Create a clinician account for the clinic with a temporary password (shown once,
    to be changed at the first sign-in), through the one account service."""
    _supervisor_of(actor, clinic.prefecture_id)
    last, _sep, first = full_name.strip().partition(" ")
    result = _account_write(
        accounts.user_create,
        actor=actor,
        username=username,
        role=Role.CLINICIAN,
        clinic=clinic,
        last_name=last,
        first_name=first,
    )
    assert result.password is not None  # the supervisor's own clinic: applied at once
    return NewAccount(result.user, result.password)
