"""Writing the audit log. Called by service functions inside their transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from tsunagu.core.models import AuditEvent, Region, User


def audit(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    prefecture: Region | None = None,
    reason: str = "",
    **detail: Any,
) -> AuditEvent:
    """Record an audited action. `detail` must never hold victim plaintext."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        prefecture=prefecture,
        object_type=(obj._meta.model_name or "") if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        reason=reason,
        detail=detail,
    )
