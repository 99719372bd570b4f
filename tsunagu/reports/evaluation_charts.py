"""The evaluation's charts: Kaplan–Meier curves, the Cox forest plot, the funnel plot.

As in `charts`, the geometry is computed here once (pure, in chart units) and
drawn twice: as SVG for the page (colours come from CSS classes, no inline
style) and with fpdf2 for the PDF.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from tsunagu.reports import survival

# The time axis: 0 to 24 months after advice; ticks (and numbers at risk) every 6.
AXIS_DAYS = (0, 182, 365, 547, 730)
AXIS_MONTHS = (0, 6, 12, 18, 24)
W, H = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 14, 36


@dataclass
class Series:
    """One curve: its step line, its 95 % band and its censoring ticks."""

    key: str
    line: str  # SVG points "x,y x,y …"
    band: str
    ticks: list[tuple[float, float]] = field(default_factory=list)
    points: list[tuple[float, float]] = field(default_factory=list)
    band_points: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class KmChart:
    series: list[Series]
    y_min: float
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    width: int = W
    height: int = H
    left: int = LEFT
    bottom: float = H - BOTTOM
    top: int = TOP
    right: float = W - RIGHT


def _x(day: float) -> float:
    return LEFT + (W - LEFT - RIGHT) * min(day, AXIS_DAYS[-1]) / AXIS_DAYS[-1]


def _y(value: float, y_min: float) -> float:
    return TOP + (H - TOP - BOTTOM) * (1 - (value - y_min) / (1 - y_min))


def _steps(
    curve: survival.Curve, values: Sequence[float], shift: int, y_min: float
) -> list[tuple[float, float]]:
    """The right-continuous step function as points, clipped at 24 months."""
    points: list[tuple[float, float]] = []
    limit = AXIS_DAYS[-1] - shift
    longest = max(curve.durations, default=0.0)
    prev = values[0]
    for t, v in zip(curve.times, values, strict=True):
        if t > limit or t > longest:
            break
        if points:
            points.append((_x(t + shift), _y(prev, y_min)))
        points.append((_x(t + shift), _y(v, y_min)))
        prev = v
    end = min(longest, limit)
    points.append((_x(end + shift), _y(prev, y_min)))
    return points


def y_floor(curves: Sequence[survival.Curve]) -> float:
    """The bottom of the y axis: the lowest band value shown, down to a tenth, so a
    10 % recurrence is visible; never above 0.5 (the median line stays in view)."""
    lowest = 1.0
    for curve in curves:
        for t, v in zip(curve.times, curve.low, strict=True):
            if t <= AXIS_DAYS[-1] and not math.isnan(v):
                lowest = min(lowest, v)
    return max(0.0, min(0.5, math.floor(lowest * 10) / 10))


def km_chart(curves: dict[str, survival.Curve], shift: int) -> KmChart:
    """Curves of `curves` (key → curve on its own clock), drawn from day `shift`."""
    y_min = y_floor(list(curves.values()))
    series = []
    for key, curve in curves.items():
        line = _steps(curve, curve.free, shift, y_min)
        upper = _steps(curve, curve.high, shift, y_min)
        lower = _steps(curve, curve.low, shift, y_min)
        band = upper + lower[::-1]
        limit = AXIS_DAYS[-1] - shift
        ticks = []
        for t in curve.censored:
            if t > limit:
                continue
            free, _, _ = curve.at(t)
            ticks.append((_x(t + shift), _y(free, y_min)))
        series.append(
            Series(
                key=key,
                line=" ".join(f"{x:.1f},{y:.1f}" for x, y in line),
                band=" ".join(f"{x:.1f},{y:.1f}" for x, y in band),
                ticks=ticks,
                points=line,
                band_points=band,
            )
        )
    step = 0.1 if 1 - y_min <= 0.5 + 1e-9 else 0.2
    values = [1 - i * step for i in range(int((1 - y_min) / step + 1e-9) + 1)]
    y_ticks = [(_y(v, y_min), f"{100 * v:.0f}") for v in values]
    x_ticks = [(_x(d), str(m)) for d, m in zip(AXIS_DAYS, AXIS_MONTHS, strict=True)]
    return KmChart(series, y_min, x_ticks, y_ticks)


def at_risk_row(curve: survival.Curve, shift: int) -> list[int | None]:
    """Numbers at risk at 0, 6, 12, 18, 24 months after advice; None before the
    landmark of a group (it is followed from the landmark)."""
    row: list[int | None] = []
    for day in AXIS_DAYS:
        if shift and day < shift:
            row.append(None)
        else:
            row.append(curve.at_risk(day - shift))
    return row


# --- forest plot ---------------------------------------------------------------------

FOREST_W, FOREST_ROW, FOREST_LEFT, FOREST_RIGHT = 420, 28, 150, 20


@dataclass
class ForestRow:
    key: str
    y: float
    x: float
    x_low: float
    x_high: float


@dataclass
class Forest:
    rows: list[ForestRow]
    x_one: float
    ticks: list[tuple[float, str]]
    width: int
    height: int
    left: int = FOREST_LEFT


def forest(terms: dict[str, dict[str, float | None]]) -> Forest:
    """Hazard ratios on a log axis, 1 marked; an unbounded limit runs to the edge."""
    values = [v for t in terms.values() for v in (t["hr"], t["low"], t["high"]) if v]
    lo = min([0.5, *values])
    hi = max([2.0, *values])
    lo, hi = max(lo, 0.01), min(hi, 100.0)
    span = math.log(hi) - math.log(lo)
    plot_w = FOREST_W - FOREST_LEFT - FOREST_RIGHT

    def x(v: float | None, default: float) -> float:
        if v is None or v <= 0:
            v = default
        v = min(max(v, lo), hi)
        return FOREST_LEFT + plot_w * (math.log(v) - math.log(lo)) / span

    rows = [
        ForestRow(
            key,
            16 + FOREST_ROW * i,
            x(t["hr"], 1.0),
            x(t["low"], lo),
            x(t["high"], hi),
        )
        for i, (key, t) in enumerate(terms.items())
    ]
    ticks = [(x(v, v), f"{v:g}") for v in (0.01, 0.1, 0.25, 0.5, 1, 2, 4, 10, 100) if lo <= v <= hi]
    return Forest(rows, x(1.0, 1.0), ticks, FOREST_W, 16 + FOREST_ROW * len(rows) + 24)


# --- funnel plot -----------------------------------------------------------------------

FUNNEL_W, FUNNEL_H, FUNNEL_LEFT, FUNNEL_BOTTOM = 560, 300, 56, 36
Z95, Z998 = 1.959963984540054, 3.090232306167813


@dataclass
class FunnelPoint:
    code: str
    n: int
    proportion: float
    x: float
    y: float
    outside: str  # "", "95", "99.8"


@dataclass
class Funnel:
    points: list[FunnelPoint]
    centre: float
    y_centre: float
    limits: dict[str, tuple[str, str]]  # "95"/"99.8" → (upper polyline, lower polyline)
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    width: int = FUNNEL_W
    height: int = FUNNEL_H
    left: int = FUNNEL_LEFT
    bottom: int = FUNNEL_H - FUNNEL_BOTTOM


def control_limits(centre: float, n: int, z: float) -> tuple[float, float]:
    """The binomial control limits (normal approximation) around `centre` for n."""
    half = z * math.sqrt(centre * (1 - centre) / n) if n else 1.0
    return max(0.0, centre - half), min(1.0, centre + half)


def funnel(values: dict[str, tuple[int, float]], centre: float) -> Funnel:
    """Prefectures' (episodes, 12-month proportion) around the national proportion."""
    n_max = max([n for n, _ in values.values()] or [10])
    y_max = max([p for _, p in values.values()] + [control_limits(centre, 10, Z998)[1], 0.05])
    y_max = min(1.0, math.ceil(y_max * 10) / 10)
    plot_w = FUNNEL_W - FUNNEL_LEFT - 16
    plot_h = FUNNEL_H - FUNNEL_BOTTOM - 14

    def fx(n: float) -> float:
        return FUNNEL_LEFT + plot_w * n / n_max

    def fy(p: float) -> float:
        return 14 + plot_h * (1 - min(p, y_max) / y_max)

    points = []
    for code, (n, p) in sorted(values.items()):
        lo95, hi95 = control_limits(centre, n, Z95)
        lo998, hi998 = control_limits(centre, n, Z998)
        outside = "99.8" if not lo998 <= p <= hi998 else "95" if not lo95 <= p <= hi95 else ""
        points.append(FunnelPoint(code, n, p, fx(n), fy(p), outside))
    limits = {}
    steps = [max(1, round(n_max * i / 60)) for i in range(1, 61)]
    for name, z in (("95", Z95), ("99.8", Z998)):
        upper = " ".join(f"{fx(n):.1f},{fy(control_limits(centre, n, z)[1]):.1f}" for n in steps)
        lower = " ".join(f"{fx(n):.1f},{fy(control_limits(centre, n, z)[0]):.1f}" for n in steps)
        limits[name] = (upper, lower)
    x_ticks = [(fx(n_max * i / 4), f"{n_max * i / 4:.0f}") for i in range(5)]
    y_ticks = [(fy(y_max * i / 5), f"{100 * y_max * i / 5:.0f}") for i in range(6)]
    return Funnel(points, centre, fy(centre), limits, x_ticks, y_ticks)
