"""Aggregates of risk assessment for the supervisor and the analyst (no personal data)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.db.models import Count
from django.db.models.functions import ExtractYear
from django.utils import timezone

from tsunagu.cases import timeline
from tsunagu.cases.models import Case, Event
from tsunagu.risk.models import Assessment, Instrument

ORDER_OR_ARREST = ("prohibition_order", "emergency_order", "arrest")


def _label_rows(rows: list[dict[str, Any]], labels: dict[tuple[int, str], str]) -> None:
    for row in rows:
        row["instrument"] = f"{row['instrument__name']} {row['instrument__version']}"
        row["label"] = labels.get((row["instrument_id"], row["level"]), row["level"])


def supervisor_view(user: Any) -> dict[str, Any]:
    """For the supervisor's prefecture: open cases per level, top-level cases whose
    review is overdue, open cases with an order or arrest never assessed."""
    today = timezone.localdate()
    current = Assessment.objects.visible_to(user).filter(is_current=True, case__is_open=True)
    per_level = list(
        current.values(
            "instrument_id", "instrument__name", "instrument__version", "level", "level_order"
        )
        .annotate(n=Count("id"))
        .order_by("instrument__name", "instrument__version", "instrument_id", "-level_order")
    )
    _label_rows(per_level, Instrument.objects.visible_to(user).level_labels())
    overdue = list(
        current.filter(is_top=True, review_on__lt=today)
        .select_related("case", "instrument")
        .order_by("review_on")[:100]
    )
    never = list(
        Case.objects.visible_to(user)
        .filter(is_open=True, events__type__in=ORDER_OR_ARREST)
        .exclude(assessments__is_effective=True)
        .distinct()
        .order_by("-opened_on")[:100]
    )
    return {"per_level": per_level, "overdue": overdue, "never": never, "today": today}


def national_view(user: Any) -> dict[str, Any]:
    """Levels by prefecture and year, and the level at advice against the response."""
    cases = Case.objects.for_statistics(user)
    distribution = list(
        Assessment.objects.filter(case__in=cases, is_effective=True)
        .annotate(year=ExtractYear("date"))
        .values(
            "case__prefecture__code",
            "case__prefecture__name_ja",
            "case__prefecture__name_en",
            "year",
            "instrument_id",
            "instrument__name",
            "instrument__version",
            "level",
            "level_order",
        )
        .annotate(n=Count("id"))
        .order_by(
            "case__prefecture__code",
            "year",
            "instrument__name",
            "instrument__version",
            "instrument_id",
            "-level_order",
        )
    )
    # Level labels only (no item wording), of every agency's instruments.
    labels = Instrument.objects.level_labels()
    _label_rows(distribution, labels)
    # The level at advice is the timeline's (a code, whatever the instrument):
    # worded by the instruments that have that code.
    by_code: dict[str, list[str]] = defaultdict(list)
    for (_instrument, code), label in labels.items():
        if label not in by_code[code]:
            by_code[code].append(label)
    at_advice = level_at_advice(cases)
    for row in at_advice:
        row["label"] = " / ".join(by_code.get(row["level"], [])) or row["level"]
    return {"distribution": distribution, "at_advice": at_advice}


def level_at_advice(cases: Any) -> list[dict[str, Any]]:
    """Per level assessed on or before each advice (or none): how the offender answered."""
    assessed = Assessment.objects.filter(case__in=cases).values("case_id")
    types = ("treatment_advised", *timeline.RESPONSES, timeline.RISK_ASSESSED, "correction")
    by_case: dict[int, list[timeline.Ev]] = defaultdict(list)
    for case_id, date, type_, detail, pk in (
        Event.objects.filter(case_id__in=assessed, type__in=types)
        .order_by()
        .values_list("case_id", "date", "type", "detail", "id")
        .iterator(chunk_size=5000)
    ):
        by_case[case_id].append(timeline.Ev(date, type_, detail, pk))
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for events in by_case.values():
        for episode in timeline.episodes(events):
            level = timeline.risk_level(events, episode.advised_on)
            answers = [t for t in (ev.type for ev in episode.events) if t in timeline.RESPONSES]
            table[level[1] if level else ""][answers[-1] if answers else "no_answer"] += 1
    columns = (*timeline.RESPONSES, "no_answer")
    return [
        {"level": level, "cells": [counts[c] for c in columns], "total": sum(counts.values())}
        for level, counts in sorted(table.items())
    ]
