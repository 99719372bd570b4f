"""Instruments and assessments for the risk tests (all written for the tests)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from tsunagu.cases.models import Case
from tsunagu.core.models import User
from tsunagu.risk import instruments, services, summary
from tsunagu.risk.models import Assessment, Instrument

NOTE = "RISK-NOTE-MARKER"
RATIONALE = "RISK-RATIONALE-MARKER"
SCENARIO = "RISK-SCENARIO-MARKER"
ACTION = "RISK-ACTION-MARKER"
RISK_MARKERS = (NOTE, RATIONALE, SCENARIO, ACTION)

BASE: dict[str, Any] = {
    "name": "test-form",
    "version": "1",
    "language": "en",
    "title": {"en": "Test form", "ja": "テスト票"},
    "levels": [
        {"code": "low", "order": 1, "label": {"en": "Low", "ja": "低"}},
        {"code": "mid", "order": 2, "label": {"en": "Mid", "ja": "中"}},
        {"code": "top", "order": 3, "label": {"en": "Top", "ja": "最高"}},
    ],
    "scales": {
        "yn": [
            {"value": "y", "positive": True, "label": {"en": "Yes"}},
            {"value": "n", "label": {"en": "No"}},
        ]
    },
    "sections": [
        {
            "id": "s1",
            "title": {"en": "Section"},
            "items": [
                {"id": "v1", "text": {"en": "Q1"}, "answered_by": "victim", "scale": "yn"},
                {"id": "v2", "text": {"en": "Q2"}, "answered_by": "victim", "scale": "yn"},
                {
                    "id": "o1",
                    "text": {"en": "Q3"},
                    "answered_by": "officer",
                    "scale": "yn",
                    "required": False,
                },
            ],
        }
    ],
}


def definition(kind: str = "judgement", **changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc["name"] = f"test-{kind}"
    doc["summary"] = {"kind": kind}
    if kind == "judgement":
        doc["summary"].update(scenarios=True, plan=True)
    if kind == "count":
        doc["summary"]["thresholds"] = [
            {"at_least": 0, "level": "low"},
            {"at_least": 1, "level": "mid"},
            {"at_least": 2, "level": "top"},
        ]
    doc.update(changes)
    return doc


def load(kind: str = "judgement", **changes: Any) -> Instrument:
    return instruments.load(definition(kind, **changes))[0]


def answers(v1: str = "y", v2: str = "n", note: str = NOTE) -> dict[str, summary.Answer]:
    return {"v1": summary.Answer(v1, note), "v2": summary.Answer(v2)}


def assess(
    officer: User, case: Case, instrument: Instrument, on: dt.date = dt.date(2016, 6, 1), **kw: Any
) -> Assessment:
    kind = instrument.kind
    data = services.AssessmentData(
        instrument=instrument,
        date=on,
        answers=kw.pop("answers", answers()),
        level=kw.pop("level", "" if kind == "count" else "top"),
        rationale=kw.pop("rationale", RATIONALE if kind == "judgement" else ""),
        **kw,
    )
    return services.assessment_record(actor=officer, case=case, data=data)
