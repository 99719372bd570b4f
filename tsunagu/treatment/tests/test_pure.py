"""The pure rules: working days, police view after consent withdrawal, conditions."""

from __future__ import annotations

import datetime as dt

import jpholiday
from hypothesis import given
from hypothesis import strategies as st

from tsunagu.cases import timeline
from tsunagu.cases.timeline import Ev
from tsunagu.treatment import derive, workdays

D = dt.date
days = st.dates(min_value=D(2015, 1, 1), max_value=D(2030, 12, 31))


def test_deadline_skips_weekend_and_golden_week() -> None:
    # Sent Wednesday 2016-04-27: 4/28 works; 4/29 Shōwa Day, 5/3–5/5 holidays, so the
    # five working days are 4/28, 5/2, 5/6, 5/9, 5/10.
    assert workdays.answer_due(D(2016, 4, 27), 5) == D(2016, 5, 10)
    assert workdays.answer_due(D(2016, 4, 28), 5) == D(2016, 5, 11)


def test_deadline_skips_the_year_end_closure() -> None:
    # Sent Monday 2016-12-26: 27, 28 work; 29 Dec – 3 Jan closed; 4, 5, 6 Jan work.
    assert workdays.answer_due(D(2016, 12, 26), 5) == D(2017, 1, 6)


def test_overdue_only_after_the_due_day() -> None:
    due = workdays.answer_due(D(2016, 6, 2), 5)
    assert not workdays.is_overdue(D(2016, 6, 2), due, 5)
    assert workdays.is_overdue(D(2016, 6, 2), due + dt.timedelta(days=1), 5)


@given(days, st.integers(min_value=0, max_value=30))
def test_deadline_counts_exactly_n_workdays(start: dt.date, n: int) -> None:
    due = workdays.add_workdays(start, n)
    between = [start + dt.timedelta(days=i) for i in range(1, (due - start).days + 1)]
    assert sum(workdays.is_workday(d) for d in between) == n
    if n:
        assert workdays.is_workday(due)


@given(days)
def test_no_workday_is_a_holiday_weekend_or_closure(day: dt.date) -> None:
    if workdays.is_workday(day):
        assert day.weekday() < 5
        assert not jpholiday.is_holiday(day)
        assert not ((day.month, day.day) >= (12, 29) or (day.month, day.day) <= (1, 3))


