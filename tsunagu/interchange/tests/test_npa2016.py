"""The shipped npa-2016 set reproduces the NPA's figures for April–December 2016."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from tsunagu.cases.models import Case, Event
from tsunagu.interchange import npa2016
from tsunagu.interchange.importer import import_files

DATA = Path(settings.BASE_DIR) / "data" / "npa-2016"

# Written out by hand from DESIGN §4 (and the set's own reasons and recurrences).
EXPECTED = {
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
    "rejection_reasons": {
        "sees_no_need": 104,
        "blames_victim": 27,
        "cost": 18,
        "time": 12,
        "distrust": 9,
        "other": 9,
    },
    "recurrence": {
        "completed": 0,
        "continuing": 3,
        "halted": 2,
        "scheduled": 0,
        "not_needed": 1,
        "rejected": 12,
        "undecided": 0,
    },
}


def test_npa2016_files_loaded_reproduce_every_published_figure(db):
    summary = import_files(DATA)
    assert summary.ok, summary.errors[:5]
    rows = [
        (ref, pref, day.isoformat(), type_, detail)
        for ref, pref, day, type_, detail in Event.objects.values_list(
            "case__ref", "case__prefecture__code", "date", "type", "detail"
        )
    ]
    got = npa2016.figures(rows)
    assert got == EXPECTED
    assert EXPECTED["recurrence"]["continuing"] + EXPECTED["recurrence"]["halted"] == 5  # type: ignore[index]


def test_npa2016_consultation_history_is_a_tenth_of_2016(db):
    import_files(DATA)
    opened_2016 = Case.objects.filter(opened_on__year=2016).count()
    assert opened_2016 == 22_737 // 10
    assert Case.objects.values("prefecture").distinct().count() == 47


def test_npa2016_generator_rewrites_the_committed_files_byte_for_byte(tmp_path):
    cases, events = npa2016.build()
    npa2016.check(events)
    from tsunagu.interchange import synth

    synth.write_sorted(tmp_path, cases, events)
    for name in ("cases.csv", "events.csv"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes()


def test_npa2016_holds_no_personal_data():
    text = (DATA / "cases.csv").read_text(encoding="utf-8-sig").splitlines()
    header = text[0].split(",")
    personal = [header.index(c) for c in ("offender_name", "victim_name", "victim_address")]
    for line in text[1:]:
        cells = line.split(",")
        assert all(cells[i] == "" for i in personal)
