"""The programme report's figures: every rule of DESIGN §4, on the database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tsunagu.cases.models import Case
from tsunagu.reports import programme
from tsunagu.testing.builders import D, case_with

pytestmark = pytest.mark.django_db

PERIOD = (D(2016, 4, 1), D(2016, 12, 31))


def report(as_of: dt.date | None = None, prefectures: tuple[str, ...] = ()) -> programme.Report:
    params = programme.Params.make(*PERIOD, as_of, prefectures)
    return programme.compute(Case.objects.all(), params)


def leaves(r: programme.Report) -> dict[str, int]:
    return {leaf: r.totals[leaf] for leaf in programme.LEAVES if r.totals[leaf]}


def test_advice_accepted_then_rejected_on_one_date_is_rejected() -> None:
    # advice_rejected follows advice_accepted in the §3 order, whatever the insert order.
    case_with(
        "13",
        "T1",
        (D(2016, 5, 1), "treatment_advised"),
        (D(2016, 5, 3), "advice_rejected", "cost"),
        (D(2016, 5, 3), "advice_accepted"),
    )
    r = report()
    assert leaves(r) == {"rejected": 1}
    assert r.totals["rejection_reasons"]["cost"] == 1
    assert r.totals["accepted"] == 0


def test_completed_and_halted_on_one_date_is_halted() -> None:
    case_with(
        "13",
        "T1",
        (D(2016, 5, 1), "treatment_advised"),
        (D(2016, 5, 2), "advice_accepted"),
        (D(2016, 5, 9), "treatment_started"),
        (D(2016, 8, 1), "treatment_halted"),
        (D(2016, 8, 1), "treatment_completed"),
    )
    assert leaves(report()) == {"halted": 1}


def test_restart_after_a_halt_is_continuing() -> None:
    case_with(
        "13",
        "T1",
        (D(2016, 5, 1), "treatment_advised"),
        (D(2016, 5, 9), "treatment_started"),
        (D(2016, 6, 1), "treatment_halted"),
        (D(2016, 7, 1), "treatment_started"),
    )
    r = report()
    assert leaves(r) == {"continuing": 1}
    assert (r.totals["accepted"], r.totals["received"]) == (1, 1)


def test_events_before_the_first_advice_belong_to_no_episode() -> None:
    case_with(
        "13",
        "T1",
        (D(2016, 4, 2), "advice_rejected", "cost"),
        (D(2016, 4, 3), "treatment_started"),
        (D(2016, 4, 4), "recurrence", "same_victim"),
        (D(2016, 5, 1), "treatment_advised"),
    )
    r = report()
    assert leaves(r) == {"undecided": 1}
    assert r.totals["recurrence"]["undecided"] == 0


def test_two_episodes_in_one_case_each_get_their_own_events() -> None:
    case_with(
        "13",
        "T1",
        (D(2016, 5, 1), "treatment_advised"),
        (D(2016, 5, 2), "advice_rejected", "blames_victim"),
        (D(2016, 9, 1), "treatment_advised"),
        (D(2016, 9, 2), "advice_accepted"),
        (D(2016, 9, 20), "appointment_scheduled", "13-C001"),
    )
    r = report()
    assert r.totals["advised"] == 2
    assert leaves(r) == {"rejected": 1, "scheduled": 1}
    assert r.totals["rejection_reasons"]["blames_victim"] == 1
    # The two episodes count one prefecture.
    assert r.totals["prefectures_advised"] == 1


def test_an_advice_before_the_period_keeps_its_events_from_the_next_one() -> None:
    case_with(
        "13",
        "T1",
        (D(2016, 3, 1), "treatment_advised"),
        (D(2016, 3, 2), "treatment_started"),
        (D(2016, 5, 1), "treatment_advised"),
        (D(2016, 5, 2), "advice_rejected"),
    )
    r = report()
    assert r.totals["advised"] == 1
    assert leaves(r) == {"rejected": 1}
    # A missing reason counts as "other".
    assert r.totals["rejection_reasons"]["other"] == 1


def test_events_after_the_as_of_date_do_not_count() -> None:
    case_with(
        "13",
        "T1",
        (D(2016, 5, 1), "treatment_advised"),
        (D(2016, 5, 2), "advice_accepted"),
        (D(2016, 6, 1), "treatment_started"),
        (D(2016, 11, 1), "treatment_completed"),
        (D(2016, 11, 2), "recurrence", "new_victim"),
    )
    case_with("27", "O1", (D(2016, 10, 1), "treatment_advised"))
    early = report(as_of=D(2016, 5, 15))
    assert leaves(early) == {"scheduled": 1}
    # The advice of October is after the as-of date: no episode yet.
    assert early.totals["advised"] == 1
    assert early.totals["prefectures_advised"] == 1
    mid = report(as_of=D(2016, 10, 31))
    assert leaves(mid) == {"continuing": 1, "undecided": 1}
    assert mid.totals["recurrence"]["not_finished"] == 0
    late = report(as_of=D(2017, 3, 31))
    assert leaves(late) == {"completed": 1, "undecided": 1}
    assert late.totals["recurrence"]["completed"] == 1
    assert late.totals["recurrence"]["not_finished"] == 0


def test_recurrence_on_the_advice_date_is_not_counted() -> None:
    case_with(
        "13",
        "T1",
        (D(2016, 5, 1), "treatment_advised"),
        (D(2016, 5, 1), "recurrence", "same_victim"),
        (D(2016, 5, 2), "treatment_started"),
    )
    case_with(
        "13",
        "T2",
        (D(2016, 5, 1), "treatment_advised"),
        (D(2016, 5, 2), "treatment_started"),
        (D(2016, 5, 2), "recurrence", "same_victim"),
        (D(2016, 6, 2), "treatment_halted"),
    )
    r = report()
    assert r.totals["recurrence"] == {
        "not_finished": 1,
        "completed": 0,
        "continuing": 0,
        "halted": 1,
        "scheduled": 0,
        "not_needed": 0,
        "rejected": 0,
        "undecided": 0,
    }


def test_scheduling_and_assessment_imply_acceptance() -> None:
    case_with(
        "13",
        "T1",
        (D(2016, 5, 1), "treatment_advised"),
        (D(2016, 5, 2), "advice_rejected", "time"),
        (D(2016, 5, 9), "appointment_scheduled"),
    )
    case_with(
        "13",
        "T2",
        (D(2016, 5, 1), "treatment_advised"),
        (D(2016, 5, 9), "assessed_not_needed"),
    )
    case_with(
        "13",
        "T3",
        (D(2016, 5, 1), "treatment_advised"),
        (D(2016, 5, 2), "assessed_not_needed"),
        (D(2016, 5, 3), "advice_rejected", "distrust"),
    )
    r = report()
    assert leaves(r) == {"scheduled": 1, "not_needed": 1, "rejected": 1}
    assert r.totals["accepted"] == 2
    assert r.totals["rejection_reasons"]["distrust"] == 1


def test_a_started_treatment_is_accepted_even_after_a_rejection() -> None:
    case_with(
        "13",
        "T1",
        (D(2016, 5, 1), "treatment_advised"),
        (D(2016, 5, 3), "treatment_started"),
        (D(2016, 5, 4), "advice_rejected", "cost"),
    )
    assert leaves(report()) == {"continuing": 1}


def test_a_corrected_event_does_not_count(officer_tokyo: Any, make_case: Any) -> None:
    from tsunagu.cases import services

    case = make_case(officer_tokyo, opened_on=D(2016, 4, 1))
    services.event_record(
        actor=officer_tokyo, case=case, date=D(2016, 5, 1), type="treatment_advised"
    )
    wrong = services.event_record(
        actor=officer_tokyo, case=case, date=D(2016, 5, 2), type="advice_rejected", detail="cost"
    )
    assert leaves(report()) == {"rejected": 1}
    services.event_correct(actor=officer_tokyo, event=wrong, reason="recorded on the wrong case")
    # The correction is dated today, after the as-of date: it voids the event anyway.
    assert leaves(report()) == {"undecided": 1}


def test_prefectures_advised_and_received_and_by_prefecture() -> None:
    case_with(
        "13", "T1", (D(2016, 5, 1), "treatment_advised"), (D(2016, 5, 3), "treatment_started")
    )
    case_with("13", "T2", (D(2016, 5, 1), "treatment_advised"))
    case_with(
        "27",
        "O1",
        (D(2016, 6, 1), "treatment_advised"),
        (D(2016, 6, 3), "advice_rejected", "sees_no_need"),
    )
    case_with(
        "01", "H1", (D(2015, 6, 1), "treatment_advised"), (D(2016, 6, 3), "treatment_started")
    )
    r = report()
    assert (r.totals["prefectures_advised"], r.totals["prefectures_received"]) == (2, 1)
    assert list(r.by_prefecture) == ["13", "27"]
    assert r.by_prefecture["13"]["advised"] == 2
    assert r.by_prefecture["13"]["received"] == 1
    assert r.by_prefecture["27"]["rejection_reasons"]["sees_no_need"] == 1
    only_osaka = report(prefectures=("27",))
    assert only_osaka.totals["advised"] == 1
    assert list(only_osaka.by_prefecture) == ["27"]


def test_json_has_exactly_the_shape_of_design_section_4() -> None:
    case_with(
        "13", "T1", (D(2016, 5, 1), "treatment_advised"), (D(2016, 5, 3), "treatment_started")
    )
    data = report().as_json()
    assert list(data) == ["period", "totals", "by_prefecture", "percentages"]
    assert data["period"] == {"from": "2016-04-01", "to": "2016-12-31", "as_of": "2016-12-31"}
    totals = data["totals"]
    assert list(totals) == [
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
        "rejection_reasons",
        "recurrence",
    ]
    assert list(totals["rejection_reasons"]) == [
        "sees_no_need",
        "blames_victim",
        "cost",
        "time",
        "distrust",
        "other",
    ]
    assert list(totals["recurrence"]) == [
        "not_finished",
        "completed",
        "continuing",
        "halted",
        "scheduled",
        "not_needed",
        "rejected",
        "undecided",
    ]
    assert set(data["by_prefecture"]["13"]) == set(totals) - {
        "prefectures_advised",
        "prefectures_received",
    }
    assert data["percentages"]["totals"]["received"] == 100.0


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (108, 293, 36.9),
        (73, 293, 24.9),
        (179, 293, 61.1),
        (1, 8, 12.5),
        (1, 3, 33.3),
        (2, 3, 66.7),
        (0, 5, 0.0),
    ],
)
def test_percentages_to_one_decimal_half_up(part: int, whole: int, expected: float) -> None:
    assert programme.percent(part, whole) == expected


def test_no_advice_in_the_period_gives_zeros() -> None:
    r = report()
    assert r.totals["advised"] == 0 and r.by_prefecture == {}
    assert programme.percentages(r.totals)["accepted"] is None


def test_report_reads_a_fixed_number_of_queries(django_assert_max_num_queries: Any) -> None:
    for i in range(30):
        case_with(
            "13" if i % 2 else "27",
            f"T{i}",
            (D(2016, 5, 1), "treatment_advised"),
            (D(2016, 5, 2), "advice_accepted"),
            (D(2016, 5, 9), "treatment_started"),
            (D(2016, 5, 9), "warning"),
        )
    # Prefecture codes, the cases advised, their corrections, their events.
    with django_assert_max_num_queries(4):
        r = report()
    assert r.totals["continuing"] == 30


def test_pseudonym_is_stable_and_keyed_by_the_secret(settings: Any) -> None:
    first = programme.pseudonym(42)
    assert first == programme.pseudonym(42)
    assert first != programme.pseudonym(43)
    assert len(first) == 12 and int(first, 16) >= 0
    settings.SECRET_KEY = "another-secret-key-for-this-test"
    assert programme.pseudonym(42) != first


def test_the_scope_restricts_the_report() -> None:
    case_with("13", "T1", (D(2016, 5, 1), "treatment_advised"))
    case_with("27", "O1", (D(2016, 5, 1), "treatment_advised"))
    params = programme.Params.make(*PERIOD)
    assert programme.compute(Case.objects.none(), params).totals["advised"] == 0
    osaka = programme.compute(Case.objects.filter(prefecture__code="27"), params)
    assert list(osaka.by_prefecture) == ["27"] and osaka.totals["advised"] == 1
    both = programme.compute(Case.objects.all(), params)
    assert both.totals["advised"] == 2
