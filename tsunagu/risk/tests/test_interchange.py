"""The `risk_assessed` events go through the interchange round trip like any event."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tsunagu.cases import timeline
from tsunagu.cases.models import Case
from tsunagu.core.models import User
from tsunagu.interchange.exporter import export
from tsunagu.interchange.importer import import_files
from tsunagu.risk.tests.helpers import RISK_MARKERS, assess, load

pytestmark = pytest.mark.django_db


def test_round_trip_keeps_levels_and_their_corrections(
    tmp_path: Path, officer_tokyo: User, make_case: Any
) -> None:
    from tsunagu.cases import services

    case = make_case(officer_tokyo, ref="RISK-RT")
    instrument = load("external")
    assess(officer_tokyo, case, instrument, on=dt.date(2016, 6, 1), level="low")
    wrong = assess(officer_tokyo, case, instrument, on=dt.date(2016, 6, 5), level="top")
    services.event_correct(actor=officer_tokyo, event=wrong.event, reason="wrong case")
    assert timeline.risk_level(case.timeline_events()) == (dt.date(2016, 6, 1), "low")
    export(tmp_path / "a", include_personal=True)
    exported = (tmp_path / "a" / "events.csv").read_text(encoding="utf-8-sig")
    assert "risk_assessed" in exported
    for marker in RISK_MARKERS:
        assert marker not in exported  # answers and texts stay out of the interchange
    Case.objects.all().delete()
    summary = import_files(tmp_path / "a")
    assert summary.ok, summary.errors
    export(tmp_path / "b", include_personal=True)
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    again = Case.objects.get(ref="RISK-RT")
    assert timeline.risk_level(again.timeline_events()) == (dt.date(2016, 6, 1), "low")
