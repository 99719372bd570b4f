"""Read models of risk assessment for the case page and the officer's home."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from tsunagu.cases import timeline
from tsunagu.cases.models import Case
from tsunagu.core.access import AuthedRequest
from tsunagu.risk.models import Assessment, PlanAction, wording

HISTORY = 5
DUE_WITHIN = dt.timedelta(days=7)


def case_panel_context(request: AuthedRequest, case: Case) -> dict[str, Any]:
    """The current level, its date, the next review and a short history. The case
    page is the police's only, so is this panel.

    The rows that count are those whose event the timeline still counts
    (`is_effective`, kept by `services.assessments_refresh` after every event),
    so the level shown is `timeline.risk_level` of the case without reading the
    events a second time. One query (two with plan actions)."""
    user = request.user
    if not user.is_police or user.prefecture_id != case.prefecture_id:
        return {}
    rows = list(
        Assessment.objects.filter(case=case, is_effective=True)
        .select_related("instrument")
        .prefetch_related("actions")
        .order_by("-date", "-event_id")[: HISTORY + 1]
    )
    latest = rows[0] if rows else None
    return {
        "risk_latest": latest,
        "risk_history": rows[:HISTORY],
        "risk_today": timezone.localdate(),
    }


def timeline_details(events: Sequence[Any]) -> dict[int, str]:
    """The `risk_assessed` events of one case worded by their instrument's label of
    the level (`cases.labels.CASE_DETAIL_READERS`): one query, none without such
    an event. An event without its assessment row (events.csv alone) keeps its code."""
    assessed = [e.pk for e in events if e.type == timeline.RISK_ASSESSED]
    if not assessed:
        return {}
    rows = Assessment.objects.filter(event_id__in=assessed).select_related("instrument")
    return {a.event_id: a.instrument.level_label(a.level) for a in rows}


def due(user: Any, today: dt.date) -> dict[str, list[Any]]:
    """Reviews and plan actions of the user's prefecture due within a week (or overdue)."""
    horizon = today + DUE_WITHIN
    # Open cases only: a condition inside the scope's EXISTS, not a join, so the
    # database starts from the (small) risk tables.
    reviews = list(
        Assessment.objects.visible_to(user, is_open=True)
        .filter(is_current=True, review_on__lte=horizon)
        .select_related("case", "instrument")
        .order_by("review_on", "id")[:100]
    )
    actions = list(
        PlanAction.objects.visible_to(user, is_open=True)
        .filter(done_on__isnull=True, due_on__lte=horizon, assessment__is_effective=True)
        .select_related("assessment__case")
        .order_by("due_on", "id")[:100]
    )
    return {"reviews": reviews, "actions": actions}


def home_panel_context(request: AuthedRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_police or not user.prefecture_id:
        return {}
    today = timezone.localdate()
    found = due(user, today)
    return {
        "risk_home_today": today,
        "risk_reviews": found["reviews"],
        "risk_actions": found["actions"],
    }


def assessment_context(assessment: Assessment, revealed: dict[str, Any] | None) -> dict[str, Any]:
    """A past assessment as its page shows it. Until `revealed` (the values an
    audited `services.assessment_reveal` gave), the ratings of victim-answered
    items and every text (notes, rationale, scenarios, plan actions) are left out
    (None: the page masks them); the other ratings, the level, the dates and
    the plan's owners and due dates are shown."""
    definition = assessment.instrument.definition
    answers = (
        revealed["answers"] if revealed is not None else json.loads(assessment.answers or "{}")
    )
    scales = {
        name: {o["value"]: wording(o["label"]) for o in scale}
        for name, scale in definition["scales"].items()
    }
    sections = []
    for section in definition["sections"]:
        rows = []
        for item in section["items"]:
            answer = answers.get(item["id"]) or {}
            masked = revealed is None and item["answered_by"] == "victim"
            rating = answer.get("rating", "")
            rows.append(
                {
                    "id": item["id"],
                    "text": wording(item["text"]),
                    "answered_by": item["answered_by"],
                    "rating": None if masked else scales[item["scale"]].get(rating, rating),
                    "note": answer.get("note", "") if revealed is not None else None,
                }
            )
        sections.append({"title": wording(section.get("title")), "items": rows})
    texts = revealed or {}
    return {
        "assessment": assessment,
        "sections": sections,
        "rationale": texts.get("rationale"),
        "scenarios": texts.get("scenarios"),
        "actions": [
            {"action": p, "text": texts["actions"].get(p.pk) if texts else None}
            for p in assessment.actions.all()
        ],
        "revealed": revealed is not None,
        "kind": definition["summary"]["kind"],
        "has_scenarios": bool(definition["summary"].get("scenarios")),
    }
