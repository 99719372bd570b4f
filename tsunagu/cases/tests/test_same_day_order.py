"""Events of one date (DESIGN §4): the interchange's listed types in list order,
everything else in the order it was recorded; a write that changes nothing is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsunagu.cases import timeline
from tsunagu.cases.timeline import Ev

DAY = dt.date(2016, 6, 1)
TODAY = dt.date(2017, 1, 1)
UNLISTED = [t for t in timeline.EVENT_ORDER if t not in timeline.INTERCHANGE_TYPES]
ANY_TYPE = st.sampled_from([t for t in timeline.EVENT_ORDER if t != "correction"])
STATUS_STEPS = ("case_closed", "case_reopened", "consent_police_to_clinic", "withdraw")


@st.composite
def one_day(draw: st.DrawFn) -> list[Ev]:
    """Events over three dates, many on one, keyed in the order they were recorded."""
    items = draw(
        st.lists(
            st.tuples(st.integers(0, 2), ANY_TYPE, st.sampled_from(["", "a", "b"])),
            max_size=20,
        )
    )
    return [Ev(DAY + dt.timedelta(days=d), t, x, i + 1) for i, (d, t, x) in enumerate(items)]


@settings(deadline=None)
@given(one_day(), st.randoms(use_true_random=False))
def test_listed_types_follow_the_list_and_the_rest_keep_their_recorded_order(events, rnd):
    shuffled = list(events)
    rnd.shuffle(shuffled)
    result = timeline.ordered(shuffled)
    assert sorted(result) == sorted(events)
    rank = {t: i for i, t in enumerate(timeline.INTERCHANGE_TYPES)}
    for day in {ev.date for ev in events}:
        same = [ev for ev in result if ev.date == day]
        recorded = sorted(same, key=lambda ev: ev.key)
        listed = [ev for ev in same if ev.type in rank]
        # listed types: list order, and recorded order within one type
        assert listed == sorted(listed, key=lambda ev: (rank[ev.type], ev.key))
        # every other event stays where its recorded order puts it
        for i, ev in enumerate(same):
            if ev.type not in rank:
                assert recorded[i] == ev
    assert [ev.date for ev in result] == sorted(ev.date for ev in result)


@settings(deadline=None)
@given(st.lists(st.sampled_from(STATUS_STEPS), max_size=12))
def test_an_accepted_status_change_on_one_date_is_the_one_that_counts(steps):
    """Each accepted close, reopen, consent or withdrawal changes the derived state,
    and the state is that of the last one accepted; a no-op is refused."""
    events = [Ev(DAY, "consultation", "", 1)]
    open_, consent = True, False
    for i, step in enumerate(steps):
        note = f"n{i}"  # each write its own identity, as a note would make it
        kind = "consent_police_to_clinic_withdrawn" if step == "withdraw" else step
        new = Ev(DAY, kind, note, 0)
        before = timeline.case_state(events)
        try:
            timeline.check_new_event(events, new, TODAY)
        except timeline.Refusal:
            if kind == "case_closed":
                assert not open_
            elif kind == "case_reopened":
                assert open_
            elif kind == "consent_police_to_clinic":
                assert consent or not open_
            else:
                assert not consent or not open_
            continue
        events.append(new._replace(key=len(events) + 1))
        after = timeline.case_state(events)
        if kind.startswith("case_"):
            open_ = kind == "case_reopened"
            assert after.is_open == open_ != before.is_open
        else:
            consent = kind == "consent_police_to_clinic"
            assert timeline.consent(events, "police_to_clinic") == consent
    assert timeline.case_state(events).is_open == open_


def test_close_reopen_close_on_one_date_leaves_the_case_closed():
    events = [Ev(DAY, "consultation", "", 1)]
    for kind in ("case_closed", "case_reopened", "case_closed"):
        new = Ev(DAY, kind, f"{kind}-{len(events)}", 0)
        timeline.check_new_event(events, new, TODAY)
        events.append(new._replace(key=len(events) + 1))
    assert timeline.case_state(events).is_open is False


def test_closing_a_case_already_closed_on_that_date_is_refused():
    events = [Ev(DAY, "consultation", "", 1), Ev(DAY, "case_closed", "", 2)]
    with pytest.raises(timeline.Refusal) as err:
        timeline.check_new_event(events, Ev(DAY, "case_closed", "again", 0), TODAY)
    assert err.value.message == "The case is already closed on that date."
    assert err.value.field == "date"


def test_rejection_follows_acceptance_of_one_date_whatever_was_recorded_first():
    events = [
        Ev(DAY, "treatment_advised", "", 1),
        Ev(DAY, "advice_rejected", "cost", 2),
        Ev(DAY, "advice_accepted", "", 3),
    ]
    assert [ev.type for ev in timeline.ordered(events)] == [
        "treatment_advised",
        "advice_accepted",
        "advice_rejected",
    ]
    (episode,) = timeline.episodes(events)
    assert timeline.classify(episode).leaf == "rejected"


def test_unlisted_types_of_one_date_keep_their_recorded_order():
    assert "case_reopened" in UNLISTED and "case_closed" in UNLISTED
    events = [Ev(DAY, "case_reopened", "", 1), Ev(DAY, "case_closed", "", 2)]
    assert timeline.ordered(reversed(events)) == events


def test_close_reopen_close_through_the_service_and_the_api(client, officer_tokyo, make_case):
    from tsunagu.cases import services

    case = make_case(officer_tokyo, opened_on=DAY)
    for i, kind in enumerate(("case_closed", "case_reopened", "case_closed")):
        services.police_event_record(
            actor=officer_tokyo, case=case, date=DAY, type=kind, detail=f"note {i}"
        )
    case.refresh_from_db()
    assert case.is_open is False and case.state().is_open is False
    client.force_login(officer_tokyo)
    again = client.post(
        f"/api/v1/cases/{case.pk}/events",
        {"date": DAY.isoformat(), "type": "case_closed", "detail": "note 3"},
        content_type="application/json",
    )
    assert again.status_code == 422
    assert again.json()["detail"][0]["loc"] == ["body", "date"]
