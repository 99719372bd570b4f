"""Survival figures of DESIGN §5 over plain (time, outcome) lists.

Pure: no database, no Django. The estimates are lifelines' own (Kaplan–Meier
with Greenwood's variance on the log(−log) scale, the log-rank test, the Cox
model with Efron ties and no penalty), so the figures are the ones an
epidemiologist would get from the same data in a notebook. What this module
adds are the reading rules of §5: the proportion *after* the outcomes of day t,
the number at risk just before t, the nulls, the dropping of thin columns and
the E-value.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# lifelines imports pandas and matplotlib lazily enough; keep its warnings about
# convergence out of the logs (the figures say what happened instead).
warnings.filterwarnings("ignore", module="lifelines")

TIMES = (182, 365, 730)


def finite(x: float | None) -> float | None:
    """A float for the JSON: a non-finite number (an unbounded limit) becomes None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class Curve:
    """A Kaplan–Meier step function: S and its 95 % band after each distinct time.

    `times[0]` is 0 with S = 1. `censored` holds the times of censored episodes
    (the ticks of a plot).
    """

    times: tuple[float, ...]
    free: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    censored: tuple[float, ...]
    durations: tuple[float, ...]

    def at(self, t: float) -> tuple[float, float, float]:
        """S(t) after the outcomes on day t, with its interval."""
        i = int(np.searchsorted(self.times, t, side="right")) - 1
        return self.free[i], self.low[i], self.high[i]

    def at_risk(self, t: float) -> int:
        """The number still followed just before t (time ≥ t)."""
        return sum(1 for d in self.durations if d >= t)


def km(durations: Sequence[float], events: Sequence[bool]) -> Curve:
    """The Kaplan–Meier curve, fitted by lifelines (log(−log) Greenwood band)."""
    if not durations:
        return Curve((0.0,), (1.0,), (1.0,), (1.0,), (), ())
    from lifelines import KaplanMeierFitter

    fitter = KaplanMeierFitter().fit(
        np.asarray(durations, dtype=float), np.asarray(events, dtype=bool)
    )
    sf = fitter.survival_function_.iloc[:, 0].to_numpy()
    ci = fitter.confidence_interval_.to_numpy()
    times = fitter.survival_function_.index.to_numpy(dtype=float)
    low, high = ci[:, 0].copy(), ci[:, 1].copy()
    # Where S is 1 or 0 the log(−log) interval is undefined: both limits equal S.
    edge = (sf >= 1.0) | (sf <= 0.0)
    low[edge] = sf[edge]
    high[edge] = sf[edge]
    if times[0] != 0:
        times = np.concatenate(([0.0], times))
        sf, low, high = (np.concatenate(([1.0], a)) for a in (sf, low, high))
    return Curve(
        tuple(times.tolist()),
        tuple(sf.tolist()),
        tuple(low.tolist()),
        tuple(high.tolist()),
        tuple(sorted(d for d, e in zip(durations, events, strict=True) if not e)),
        tuple(durations),
    )


def median(curve: Curve) -> float | None:
    """The first time at which S ≤ 0.5; None when it is not reached."""
    for t, s in zip(curve.times, curve.free, strict=True):
        if s <= 0.5:
            return t
    return None


def figures(
    durations: Sequence[float], events: Sequence[bool], shift: int = 0
) -> tuple[dict[str, Any], Curve]:
    """n, events, median and the figures at 182/365/730 days after advice.

    `shift` is the landmark for a group (times are on the landmark clock, so a
    time t after advice is t − shift on it); 0 for the overall curve.
    """
    curve = km(durations, events)
    longest = max(durations, default=-1.0)
    at: dict[str, dict[str, Any]] = {}
    for t in TIMES:
        u = t - shift
        if shift and u <= 0:
            at[str(t)] = {"free": None, "low": None, "high": None, "at_risk": None}
        elif longest < u:
            at[str(t)] = {"free": None, "low": None, "high": None, "at_risk": 0}
        else:
            free, low, high = curve.at(u)
            at[str(t)] = {
                "free": finite(free),
                "low": finite(low),
                "high": finite(high),
                "at_risk": curve.at_risk(u),
            }
    med = median(curve)
    return (
        {
            "n": len(durations),
            "events": int(sum(bool(e) for e in events)),
            "median_days": None if med is None else float(med + shift),
            "at": at,
        },
        curve,
    )


