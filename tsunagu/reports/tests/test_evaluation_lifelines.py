"""The §5 figures against an independent hand computation on generated data.

`survival` calls lifelines itself; what can go wrong is the preparation around
it (which episodes, which clock, the value read at day t, the number at risk,
the median, the Cox design). So the figures are recomputed here from the
episodes alone, by the textbook formulas and by a separately built lifelines
model, and must agree within 1e-6 (proportions) and 1e-4 relative (the rest).
"""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest

from tsunagu.reports import evaluation

Z = 1.959963984540054


def _episodes(seed: int, n: int = 400, grain: int = 1) -> list[evaluation.FollowedEpisode]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        group = rng.choice(
            ("received", "accepted_not_received", "rejected", "rejected", "undecided")
        )
        partner, order, arrest = rng.random() < 0.5, rng.random() < 0.2, rng.random() < 0.1
        rate = 0.0008 * (0.5 if group == "received" else 1.0) * (1.5 if arrest else 1.0)
        outcome = int(rng.expovariate(rate)) + 1
        censor = rng.randint(30, 1200)
        days = min(outcome, censor)
        # A coarse grain makes many tied times (Efron's correction at work).
        days = max(91, days - days % grain) if days > 90 else days
        rows.append(
            evaluation.FollowedEpisode(
                i,
                "13",
                dt.date(2016, 6, 1),
                days,
                outcome <= censor,
                None,
                "rejected",
                group if days > 90 else None,
                partner,
                order,
                arrest,
            )
        )
    return rows


def _hand_km(times: list[float], events: list[bool], t: float) -> tuple[float, float, float, int]:
    """Product-limit S(t) with the Greenwood log(−log) interval, by hand."""
    s, greenwood = 1.0, 0.0
    for u in sorted({x for x, e in zip(times, events, strict=True) if e and x <= t}):
        n = sum(1 for x in times if x >= u)
        d = sum(1 for x, e in zip(times, events, strict=True) if e and x == u)
        s *= 1 - d / n
        if n > d:
            greenwood += d / (n * (n - d))
    at_risk = sum(1 for x in times if x >= t)
    if s in (0.0, 1.0):
        return s, s, s, at_risk
    sigma = math.sqrt(greenwood) / abs(math.log(s))
    return s, s ** math.exp(Z * sigma), s ** math.exp(-Z * sigma), at_risk


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kaplan_meier_figures_equal_the_hand_computation(seed: int) -> None:
    rows = _episodes(seed)
    result = evaluation.evaluate(
        evaluation.Params.make(dt.date(2016, 1, 1), dt.date(2016, 12, 31)), rows
    ).result
    for name, sample, shift in [
        ("overall", rows, 0),
        *[(g, [r for r in rows if r.group == g], 90) for g in evaluation.GROUPS],
    ]:
        times = [float(r.days - shift) for r in sample]
        events = [r.event for r in sample]
        figures = result["overall"] if name == "overall" else result["groups"][name]
        assert figures["n"] == len(sample)
        assert figures["events"] == sum(events)
        for t in (182, 365, 730):
            free, low, high, at_risk = _hand_km(times, events, t - shift)
            got = figures["at"][str(t)]
            assert got["at_risk"] == at_risk
            assert got["free"] == pytest.approx(free, abs=1e-6)
            assert got["low"] == pytest.approx(low, abs=1e-6)
            assert got["high"] == pytest.approx(high, abs=1e-6)


@pytest.mark.parametrize("grain", [1, 30])
def test_log_rank_and_cox_equal_a_separately_built_lifelines_model(grain: int) -> None:
    import pandas as pd
    from lifelines import CoxPHFitter
    from lifelines.statistics import logrank_test

    rows = _episodes(7, n=600, grain=grain)
    result = evaluation.evaluate(
        evaluation.Params.make(dt.date(2016, 1, 1), dt.date(2016, 12, 31)), rows
    ).result
    kept = [r for r in rows if r.group is not None]
    rec = [r for r in kept if r.group == "received"]
    rej = [r for r in kept if r.group == "rejected"]
    lr = logrank_test(
        [r.days - 90 for r in rec],
        [r.days - 90 for r in rej],
        [r.event for r in rec],
        [r.event for r in rej],
    )
    assert result["logrank"]["statistic"] == pytest.approx(lr.test_statistic, rel=1e-4)
    assert result["logrank"]["p"] == pytest.approx(lr.p_value, rel=1e-4)
    frame = pd.DataFrame(
        {
            "received": [int(r.group == "received") for r in kept],
            "accepted_not_received": [int(r.group == "accepted_not_received") for r in kept],
            "undecided": [int(r.group == "undecided") for r in kept],
            "partner": [int(r.partner) for r in kept],
            "prior_order": [int(r.prior_order) for r in kept],
            "prior_arrest": [int(r.prior_arrest) for r in kept],
            "T": [r.days - 90 for r in kept],
            "E": [r.event for r in kept],
        }
    )
    cph = CoxPHFitter().fit(frame, "T", "E")
    cox = result["cox"]
    assert cox["dropped"] == []
    assert cox["n"] == len(kept)
    assert cox["concordance"] == pytest.approx(cph.concordance_index_, rel=1e-4)
    for name, term in cox["terms"].items():
        row = cph.summary.loc[name]
        assert term["hr"] == pytest.approx(row["exp(coef)"], rel=1e-4)
        assert term["low"] == pytest.approx(row["exp(coef) lower 95%"], rel=1e-4)
        assert term["high"] == pytest.approx(row["exp(coef) upper 95%"], rel=1e-4)
        assert term["p"] == pytest.approx(row["p"], rel=1e-4)
    # Hazard ratio of received is drawn as 0.5: the estimate is on the right side.
    assert cox["terms"]["received"]["hr"] < 1


@pytest.mark.parametrize("seed", [4, 5])
def test_curves_and_medians_equal_lifelines_kaplan_meier(seed: int) -> None:
    from lifelines import KaplanMeierFitter

    from tsunagu.reports import survival

    rng = random.Random(seed)
    # Heavy ties and early outcomes, so that the median is reached.
    durations = [float(rng.randint(1, 60)) for _ in range(300)]
    events = [rng.random() < 0.6 for _ in durations]
    curve = survival.km(durations, events)
    fitter = KaplanMeierFitter().fit(durations, events)
    ci = fitter.confidence_interval_
    for t in (1, 5, 17.5, 30, 59, 60):
        free, low, high = curve.at(t)
        assert free == pytest.approx(float(fitter.survival_function_at_times(t).iloc[0]), abs=1e-6)
        i = ci.index.searchsorted(t, side="right") - 1
        assert low == pytest.approx(ci.iloc[i, 0], abs=1e-6)
        assert high == pytest.approx(ci.iloc[i, 1], abs=1e-6)
    assert survival.median(curve) == fitter.median_survival_time_
