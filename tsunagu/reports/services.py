"""Writes of the reports app: recording a public release."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction

from tsunagu.core.audit import audit
from tsunagu.core.models import User
from tsunagu.reports.models import ReleaseLog


def release_record(
    *,
    actor: User,
    report: str,
    format: str,
    parameters: dict[str, Any],
    threshold: int,
    content: bytes,
) -> ReleaseLog:
    """Log a public-release file with its hash, audited in the same transaction."""
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        log = ReleaseLog.objects.create(
            actor=actor,
            prefecture=actor.prefecture if not actor.is_analyst else None,
            report=report,
            format=format,
            parameters=parameters,
            threshold=threshold,
            sha256=digest,
            size=len(content),
        )
        audit(
            actor=actor,
            action="report.release",
            obj=log,
            prefecture=log.prefecture,
            report=report,
            format=format,
            sha256=digest,
        )
    return log
