"""Survival figures of DESIGN §5 over plain (time, outcome) lists.

Pure: no database, no Django. The estimators are those of lifelines' defaults
(Kaplan–Meier with Greenwood's variance on the log(−log) scale, the log-rank
test, the Cox model with Efron ties and no penalty, its concordance), written
over numpy arrays because lifelines' Efron fit loops over every row in Python
and took seconds on a national set; the tests compare every figure with
lifelines on generated data. On top come the reading rules of §5: the
proportion *after* the outcomes of day t, the number at risk just before t, the
nulls, the dropping of thin columns and the E-value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

TIMES = (182, 365, 730)
Z95 = 1.959963984540054  # the 97.5 % normal quantile


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
    """The Kaplan–Meier curve with Greenwood's variance on the log(−log) scale
    (lifelines' KaplanMeierFitter defaults; tests compare the two)."""
    if not durations:
        return Curve((0.0,), (1.0,), (1.0,), (1.0,), (), ())
    d = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    times, index = np.unique(d, return_inverse=True)
    deaths = np.bincount(index, weights=e.astype(float), minlength=len(times))
    leaving = np.bincount(index, minlength=len(times)).astype(float)
    at_risk = leaving[::-1].cumsum()[::-1]
    sf = np.cumprod(1.0 - deaths / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(
            np.where(at_risk > deaths, deaths / (at_risk * (at_risk - deaths)), np.inf)
        )
        sigma = np.sqrt(greenwood) / np.abs(np.log(sf))
        low = sf ** np.exp(Z95 * sigma)
        high = sf ** np.exp(-Z95 * sigma)
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
        tuple(np.sort(d[~e]).tolist()),
        tuple(d.tolist()),
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
    """The log-rank test of two groups (as lifelines' logrank_test); None when one
    is empty or neither has an outcome."""
    if not a[0] or not b[0] or not (any(a[1]) or any(b[1])):
        return None
    from scipy.stats import chi2

    d = np.concatenate([np.asarray(a[0], dtype=float), np.asarray(b[0], dtype=float)])
    e = np.concatenate([np.asarray(a[1], dtype=bool), np.asarray(b[1], dtype=bool)])
    first = np.zeros(len(d), dtype=bool)
    first[: len(a[0])] = True
    times, index = np.unique(d, return_inverse=True)
    n_all = np.bincount(index, minlength=len(times)).astype(float)[::-1].cumsum()[::-1]
    n_one = np.bincount(index, weights=first, minlength=len(times))[::-1].cumsum()[::-1]
    d_all = np.bincount(index, weights=e.astype(float), minlength=len(times))
    d_one = np.bincount(index, weights=(e & first).astype(float), minlength=len(times))
    expected = d_all * n_one / n_all
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.where(
            n_all > 1,
            d_all * (n_one / n_all) * (1 - n_one / n_all) * (n_all - d_all) / (n_all - 1),
            0.0,
        )
    var = float(variance.sum())
    if var <= 0:
        return None
    statistic = float((d_one.sum() - expected.sum()) ** 2 / var)
    return {"statistic": finite(statistic), "p": finite(float(chi2.sf(statistic, 1)))}


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
    names = list(columns)
    x = np.array([columns[name] for name in names], dtype=float).T
    time = np.array([float(r["time"]) for r in sample])
    event = np.array([bool(r["event"]) for r in sample])
    fit = efron_fit(x, time, event)
    if fit is None:
        return None
    beta, se = fit
    from scipy.stats import norm

    for i, name in enumerate(names):
        z = beta[i] / se[i]
        result["terms"][name] = {
            "hr": finite(math.exp(beta[i])),
            "low": finite(_exp(beta[i] - Z95 * se[i])),
            "high": finite(_exp(beta[i] + Z95 * se[i])),
            "p": finite(float(2 * norm.sf(abs(z)))),
        }
    from lifelines.utils import concordance_index

    result["concordance"] = finite(concordance_index(time, -(x @ beta), event))
    return result


def _exp(x: float) -> float:
    return math.exp(x) if x < 700 else math.inf


def _efron(
    beta: np.ndarray, x: np.ndarray, groups: dict[str, np.ndarray]
) -> tuple[float, np.ndarray, np.ndarray]:
    """Log partial likelihood (Efron ties), its gradient and Hessian at beta.

    `groups` holds, per distinct outcome time, where its risk set starts in the
    time-sorted rows, its outcome rows, and one (time, l/d) pair per outcome.
    """
    w = np.exp(x @ beta)
    wx = w[:, None] * x
    wxx = wx[:, :, None] * x[:, None, :]
    # Risk-set sums from the end (rows sorted by time): row i sums over time ≥ time_i.
    s0 = w[::-1].cumsum()[::-1]
    s1 = wx[::-1].cumsum(axis=0)[::-1]
    s2 = wxx[::-1].cumsum(axis=0)[::-1]
    start, ev_rows, ev_time = groups["start"], groups["rows"], groups["time"]
    k = len(start)
    d0 = np.bincount(ev_time, weights=w[ev_rows], minlength=k)
    d1 = np.zeros((k, x.shape[1]))
    np.add.at(d1, ev_time, wx[ev_rows])
    d2 = np.zeros((k, x.shape[1], x.shape[1]))
    np.add.at(d2, ev_time, wxx[ev_rows])
    pair, frac = groups["pair"], groups["frac"]
    den = s0[start][pair] - frac * d0[pair]
    num1 = s1[start][pair] - frac[:, None] * d1[pair]
    num2 = s2[start][pair] - frac[:, None, None] * d2[pair]
    xe = x[ev_rows].sum(axis=0)
    loglik = float(xe @ beta - np.log(den).sum())
    grad = xe - (num1 / den[:, None]).sum(axis=0)
    mean = num1 / den[:, None]
    hess = -((num2 / den[:, None, None]).sum(axis=0) - np.einsum("ij,ik->jk", mean, mean))
    return loglik, grad, hess


def efron_fit(
    x: np.ndarray, time: np.ndarray, event: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """The Cox model's coefficients and standard errors by Newton–Raphson on the
    Efron partial likelihood, no penalty (lifelines' CoxPHFitter() defaults; the
    tests compare the two). None when the information matrix is singular."""
    order = np.argsort(time, kind="stable")
    x, time, event = x[order], time[order], event[order]
    # Standardised columns, as lifelines does, for a well-conditioned fit.
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    ev_rows = np.flatnonzero(event)
    if len(ev_rows) == 0:
        return None
    ev_times, ev_time = np.unique(time[ev_rows], return_inverse=True)
    counts = np.bincount(ev_time)
    pair = np.repeat(np.arange(len(ev_times)), counts)
    frac = np.concatenate([np.arange(c) / c for c in counts])
    groups = {
        "start": np.searchsorted(time, ev_times, side="left"),
        "rows": ev_rows,
        "time": ev_time,
        "pair": pair,
        "frac": frac,
    }
    beta = np.zeros(x.shape[1])
    loglik, grad, hess = _efron(beta, z, groups)
    for _ in range(100):
        try:
            delta = np.linalg.solve(-hess, grad)
        except np.linalg.LinAlgError:
            return None
        step = 1.0
        while True:
            candidate = beta + step * delta
            new_loglik, new_grad, new_hess = _efron(candidate, z, groups)
            if new_loglik >= loglik - 1e-12 or step < 1e-4:
                break
            step /= 2
        beta, loglik, grad, hess = candidate, new_loglik, new_grad, new_hess
        if np.abs(step * delta).max() < 1e-10:
            break
    try:
        covariance = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        return None
    se = np.sqrt(np.diag(covariance))
    if not np.all(np.isfinite(se)):
        return None
    return beta / scale, se / scale


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
