"""Writes to users by an administrator, each audited in its transaction.

Administrators manage accounts and see no case data, so these audit events
carry no prefecture: they appear in the administrators' log, not the police's.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tsunagu.core.audit import audit
from tsunagu.core.models import User

USER_FIELDS = ("first_name", "last_name", "role", "region", "clinic", "is_active")


def user_create(*, actor: User, username: str, password: str, **fields: Any) -> User:
    """Create an account with a role and where it belongs."""
    with transaction.atomic():
        user = User(username=username, **{k: fields[k] for k in USER_FIELDS if k in fields})
        user.set_password(password)
        user.save()
        audit(actor=actor, action="user.create", obj=user, username=username, role=user.role)
    return user


def user_update(*, actor: User, user: User, **fields: Any) -> list[str]:
    """Change an account's role, place or status; returns the names of changed fields."""
    changed = [k for k in USER_FIELDS if k in fields and getattr(user, k) != fields[k]]
    if not changed:
        return []
    with transaction.atomic():
        for name in changed:
            setattr(user, name, fields[name])
        user.save(update_fields=changed)
        audit(actor=actor, action="user.update", obj=user, username=user.username, fields=changed)
    return changed


def user_set_password(*, actor: User, user: User, password: str) -> None:
    """Reset an account's password (the password itself is never logged)."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit(actor=actor, action="user.password_reset", obj=user, username=user.username)
