"""The shipped npa-2016 data set, loaded with the importer, gives every published
figure of DESIGN §4 through the report, the JSON and the command line."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command

from tsunagu.cases.models import Case
from tsunagu.interchange.importer import import_files
from tsunagu.reports import programme
from tsunagu.testing.builders import D

DATA = Path(settings.BASE_DIR) / "data" / "npa-2016"


@pytest.fixture
def npa2016(db: Any) -> None:
    summary = import_files(DATA)
    assert summary.ok, summary.errors[:5]


def test_npa2016_report_gives_every_published_figure(npa2016: None) -> None:
    report = programme.compute(
        Case.objects.all(), programme.Params.make(D(2016, 4, 1), D(2016, 12, 31))
    )
    t = report.totals
    assert (t["advised"], t["prefectures_advised"]) == (293, 33)
    assert t["accepted"] == 108
    assert (t["received"], t["prefectures_received"]) == (73, 28)
    assert (t["completed"], t["continuing"], t["halted"]) == (14, 48, 11)
    assert (t["scheduled"], t["not_needed"], t["rejected"], t["undecided"]) == (13, 22, 179, 6)
    assert t["recurrence"]["not_finished"] == 5
    assert t["recurrence"]["completed"] == 0
    pct = programme.percentages(t)
    assert (pct["accepted"], pct["received"], pct["rejected"]) == (36.9, 24.9, 61.1)
    assert len(report.by_prefecture) == 33
    assert sum(f["advised"] for f in report.by_prefecture.values()) == 293
    assert sum(1 for f in report.by_prefecture.values() if f["received"]) == 28


def test_npa2016_from_the_command_line(npa2016: None) -> None:
    out = io.StringIO()
    call_command(
        "report",
        "programme",
        "--from",
        "2016-04-01",
        "--to",
        "2016-12-31",
        "--format",
        "json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["period"] == {"from": "2016-04-01", "to": "2016-12-31", "as_of": "2016-12-31"}
    totals = data["totals"]
    assert {
        k: totals[k]
        for k in (
            "advised",
            "prefectures_advised",
            "accepted",
            "received",
            "prefectures_received",
            "completed",
            "continuing",
            "halted",
            "scheduled",
            "not_needed",
            "rejected",
            "undecided",
        )
    } == {
        "advised": 293,
        "prefectures_advised": 33,
        "accepted": 108,
        "received": 73,
        "prefectures_received": 28,
        "completed": 14,
        "continuing": 48,
        "halted": 11,
        "scheduled": 13,
        "not_needed": 22,
        "rejected": 179,
        "undecided": 6,
    }
    assert totals["recurrence"]["not_finished"] == 5
    assert totals["recurrence"]["completed"] == 0
