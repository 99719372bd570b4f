"""The rules of DESIGN §5, one by one, on hand-built timelines (no database)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from tsunagu.cases.timeline import Ev, correction_detail
from tsunagu.reports import evaluation, survival
from tsunagu.reports.evaluation import Params, follow_case

D = dt.date
ADVICE = D(2016, 6, 1)


def p(**kw: object) -> Params:
    base: dict[str, object] = {"date_from": D(2016, 4, 1), "date_to": D(2016, 12, 31)}
    base["as_of"] = kw.pop("as_of", D(2018, 12, 31))
    return Params.make(**{**base, **kw})  # type: ignore[arg-type]


def follow(*events: Ev, relationship: str = "stranger", **kw: object) -> evaluation.FollowedEpisode:
    [ep] = follow_case(1, "13", relationship, list(events), p(**kw))
    return ep


def days(n: int) -> dt.date:
    return ADVICE + dt.timedelta(days=n)


def test_outcome_is_the_first_recurrence_after_the_advice() -> None:
    ep = follow(
        Ev(ADVICE, "treatment_advised"),
        Ev(days(200), "recurrence", "same_victim"),
        Ev(days(300), "recurrence", "same_victim"),
    )
    assert (ep.days, ep.event, ep.outcome_on) == (200, True, days(200))


def test_an_outcome_on_the_advice_date_does_not_count() -> None:
    ep = follow(Ev(ADVICE, "treatment_advised"), Ev(ADVICE, "recurrence", "same_victim"))
    assert ep.event is False
    assert ep.days == (D(2018, 12, 31) - ADVICE).days


def test_censored_at_the_next_advice_and_an_outcome_on_its_date_is_not_this_episodes() -> None:
    ep, nxt = follow_case(
        1,
        "13",
        "stranger",
        [
            Ev(ADVICE, "treatment_advised", key=1),
            Ev(days(150), "treatment_advised", key=2),
            Ev(days(150), "recurrence", "same_victim", key=3),
        ],
        p(),
    )
    assert (ep.days, ep.event) == (150, False)
    # The outcome on the next advice date is no outcome of the next one either
    # (strictly after its own advice date).
    assert nxt.event is False


def test_events_after_as_of_do_not_count_and_censoring_is_at_as_of() -> None:
    ep = follow(
        Ev(ADVICE, "treatment_advised"),
        Ev(days(400), "recurrence", "same_victim"),
        as_of=days(300),
    )
    assert (ep.days, ep.event) == (300, False)


def test_a_corrected_recurrence_is_no_outcome() -> None:
    wrong = Ev(days(100), "recurrence", "same_victim", key=2)
    ep = follow(
        Ev(ADVICE, "treatment_advised", key=1),
        wrong,
        Ev(days(120), "correction", correction_detail(wrong, "typo"), key=3),
        as_of=days(500),
    )
    assert (ep.days, ep.event) == (500, False)


def test_outcome_kinds() -> None:
    evs = (Ev(ADVICE, "treatment_advised"), Ev(days(100), "warning"))
    assert follow(*evs).event is False
    ep = follow(*evs, outcome="any_measure")
    assert (ep.days, ep.event) == (100, True)


def test_landmark_group_is_the_leaf_at_the_landmark() -> None:
    evs = [
        Ev(ADVICE, "treatment_advised"),
        Ev(days(10), "advice_accepted"),
        Ev(days(20), "appointment_scheduled", "C1"),
        Ev(days(120), "treatment_started"),
    ]
    assert follow(*evs).group == "accepted_not_received"
    assert follow(*evs, landmark=120).group == "received"


def test_outcome_or_censoring_on_or_before_the_landmark_is_excluded() -> None:
    at_landmark = follow(Ev(ADVICE, "treatment_advised"), Ev(days(90), "recurrence", "new_victim"))
    assert at_landmark.group is None
    after = follow(Ev(ADVICE, "treatment_advised"), Ev(days(91), "recurrence", "new_victim"))
    assert after.group == "undecided"
    censored = follow(Ev(ADVICE, "treatment_advised"), as_of=days(90))
    assert censored.group is None


def test_covariates_before_or_on_the_advice_date() -> None:
    ep = follow(
        Ev(days(-30), "emergency_order"),
        Ev(ADVICE, "arrest", "stalking"),
        Ev(ADVICE, "treatment_advised"),
        relationship="spouse_or_ex",
    )
    assert (ep.partner, ep.prior_order, ep.prior_arrest) == (True, True, True)
    later = follow(Ev(ADVICE, "treatment_advised"), Ev(days(1), "prohibition_order"))
    assert (later.partner, later.prior_order, later.prior_arrest) == (False, False, False)


def test_episodes_advised_outside_the_period_are_not_followed_but_censor() -> None:
    eps = follow_case(
        1,
        "13",
        "stranger",
        [Ev(D(2016, 3, 1), "treatment_advised"), Ev(ADVICE, "treatment_advised")],
        p(),
    )
    assert [e.advised_on for e in eps] == [ADVICE]


# --- figures --------------------------------------------------------------------------


def _episode(group: str | None, d: int, event: bool, **cov: bool) -> evaluation.FollowedEpisode:
    leaf = {"received": "completed", "accepted_not_received": "scheduled"}.get(
        group or "rejected", group or "rejected"
    )
    return evaluation.FollowedEpisode(
        1,
        "13",
        ADVICE,
        d,
        event,
        None,
        leaf,
        group,
        cov.get("partner", False),
        cov.get("prior_order", False),
        cov.get("prior_arrest", False),
    )


def test_null_rules_for_times_on_or_before_the_landmark_and_beyond_follow_up() -> None:
    # Every one of these ended follow-up on or before a landmark of 200 days.
    rows = [_episode(None, 100 + 8 * i, False) for i in range(12)]
    result = evaluation.evaluate(p(landmark=200), rows).result
    assert result["excluded_before_landmark"] == 12
    group = result["groups"]["received"]
    assert group["at"]["182"] == {"free": None, "low": None, "high": None, "at_risk": None}
    assert group["at"]["365"] == {"free": None, "low": None, "high": None, "at_risk": 0}
    assert result["overall"]["at"]["730"]["at_risk"] == 0
    assert result["overall"]["at"]["182"]["at_risk"] == 1
    assert result["overall"]["at"]["182"]["free"] == 1.0
    assert result["overall"]["at"]["182"]["low"] == 1.0


def test_a_group_under_ten_is_dropped_from_cox_and_a_constant_covariate_too() -> None:
    rows = [_episode("rejected", 100 + 10 * i, i % 3 == 0, partner=i % 2 == 0) for i in range(30)]
    rows += [_episode("received", 100 + 10 * i, i == 0, partner=True) for i in range(9)]
    rows += [_episode("undecided", 100 + 10 * i, False) for i in range(12)]
    result = evaluation.evaluate(p(), rows).result
    cox = result["cox"]
    # Groups first (the empty one too), then the constant columns, in §5's order.
    assert cox["dropped"] == [
        "received",
        "accepted_not_received",
        "undecided",
        "prior_order",
        "prior_arrest",
    ]
    assert list(cox["terms"]) == ["partner"]
    assert cox["n"] == 30
    assert result["evalue"] is None
    assert result["groups"]["received"]["n"] == 9


def test_a_group_with_no_outcome_is_dropped_and_the_reference_without_one_means_no_cox() -> None:
    rows = [_episode("rejected", 100 + 10 * i, i % 4 == 0, partner=i % 2 == 0) for i in range(20)]
    rows += [_episode("received", 100 + 10 * i, False, partner=i % 3 == 0) for i in range(15)]
    result = evaluation.evaluate(p(), rows).result
    assert result["cox"]["dropped"][:1] == ["received"]
    assert result["logrank"] is not None
    no_ref = [_episode("rejected", 200, False) for _ in range(20)]
    no_ref += [_episode("received", 200, True) for _ in range(20)]
    assert evaluation.evaluate(p(), no_ref).result["cox"] is None
    neither = [_episode("rejected", 200, False), _episode("received", 200, False)]
    assert evaluation.evaluate(p(), neither).result["logrank"] is None


def test_median_is_first_time_s_at_or_below_half_in_days_from_advice() -> None:
    rows = [_episode("rejected", 100 + 10 * i, True) for i in range(4)]
    result = evaluation.evaluate(p(landmark=90), rows).result
    # Landmark clock times 10, 20, 30, 40: S = .75, .5 → median 20 + 90.
    assert result["groups"]["rejected"]["median_days"] == 110.0
    assert result["overall"]["median_days"] == 110.0


def test_e_value_rare_branch() -> None:
    term = {"hr": 0.5, "low": 0.3, "high": 0.8}
    e = survival.evalue(term, cumulative=0.10)
    assert e is not None
    assert e["point"] == pytest.approx(2 + math.sqrt(2))
    assert e["limit"] == pytest.approx(1.25 + math.sqrt(1.25 * 0.25))
    crossing = survival.evalue({"hr": 0.5, "low": 0.3, "high": 1.2}, cumulative=0.10)
    assert crossing is not None and crossing["limit"] == 1.0


def test_e_value_common_branch() -> None:
    def rr(hr: float) -> float:
        return (1 - 0.5 ** math.sqrt(hr)) / (1 - 0.5 ** math.sqrt(1 / hr))

    e = survival.evalue({"hr": 0.5, "low": 0.3, "high": 0.8}, cumulative=0.15)
    assert e is not None
    point = 1 / rr(0.5)
    assert e["point"] == pytest.approx(point + math.sqrt(point * (point - 1)))
    limit = 1 / rr(0.8)
    assert e["limit"] == pytest.approx(limit + math.sqrt(limit * (limit - 1)))
    above = survival.evalue({"hr": 2.0, "low": 1.5, "high": 3.0}, cumulative=0.5)
    assert above is not None
    assert above["limit"] == pytest.approx(rr(1.5) + math.sqrt(rr(1.5) * (rr(1.5) - 1)))
