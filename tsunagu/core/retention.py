"""Retention: anonymise cases closed more than TSUNAGU_RETENTION_YEARS ago.

Apps opt in with class attributes, so core names no other app:
- the anchor model (a case) sets `RETENTION_ANCHOR = True` and its queryset has
  `retention_due(cutoff)` (closed before `cutoff`, not yet anonymised) and an
  `anonymised_at` field;
- every model holding personal fields or free text of a case sets
  `RETENTION_CLEAR = (field, ...)` and `RETENTION_LINK = "case"` (its relation
  to the anchor). Those fields are emptied; everything else stays, so the coded
  timeline, sex and age bands, and every report figure stay the same.

Anonymising writes one audit event per prefecture (`retention.anonymise`, with
the case ids and counts, never the cleared values). Audit events themselves
are never deleted by the app (kept at least TSUNAGU_AUDIT_RETENTION_DAYS).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tsunagu.core.audit import audit

BATCH = 500


def cutoff(today: dt.date | None = None, years: int | None = None) -> dt.date:
    """The day before which a case must have closed to be anonymised."""
    today = today or timezone.localdate()
    years = settings.RETENTION_YEARS if years is None else years
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def anchor() -> Any:
    return next(m for m in apps.get_models() if getattr(m, "RETENTION_ANCHOR", False))


def cleared_models() -> list[Any]:
    return [m for m in apps.get_models() if getattr(m, "RETENTION_CLEAR", ())]


def due(limit: dt.date) -> Any:
    return anchor().objects.retention_due(limit)


def plan(limit: dt.date) -> dict[str, int]:
    """Cases due per prefecture code (dry run)."""
    counts = Counter(due(limit).values_list("prefecture__code", flat=True))
    return dict(sorted(counts.items()))


def apply(limit: dt.date) -> int:
    """Anonymise every due case, in batches; returns how many."""
    total = 0
    while True:
        with transaction.atomic():
            cases = list(due(limit).select_for_update().values_list("pk", "prefecture_id")[:BATCH])
            if not cases:
                return total
            ids = [pk for pk, _ in cases]
            cleared: dict[str, int] = {}
            for model in cleared_models():
                blank = {name: "" for name in model.RETENTION_CLEAR}
                link = f"{model.RETENTION_LINK}__in" if model.RETENTION_LINK else "pk__in"
                cleared[model._meta.label] = model.objects.filter(**{link: ids}).update(**blank)
            anchor().objects.filter(pk__in=ids).update(anonymised_at=timezone.now())
            by_prefecture: dict[int, list[int]] = {}
            for pk, pref in cases:
                by_prefecture.setdefault(pref, []).append(pk)
            for pref, pks in by_prefecture.items():
                audit(
                    actor=None,
                    action="retention.anonymise",
                    prefecture=pref,
                    reason=f"closed before {limit.isoformat()}",
                    cases=pks,
                    rows=cleared,
                )
            total += len(ids)
