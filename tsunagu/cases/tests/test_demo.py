from __future__ import annotations

from collections import Counter
from io import StringIO

from tsunagu.cases import demo
from tsunagu.cases.models import Case, Event, Person
from tsunagu.core import demo as core_demo
from tsunagu.core.models import AuditEvent


def _counts() -> tuple[int, int, int, int]:
    return (
        Case.objects.count(),
        Event.objects.count(),
        Person.objects.count(),
        AuditEvent.objects.count(),
    )


def test_demo_cases_are_realistic_and_loading_twice_changes_nothing(db):
    core_demo.load(StringIO())
    out = StringIO()
    demo.load(out)
    first = _counts()
    histories = sum(n for _, n, _ in demo.PREFECTURES.values())
    assert first[0] == histories + sum(demo.COHORT.values())
    assert "140 created" in out.getvalue()
    demo.load(StringIO())
    assert _counts() == first

    prefectures = set(Case.objects.values_list("prefecture__code", flat=True))
    assert prefectures == {"13", "27", "14", "23", "40"}
    relationships = Counter(Case.objects.values_list("relationship", flat=True))
    assert relationships.most_common(1)[0][0] == "partner_or_ex"
    types = Counter(Event.objects.values_list("type", flat=True))
    assert types["warning"] > 10 and types["correction"] >= 1
    assert {"prohibition_order", "arrest", "treatment_advised"} <= set(types)
    assert set(Event.objects.filter(type="arrest").values_list("detail", flat=True)) <= {
        "stalking",
        "order_violation",
        "other",
    }
    assert Event.objects.filter(type="emergency_order", date__lt="2017-06-14").count() == 0
    # Every case's cached list columns agree with its timeline.
    for case in Case.objects.prefetch_related("events"):
        state = case.state()
        assert (case.is_open, case.latest_measure) == (state.is_open, state.latest_measure)
    assert Person.objects.filter(role="victim").exclude(address="").count() >= 40