def cumulative_outcome(curve: Curve, t: float = 730) -> float:
    """1 − S(t), or 1 − S at the longest follow-up when that is shorter."""
    if not curve.durations:
        return 0.0
    free, _, _ = curve.at(min(t, max(curve.durations)))
    return 1.0 - free


def logrank(
    a: tuple[Sequence[float], Sequence[bool]], b: tuple[Sequence[float], Sequence[bool]]
) -> dict[str, float | None] | None:
    """The log-rank test of two groups; None when one is empty or neither has an outcome."""
    if not a[0] or not b[0] or not (any(a[1]) or any(b[1])):
        return None
    from lifelines.statistics import logrank_test

    result = logrank_test(a[0], b[0], event_observed_A=a[1], event_observed_B=b[1])
    return {"statistic": finite(result.test_statistic), "p": finite(result.p_value)}


GROUP_TERMS = ("received", "accepted_not_received", "undecided")
COVARIATES = ("partner", "prior_order", "prior_arrest")
MIN_GROUP = 10


def cox(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The Cox model of §5 on the landmark sample.

    `rows` hold `time` (landmark clock), `event` (bool), `group` and the 0/1
    covariates. A group term with fewer than 10 episodes or no outcome is taken
    out of the sample; then any constant column is dropped. None when the
    reference (`rejected`) is too thin, or when the model cannot be fitted.
    """
    ref = [r for r in rows if r["group"] == "rejected"]
    if len(ref) < MIN_GROUP or not any(r["event"] for r in ref):
        return None
    dropped: list[str] = []
    sample = list(rows)
    for term in GROUP_TERMS:
        members = [r for r in sample if r["group"] == term]
        if len(members) < MIN_GROUP or not any(r["event"] for r in members):
            dropped.append(term)
            sample = [r for r in sample if r["group"] != term]
    columns: dict[str, list[int]] = {}
    for term in GROUP_TERMS:
        if term not in dropped:
            columns[term] = [int(r["group"] == term) for r in sample]
    for name in COVARIATES:
        columns[name] = [int(r[name]) for r in sample]
    for name in list(columns):
        if name in COVARIATES and len(set(columns[name])) < 2:
            dropped.append(name)
            del columns[name]
    result: dict[str, Any] = {
        "n": len(sample),
        "events": sum(1 for r in sample if r["event"]),
        "concordance": None,
        "dropped": dropped,
        "terms": {},
    }
    if not columns:
        return result
    import pandas as pd
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError

    frame = pd.DataFrame(columns)
    frame["_time"] = [float(r["time"]) for r in sample]
    frame["_event"] = [bool(r["event"]) for r in sample]
    try:
        fitter = CoxPHFitter().fit(frame, duration_col="_time", event_col="_event")
    except (ConvergenceError, np.linalg.LinAlgError, ValueError):
        return None
    summary = fitter.summary
    for name in columns:
        row = summary.loc[name]
        result["terms"][name] = {
            "hr": finite(row["exp(coef)"]),
            "low": finite(row["exp(coef) lower 95%"]),
            "high": finite(row["exp(coef) upper 95%"]),
            "p": finite(row["p"]),
        }
    result["concordance"] = finite(fitter.concordance_index_)
    return result


def _risk_ratio(hr: float, common: bool) -> float:
    """The risk ratio an HR stands for, ≥ 1 (VanderWeele and Ding, 2017)."""
    if common:
        rr = (1 - 0.5 ** math.sqrt(hr)) / (1 - 0.5 ** math.sqrt(1 / hr))
    else:
        rr = hr
    return rr if rr >= 1 else 1 / rr


def e_value_of(rr: float) -> float:
    return rr + math.sqrt(rr * (rr - 1))


def evalue(term: dict[str, Any] | None, cumulative: float) -> dict[str, float | None] | None:
    """The E-value of a hazard ratio and of its confidence limit nearer to 1.

    `cumulative` is the overall cumulative outcome at 730 days: from 15 % the
    outcome is common and the HR is first converted to a risk ratio.
    """
    if term is None or term.get("hr") is None:
        return None
    hr = float(term["hr"])
    if hr <= 0:
        return None
    common = cumulative >= 0.15
    point = e_value_of(_risk_ratio(hr, common))
    low, high = term.get("low"), term.get("high")
    if low is None or high is None or low <= 1 <= high:
        limit = 1.0
    else:
        nearer = low if hr > 1 else high
        limit = e_value_of(_risk_ratio(float(nearer), common))
    return {"point": finite(point), "limit": finite(limit)}
