"""Writes to accounts, each audited in its transaction: the one account service.

Separation of duties: a change to an account's password, role, prefecture,
station or clinic, its creation and its re-enabling take effect only when
someone other than the requester approves it (`PendingAccountChange`). A
supervisor's own request for an account of their prefecture is already that
approval, except for a second-factor reset, which always needs a second
person. Disabling an account, and ending its sessions, take effect at once.

Temporary passwords are generated here and shown once: to the supervisor who
created the account directly, or to whoever approved the change. A requester
never chooses, nor learns, a password that will work.

Audit events carry the actor's prefecture (none for administrators), so each
side's log shows its own actions.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tsunagu.core import affiliations
from tsunagu.core.access import prefecture_users
from tsunagu.core.audit import audit
from tsunagu.core.models import PendingAccountChange, Region, Role, User
from tsunagu.core.second_factor import remove_second_factors

Kind = PendingAccountChange.Kind
Status = PendingAccountChange.Status

NAME_FIELDS = ("first_name", "last_name")


def placement_fields() -> tuple[str, ...]:
    """Fields whose change needs approval: role, region and declared places."""
    return ("role", "region", *affiliations.names())


class AccountError(ValueError):
    """A refused account write; `field` names the form field it concerns."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class AccountResult:
    """What a write did: the account, a pending change waiting for approval (or
    None when applied at once), and a temporary password to show once."""

    user: User
    change: PendingAccountChange | None = None
    password: str | None = None


def temporary_password() -> str:
    return secrets.token_urlsafe(12)


def _placement(user: User) -> dict[str, Any]:
    return {"role": user.role, "region": user.region, **affiliations.of(user)}


def approval_prefecture(placement: dict[str, Any]) -> Region | None:
    """Whose supervisors approve an account with this role and place.

    Police accounts: the prefecture of their region; an account tied to a
    declared place (a clinic): that place's prefecture; national accounts
    (analysts, administrators): None, meaning a second administrator.
    """
    role = placement.get("role")
    if role in (Role.OFFICER, Role.SUPERVISOR):
        region = placement.get("region")
        return region.prefecture if region is not None else None
    for affiliation in affiliations.all_affiliations():
        value = placement.get(affiliation.name)
        if role == affiliation.role and value is not None:
            pk = affiliation.prefecture_id(value)
            return Region.objects.get(pk=pk) if pk is not None else None
    return None


def _is_approver_for(actor: User, prefecture: Region | None) -> bool:
    return bool(
        prefecture is not None and actor.is_supervisor and actor.prefecture_id == prefecture.pk
    )


