"""The national generator: deterministic, valid, and in the NPA's ranges."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command

from tsunagu.interchange import npa2016
from tsunagu.interchange.generate import generate
from tsunagu.interchange.importer import import_files


def rows(path):
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [tuple(r) for r in csv.reader(fh)][1:]


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        generate(tmp_path / name, years=1, seed=seed, scale=0.01)
    a, b, c = ((tmp_path / n / "events.csv").read_bytes() for n in "abc")
    assert a == b and a != c


def test_rates_are_in_the_published_ranges(tmp_path):
    """2016 and 2024 at a quarter of national scale: cases, events, advice and outcomes."""
    found = {}
    for y in (2016, 2024):
        summary = generate(tmp_path / str(y), years=1, start_year=y, seed=1, scale=0.25)
        cases = rows(tmp_path / str(y) / "cases.csv")
        events = rows(tmp_path / str(y) / "events.csv")
        assert summary.cases == len(cases)
        assert 19_000 < len(cases) / 0.25 < 25_000  # about 22,000 cases a year
        assert 5.5 < len(events) / len(cases) < 7.5  # ~1.5M events for 10 national years
        found[y] = npa2016.figures(events, dt.date(y, 1, 1), dt.date(y, 12, 31), dt.date(y, 12, 31))
    early, late = found[2016], found[2024]
    assert 50 < early["advised"] < 110  # ~300 × 0.25
    assert 650 < late["advised"] < 950  # ~3,300 × 0.25
    for figures, accepted, received in (
        (early, (0.25, 0.5), (0.15, 0.35)),
        (late, (0.08, 0.18), (0.03, 0.09)),
    ):
        assert accepted[0] < figures["accepted"] / figures["advised"] < accepted[1]
        assert received[0] < figures["received"] / figures["advised"] < received[1]


@pytest.mark.django_db
def test_generated_set_imports_cleanly_with_fictitious_names(tmp_path):
    call_command(
        "generate", str(tmp_path), "--years", "1", "--scale", "small", "--personal", "fictitious"
    )
    summary = import_files(tmp_path)
    assert summary.ok, summary.errors[:3]
    assert summary.cases_created == len(rows(tmp_path / "cases.csv"))
    assert all(r[10] for r in rows(tmp_path / "cases.csv"))  # victim_name filled


@pytest.mark.django_db
def test_reimporting_a_set_with_personal_data_changes_nothing(tmp_path):
    generate(tmp_path, years=1, seed=2, scale=0.005, personal="fictitious")
    first = import_files(tmp_path)
    again = import_files(tmp_path)
    assert again.ok, again.errors[:3]
    assert (again.cases_created, again.events_created) == (0, 0)
    assert (again.cases_unchanged, again.events_unchanged) == (
        first.cases_created,
        first.events_created,
    )


@pytest.mark.django_db
def test_assessments_are_optional_and_import_with_the_demo_instrument(tmp_path):
    from tsunagu.risk.demo import load as load_demo
    from tsunagu.risk.models import Assessment

    generate(tmp_path / "plain", years=1, seed=3, scale=0.01)
    summary = generate(tmp_path / "assessed", years=1, seed=3, scale=0.01, assessments=True)
    assert not (tmp_path / "plain" / "assessments.csv").exists()
    for name in ("cases.csv", "events.csv"):  # the same cases and events with or without
        assert (tmp_path / "plain" / name).read_bytes() == (
            tmp_path / "assessed" / name
        ).read_bytes()
    assessed = rows(tmp_path / "assessed" / "assessments.csv")
    assert summary.assessments == len(assessed) > 0
    assert {r[3:5] for r in assessed} == {("tsunagu-demo", "1")}
    refused = import_files(tmp_path / "assessed")
    assert not refused.ok and {e.column for e in refused.errors} == {"instrument"}
    load_demo(io.StringIO())
    imported = import_files(tmp_path / "assessed")
    assert imported.ok, imported.errors[:3]
    assert Assessment.objects.count() == len(assessed)