@given(days, st.integers(min_value=0, max_value=20), st.integers(min_value=0, max_value=20))
def test_deadline_is_monotonic(start: dt.date, a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert workdays.add_workdays(start, lo) <= workdays.add_workdays(start, hi)


LOOP = [
    Ev(D(2016, 5, 10), "consultation", "", 1),
    Ev(D(2016, 6, 1), "treatment_advised", "in_person", 2),
    Ev(D(2016, 6, 1), "advice_accepted", "", 3),
    Ev(D(2016, 6, 1), "consent_police_to_clinic", "written", 4),
    Ev(D(2016, 6, 1), "consent_clinic_to_police", "written", 5),
    Ev(D(2016, 6, 2), "referral_sent", "13-C001", 6),
    Ev(D(2016, 6, 3), "referral_acknowledged", "", 7),
    Ev(D(2016, 6, 3), "appointment_scheduled", "13-C001|2016-06-10", 8),
]


def test_police_see_no_clinic_status_after_withdrawal() -> None:
    events = [
        *LOOP,
        Ev(D(2016, 6, 5), "consent_clinic_to_police_withdrawn", "", 9),
        Ev(D(2016, 6, 10), "treatment_started", "", 10),
        Ev(D(2016, 7, 1), "treatment_halted", "moved", 11),
    ]
    shown = derive.police_view(events)
    assert [ev.type for ev in shown][-1] == "consent_clinic_to_police_withdrawn"
    view = derive.referral_view(shown, D(2016, 6, 1), D(2016, 6, 2), "13-C001")
    assert view.stage == "scheduled"
    full = derive.referral_view(events, D(2016, 6, 1), D(2016, 6, 2), "13-C001")
    assert full.stage == "halted"


def test_police_see_status_again_once_consent_is_given_again() -> None:
    events = [
        *LOOP,
        Ev(D(2016, 6, 5), "consent_clinic_to_police_withdrawn", "", 9),
        Ev(D(2016, 6, 10), "treatment_started", "", 10),
        Ev(D(2016, 6, 20), "consent_clinic_to_police", "written", 11),
        Ev(D(2016, 7, 1), "treatment_completed", "", 12),
    ]
    types = [ev.type for ev in derive.police_view(events)]
    assert "treatment_started" not in types
    assert "treatment_completed" in types


clinic_types = st.sampled_from(timeline.CLINIC_EVENTS)
any_types = st.sampled_from(timeline.EVENT_ORDER[:-1])


@given(
    st.lists(st.tuples(st.integers(min_value=0, max_value=60), any_types), min_size=1, max_size=25),
    st.integers(min_value=0, max_value=60),
)
def test_police_view_hides_exactly_clinic_events_while_withdrawn(
    raw: list[tuple[int, str]], withdraw_at: int
) -> None:
    base = D(2016, 6, 1)
    events = [Ev(base + dt.timedelta(days=d), t, "", i + 1) for i, (d, t) in enumerate(raw)]
    events.append(
        Ev(base + dt.timedelta(days=withdraw_at), "consent_clinic_to_police_withdrawn", "", 999)
    )
    shown = derive.police_view(events)
    shown_keys = {ev.key for ev in shown}
    withdrawn = False
    for ev in timeline.effective(events):
        if ev.type == "consent_clinic_to_police":
            withdrawn = False
        if ev.type == "consent_clinic_to_police_withdrawn":
            withdrawn = True
        hidden = withdrawn and ev.type in timeline.CLINIC_STATUS_EVENTS
        assert (ev.key in shown_keys) == (not hidden)
        assert (ev.key in derive.hidden_from_police(events)) == hidden


def test_contact_report_during_an_active_condition_is_a_breach() -> None:
    events = [
        Ev(D(2016, 5, 10), "consultation", "", 1),
        Ev(D(2016, 6, 1), "condition_set", "prohibition_order|2017-05-31", 2),
        Ev(D(2016, 9, 1), "recurrence", "same_victim", 3),
        Ev(D(2017, 7, 1), "consultation", "", 4),
    ]
    breaches = derive.condition_breaches(events)
    assert [(ev.date, c.kind) for ev, c in breaches] == [(D(2016, 9, 1), "prohibition_order")]


def test_ended_condition_no_longer_flags() -> None:
    events = [
        Ev(D(2016, 6, 1), "condition_set", "no_contact|", 1),
        Ev(D(2016, 8, 1), "condition_ended", "no_contact|", 2),
        Ev(D(2016, 9, 1), "recurrence", "same_victim", 3),
    ]
    assert derive.condition_breaches(events) == []


def test_recurrence_phase_follows_the_treatment() -> None:
    events = [
        *LOOP,
        Ev(D(2016, 6, 10), "treatment_started", "", 9),
        Ev(D(2016, 6, 20), "recurrence", "same_victim", 10),
        Ev(D(2016, 7, 1), "treatment_halted", "moved", 11),
        Ev(D(2016, 8, 1), "recurrence", "new_victim", 12),
    ]
    phases = [(ev.date, phase) for ev, phase in derive.recurrences_with_phase(events)]
    assert phases == [(D(2016, 6, 20), "continuing"), (D(2016, 8, 1), "halted")]


def test_proposals_follow_the_latest_trigger_and_drop_planned_ones() -> None:
    events = [
        Ev(D(2016, 5, 10), "consultation", "", 1),
        Ev(D(2016, 5, 20), "warning", "", 2),
        Ev(D(2016, 6, 20), "warning", "", 3),
    ]
    intervals = {"warning": [30, 90], "order": [30], "treatment": [30]}
    proposals = derive.followup_proposals(events, intervals, [("warning", D(2016, 6, 20), 30)])
    assert [(p.source_date, p.offset_days, p.due_on) for p in proposals] == [
        (D(2016, 6, 20), 90, D(2016, 9, 18))
    ]


@given(st.lists(st.integers(min_value=1, max_value=730), max_size=6))
def test_parse_days_round_trips(values: list[int]) -> None:
    assert derive.parse_days(", ".join(str(v) for v in values)) == sorted(set(values))


def test_referral_events_split_at_the_next_referral() -> None:
    events = [
        *LOOP,
        Ev(D(2016, 6, 10), "treatment_started", "", 9),
        Ev(D(2016, 7, 1), "treatment_halted", "moved", 10),
        Ev(D(2016, 7, 5), "referral_sent", "13-C002", 11),
    ]
    first = derive.referral_view(events, D(2016, 6, 1), D(2016, 6, 2), "13-C001")
    second = derive.referral_view(events, D(2016, 6, 1), D(2016, 7, 5), "13-C002")
    assert (first.stage, first.is_current) == ("halted", False)
    assert (second.stage, second.is_current) == ("sent", True)
    assert first.appointment_on == D(2016, 6, 10)