def _supervisor_applies(actor: User, before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether a supervisor's change applies at once: the account is of their
    prefecture (or of none, a clinician without a clinic) before and after, at
    least one of them theirs, and it is never an analyst or administrator."""
    if not actor.is_supervisor or actor.prefecture_id is None:
        return False
    national = (Role.ANALYST, Role.ADMIN)
    if before.get("role") in national or after.get("role") in national:
        return False
    prefectures = {
        p.pk if p is not None else None
        for p in (approval_prefecture(before), approval_prefecture(after))
    }
    return actor.prefecture_id in prefectures and prefectures <= {actor.prefecture_id, None}


def may_manage(actor: User, user: User) -> bool:
    """Administrators manage every account; a supervisor those of their prefecture."""
    if actor.is_admin:
        return True
    return actor.is_supervisor and prefecture_users(actor).filter(pk=user.pk).exists()


def _check_may_manage(actor: User, user: User) -> None:
    if not may_manage(actor, user):
        raise AccountError(_("You cannot manage this account."))


def end_sessions(user: User) -> None:
    """End every session of the account (Django checks the hash on each request)."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])


def _request(
    *, actor: User, user: User, kind: str, prefecture: Region | None, values: dict[str, Any]
) -> PendingAccountChange:
    """Record a pending change; an older pending change of the same kind is superseded."""
    user.pending_changes.filter(kind=kind, status=Status.PENDING).update(
        status=Status.SUPERSEDED, decided_at=timezone.now()
    )
    return PendingAccountChange.objects.create(
        user=user, kind=kind, values=values, prefecture=prefecture, requested_by=actor
    )


def _set_temporary_password(user: User) -> str:
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    return password


def _values(placement: dict[str, Any]) -> dict[str, Any]:
    """The JSON form of a placement: role, and primary keys of region and places."""
    out: dict[str, Any] = {"role": placement.get("role")}
    for name in ("region", *affiliations.names()):
        value = placement.get(name)
        out[name] = value.pk if value is not None else None
    return out


def _apply_placement(user: User, placement: dict[str, Any]) -> None:
    user.role = placement["role"]
    user.region = placement.get("region")
    user.save()
    for affiliation in affiliations.all_affiliations():
        affiliation.assign(user, placement.get(affiliation.name))


def user_create(
    *,
    actor: User | None,
    username: str,
    role: str,
    region: Region | None = None,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    **places: Any,
) -> AccountResult:
    """Create an account: the only way accounts are made.

    A supervisor creating an account of their own prefecture (a clinician for
    one of its clinics) gets it active at once, with a temporary password shown
    once. Anyone else's new account stays inactive, with no usable password,
    until an approver accepts it and receives the temporary password.

    `actor=None` is the operator on the command line (`tsunagu create-admin`,
    the demo loader), trusted like the other operator commands: the account is
    active at once, with the given `password` or a temporary one to change at
    the first sign-in.
    """
    username = username.strip()
    if not username:
        raise AccountError(_("A user name is required."), "username")
    placement = {"role": role, "region": region, **places}
    prefecture = approval_prefecture(placement)
    direct = actor is None or _is_approver_for(actor, prefecture)
    if actor is not None and not (actor.is_admin or direct):
        raise AccountError(_("You cannot create this account."), "role")
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise AccountError(_("This user name is taken."), "username")
        user = User(
            username=username,
            first_name=first_name,
            last_name=last_name,
            is_active=direct,
        )
        if password is not None and actor is None:
            user.set_password(password)
        else:
            password = _set_temporary_password(user) if direct else None
        if not direct:
            user.set_unusable_password()
        _apply_placement(user, placement)
        change = None
        if not direct and actor is not None:
            change = _request(
                actor=actor, user=user, kind=Kind.CREATE, prefecture=prefecture, values={}
            )
        audit(
            actor=actor,
            action="user.create",
            obj=user,
            prefecture=actor.prefecture if actor is not None else None,
            username=username,
            role=role,
            pending=change is not None,
        )
    return AccountResult(user, change, password)


def user_update(*, actor: User, user: User, **fields: Any) -> AccountResult:
    """Change an account's names, status, role or place.

    Names change at once; disabling takes effect at once and ends the sessions.
    A new role or place, and re-enabling, wait for approval unless a supervisor
    asks for an account of their own prefecture (`_supervisor_applies`).
    """
    current = _placement(user)
    wanted = {k: fields.get(k, current[k]) for k in current}
    direct = _supervisor_applies(actor, current, wanted)
    if not (direct or may_manage(actor, user)):
        raise AccountError(_("You cannot manage this account."))
    if user.pk == actor.pk and (
        fields.get("is_active") is False or fields.get("role", user.role) != user.role
    ):
        raise AccountError(_("You cannot deactivate yourself or change your role."), "is_active")
    placement_changed = [k for k in current if wanted[k] != current[k]]
    names_changed = [k for k in NAME_FIELDS if k in fields and getattr(user, k) != fields[k]]
    disable = fields.get("is_active") is False and user.is_active
    enable = fields.get("is_active") is True and not user.is_active
    if enable and user.pending_changes.filter(kind=Kind.CREATE, status=Status.PENDING).exists():
        raise AccountError(_("This account is waiting for approval."), "is_active")
    # Who approves: the prefecture after the change; the one before when the
    # change takes the account out of every prefecture (a clinician detached).
    new_prefecture = approval_prefecture(wanted) or approval_prefecture(current)
    change = None
    with transaction.atomic():
        if names_changed:
            for name in names_changed:
                setattr(user, name, fields[name])
            user.save(update_fields=names_changed)
        if disable:
            user.is_active = False
            user.save(update_fields=["is_active"])
            end_sessions(user)
        if placement_changed:
            if direct:
                _apply_placement(user, wanted)
                end_sessions(user)
            else:
                change = _request(
                    actor=actor,
                    user=user,
                    kind=Kind.UPDATE,
                    prefecture=new_prefecture,
                    values=_values(wanted),
                )
        if enable:
            if direct:
                user.is_active = True
                user.save(update_fields=["is_active"])
            else:
                change = _request(
                    actor=actor,
                    user=user,
                    kind=Kind.ACTIVATE,
                    prefecture=new_prefecture,
                    values={},
                )
        if names_changed or disable or placement_changed or enable:
            audit(
                actor=actor,
                action="user.update",
                obj=user,
                prefecture=actor.prefecture,
                username=user.username,
                fields=sorted(
                    {*names_changed, *placement_changed}
                    | ({"is_active"} if disable or enable else set())
                ),
                pending=change is not None,
            )
    return AccountResult(user, change)


def user_reset_password(*, actor: User, user: User) -> AccountResult:
    """Give the account a new temporary password, to be changed at the next sign-in.

    The account's supervisor gets it at once; anyone else's request waits for
    approval, and the approver receives the password.
    """
    _check_may_manage(actor, user)
    if user.pk == actor.pk:
        raise AccountError(_("Change your own password on your account page."))
    prefecture = approval_prefecture(_placement(user))
    with transaction.atomic():
        password = change = None
        if _is_approver_for(actor, prefecture):
            password = _set_temporary_password(user)
            user.save(update_fields=["password", "must_change_password"])
            end_sessions(user)
        else:
            change = _request(
                actor=actor, user=user, kind=Kind.PASSWORD, prefecture=prefecture, values={}
            )
        audit(
            actor=actor,
            action="user.password_reset",
            obj=user,
            prefecture=actor.prefecture,
            username=user.username,
            pending=change is not None,
        )
    return AccountResult(user, change, password)


def user_request_second_factor_reset(*, actor: User, user: User) -> AccountResult:
    """Ask for a lost second factor to be removed; always needs a second person."""
    _check_may_manage(actor, user)
    with transaction.atomic():
        change = _request(
            actor=actor,
            user=user,
            kind=Kind.RESET_SECOND_FACTOR,
            prefecture=approval_prefecture(_placement(user)),
            values={},
        )
        audit(
            actor=actor,
            action="user.second_factor_reset",
            obj=user,
            prefecture=actor.prefecture,
            username=user.username,
            pending=True,
        )
    return AccountResult(user, change)


def user_sign_out_everywhere(*, actor: User, user: User) -> None:
    """End every session of the account, on the supervisor's or administrator's word."""
    _check_may_manage(actor, user)
    with transaction.atomic():
        end_sessions(user)
        audit(
            actor=actor,
            action="user.sign_out_everywhere",
            obj=user,
            prefecture=actor.prefecture,
            username=user.username,
        )


def user_change_own_password(*, user: User, password: str) -> None:
    """The user's own new password (already checked by the form): ends every other
    session (the view keeps the current one) and clears a temporary password."""
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        end_sessions(user)
        audit(
            actor=user,
            action="user.password_change",
            obj=user,
            prefecture=user.prefecture,
            username=user.username,
        )


def user_set_own_language(*, user: User, language: str) -> None:
    """The user's own choice of their account's language (that of their email)."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"unknown language {language!r}")
    if language == user.language:
        return
    with transaction.atomic():
        before = user.language
        user.language = language
        user.save(update_fields=["language"])
        audit(
            actor=user,
            action="user.language",
            obj=user,
            prefecture=user.prefecture,
            before=before,
            after=language,
        )


# --- approvals ---------------------------------------------------------------------


def _apply(change: PendingAccountChange) -> str | None:
    """Carry out an approved change; returns a temporary password to show once."""
    user = User.objects.select_for_update().get(pk=change.user_id)
    password = None
    if change.kind == Kind.CREATE:
        password = _set_temporary_password(user)
        user.is_active = True
        user.save(update_fields=["password", "must_change_password", "is_active"])
    elif change.kind == Kind.PASSWORD:
        password = _set_temporary_password(user)
        user.save(update_fields=["password", "must_change_password"])
    elif change.kind == Kind.ACTIVATE:
        user.is_active = True
        user.save(update_fields=["is_active"])
    elif change.kind == Kind.UPDATE:
        _apply_placement(user, _load_placement(change.values))
    elif change.kind == Kind.RESET_SECOND_FACTOR:
        remove_second_factors(user)
    end_sessions(user)
    return password


def _load_placement(values: dict[str, Any]) -> dict[str, Any]:
    placement: dict[str, Any] = {"role": values.get("role")}
    region_pk = values.get("region")
    placement["region"] = Region.objects.filter(pk=region_pk).first() if region_pk else None
    if region_pk and placement["region"] is None:
        raise AccountError(_("The requested region no longer exists."))
    for affiliation in affiliations.all_affiliations():
        pk = values.get(affiliation.name)
        placement[affiliation.name] = affiliation.load(pk) if pk else None
        if pk and placement[affiliation.name] is None:
            raise AccountError(_("The requested place no longer exists."))
    return placement


def _decide(*, actor: User, change: PendingAccountChange) -> PendingAccountChange:
    locked = PendingAccountChange.objects.select_for_update().get(pk=change.pk)
    if not locked.is_pending:
        raise AccountError(_("This request was already decided."))
    if locked.user_id == actor.pk:
        raise AccountError(_("Nobody approves a change to their own account."))
    if locked.requested_by_id == actor.pk:
        raise AccountError(_("A request is approved by someone other than who made it."))
    if not locked.may_decide(actor):
        raise AccountError(_("You cannot decide this request."))
    return locked


def change_approve(*, actor: User, change: PendingAccountChange) -> str | None:
    """Approve and apply a pending change; returns a temporary password (or None)."""
    with transaction.atomic():
        locked = _decide(actor=actor, change=change)
        password = _apply(locked)
        locked.status = Status.APPROVED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit(
            actor=actor,
            action="user.change_approved",
            obj=locked.user,
            prefecture=actor.prefecture,
            username=locked.user.username,
            kind=locked.kind,
            requested_by=locked.requested_by.username,
        )
    return password


def change_reject(*, actor: User, change: PendingAccountChange) -> None:
    """Refuse a pending change; nothing of it is applied (a new account stays inactive)."""
    with transaction.atomic():
        locked = _decide(actor=actor, change=change)
        locked.status = Status.REJECTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit(
            actor=actor,
            action="user.change_rejected",
            obj=locked.user,
            prefecture=actor.prefecture,
            username=locked.user.username,
            kind=locked.kind,
            requested_by=locked.requested_by.username,
        )


def disable_inactive(*, days: int, now: dt.datetime | None = None) -> list[str]:
    """Disable active accounts unused for `days` days (never signed in: counted from
    their creation); returns their user names. Their sessions end too."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    stale = User.objects.filter(is_active=True).exclude(last_login__gte=cutoff)
    stale = stale.exclude(last_login__isnull=True, date_joined__gte=cutoff)
    names: list[str] = []
    with transaction.atomic():
        for user in stale.select_for_update().order_by("username"):
            user.is_active = False
            user.session_generation += 1
            user.save(update_fields=["is_active", "session_generation"])
            audit(
                actor=None,
                action="user.disable_inactive",
                obj=user,
                username=user.username,
                days=days,
            )
            names.append(user.username)
    return names
