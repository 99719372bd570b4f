"""Invariants of the pure timeline (tsunagu.cases.timeline), checked with hypothesis."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from tsunagu.cases import timeline
from tsunagu.cases.timeline import Ev

START = dt.date(2016, 4, 1)
TYPES = [t for t in timeline.EVENT_ORDER if t != "correction"]
# Few and clustered types make episodes with answers, treatment and recurrences likely.
PROGRAMME_TYPES = [
    "treatment_advised",
    "advice_accepted",
    "advice_rejected",
    "advice_undecided",
    "appointment_scheduled",
    "assessed_not_needed",
    "treatment_started",
    "treatment_completed",
    "treatment_halted",
    "recurrence",
    "warning",
    "case_closed",
]
DETAILS = ["", "other", "cost", "stalking", "same_victim", "new_victim", "note"]

# Timing is measured by the benchmarks; a busy shared machine must not fail a test.
NO_DEADLINE = settings(deadline=None)


def _event(day: int, kind: str, detail: str) -> tuple[dt.date, str, str]:
    return (START + dt.timedelta(days=day), kind, detail)


raw_events = st.lists(
    st.tuples(
        st.integers(0, 40),
        st.one_of(st.sampled_from(PROGRAMME_TYPES), st.sampled_from(TYPES)),
        st.sampled_from(DETAILS),
    ).map(lambda t: _event(*t)),
    max_size=25,
)


def keyed(items: list[tuple[dt.date, str, str]], first_key: int = 1) -> list[Ev]:
    return [Ev(d, t, x, first_key + i) for i, (d, t, x) in enumerate(items)]


@st.composite
def timelines(draw: st.DrawFn) -> list[Ev]:
    """Events plus some corrections of them, each with a distinct key."""
    events = keyed(draw(raw_events))
    corrections = []
    if events:
        for target in draw(st.lists(st.sampled_from(events), max_size=3)):
            day = target.date + dt.timedelta(days=draw(st.integers(0, 20)))
            corrections.append(
                (day, "correction", timeline.correction_detail(target, draw(st.sampled_from("ab"))))
            )
    return events + keyed(corrections, first_key=len(events) + 1)


def summary(events: list[Ev], as_of: dt.date | None) -> tuple:
    state = timeline.case_state(events, as_of)
    leaves = tuple((ep.advised, timeline.classify(ep)) for ep in timeline.episodes(events, as_of))
    return (state.is_open, state.latest_measure, state.latest_measure_on, leaves)


@NO_DEADLINE
@given(timelines())
def test_every_episode_falls_in_exactly_one_consistent_leaf(events):
    for episode in timeline.episodes(events):
        c = timeline.classify(episode)
        assert c.leaf in timeline.LEAVES
        assert c.received == (c.leaf in ("completed", "continuing", "halted"))
        assert (c.accepted and not c.received) == (c.leaf in ("scheduled", "not_needed"))
        assert (not c.accepted) == (c.leaf in ("rejected", "undecided"))
        if c.leaf == "rejected":
            assert c.rejection_reason in timeline.REJECTION_REASONS
        else:
            assert c.rejection_reason is None


@NO_DEADLINE
@given(timelines())
def test_received_is_a_subset_of_accepted(events):
    classes = [timeline.classify(ep) for ep in timeline.episodes(events)]
    received = {i for i, c in enumerate(classes) if c.received}
    accepted = {i for i, c in enumerate(classes) if c.accepted}
    assert received <= accepted


@NO_DEADLINE
@given(timelines(), st.randoms(use_true_random=False))
def test_input_order_never_changes_the_result(events, rnd):
    shuffled = list(events)
    rnd.shuffle(shuffled)
    for as_of in (None, START + dt.timedelta(days=20)):
        assert summary(shuffled, as_of) == summary(events, as_of)
        assert timeline.effective(shuffled, as_of) == timeline.effective(events, as_of)


@NO_DEADLINE
@given(timelines(), st.integers(0, 40), raw_events)
def test_events_dated_after_as_of_never_change_the_result(events, cut, later):
    as_of = START + dt.timedelta(days=cut)
    extra = [(as_of + dt.timedelta(days=1 + (d - START).days), t, x) for d, t, x in later]
    more = events + keyed(extra, first_key=len(events) + 1)
    assert summary(more, as_of) == summary(events, as_of)


@NO_DEADLINE
@given(timelines(), st.data())
def test_a_correction_voids_exactly_its_target(events, data):
    plain = [ev for ev in events if ev.type != "correction"]
    if not plain:
        return
    target = data.draw(st.sampled_from(plain))
    correction = Ev(target.date, "correction", timeline.correction_detail(target, "mistake"), 999)
    before = timeline.effective(events)
    after = timeline.effective([*events, correction])
    identity = (target.type, target.date, target.detail)
    assert after == [ev for ev in before if (ev.type, ev.date, ev.detail) != identity]
    assert target not in after


@NO_DEADLINE
@given(timelines())
def test_every_event_from_the_first_advice_on_belongs_to_one_episode(events):
    effective = timeline.effective(events)
    eps = timeline.episodes(events)
    first = next((i for i, ev in enumerate(effective) if ev.type == "treatment_advised"), None)
    expected = 0 if first is None else len(effective) - first
    assert sum(1 + len(ep.events) for ep in eps) == expected
    assert list(timeline.case_state(events).episodes) == eps


@settings(max_examples=50, deadline=None)
@given(timelines(), st.sampled_from(TYPES), st.integers(0, 60), st.sampled_from(DETAILS))
def test_check_new_event_never_accepts_a_future_date_or_a_duplicate(events, kind, day, detail):
    today = START + dt.timedelta(days=30)
    new = Ev(START + dt.timedelta(days=day), kind, detail)
    try:
        timeline.check_new_event(events, new, today)
    except timeline.Refusal as refusal:
        assert refusal.field in ("type", "date", "detail")
        return
    assert new.date <= today
    assert (new.type, new.date, new.detail) not in {
        (e.type, e.date, e.detail) for e in timeline.effective(events)
    }


def test_example_received_completed_and_recurrence():
    d = START
    events = keyed(
        [
            (d, "consultation", ""),
            (d + dt.timedelta(1), "treatment_advised", ""),
            (d + dt.timedelta(2), "advice_accepted", ""),
            (d + dt.timedelta(3), "treatment_started", ""),
            (d + dt.timedelta(9), "treatment_completed", ""),
            (d + dt.timedelta(20), "recurrence", "same_victim"),
        ]
    )
    (episode,) = timeline.episodes(events)
    c = timeline.classify(episode)
    assert (c.leaf, c.accepted, c.received, c.recurred) == ("completed", True, True, True)
    early = timeline.episodes(events, d + dt.timedelta(2))
    assert timeline.classify(early[0]).leaf == "scheduled"
    random.Random(1).shuffle(events)
    assert timeline.classify(timeline.episodes(events)[0]).leaf == "completed"
