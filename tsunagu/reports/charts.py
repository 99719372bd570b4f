"""Server-rendered charts: the programme flow, a tile map of Japan, a monthly trend.

The geometry (boxes, arrows, tiles) is computed here once and drawn twice: as SVG
for the page and with fpdf2 for the PDF. Every chart is shown beside a table of
its numbers; the SVG carries the same numbers as text and links.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from tsunagu.core import regions

# --- the flow chart ----------------------------------------------------------------

BOX_W, BOX_H, COL_W = 150, 40, 190
# figure → (column, top); children hang off their parent.
FLOW_BOXES: dict[str, tuple[int, int]] = {
    "advised": (0, 180),
    "accepted": (1, 130),
    "rejected": (1, 230),
    "undecided": (1, 280),
    "received": (2, 60),
    "scheduled": (2, 130),
    "not_needed": (2, 180),
    "completed": (3, 10),
    "continuing": (3, 60),
    "halted": (3, 110),
}
FLOW_EDGES: tuple[tuple[str, str], ...] = (
    ("advised", "accepted"),
    ("advised", "rejected"),
    ("advised", "undecided"),
    ("accepted", "received"),
    ("accepted", "scheduled"),
    ("accepted", "not_needed"),
    ("received", "completed"),
    ("received", "continuing"),
    ("received", "halted"),
)
FLOW_WIDTH = 3 * COL_W + BOX_W + 10
FLOW_HEIGHT = 330


@dataclass(frozen=True)
class Box:
    key: str
    x: float
    y: float
    label: str
    count: int


@dataclass(frozen=True)
class Arrow:
    x1: float
    y1: float
    x2: float
    y2: float
    count: int


def flow_layout(totals: dict[str, Any], labels: dict[str, str]) -> tuple[list[Box], list[Arrow]]:
    boxes = {
        key: Box(key, 5 + col * COL_W, top, labels[key], int(totals[key]))
        for key, (col, top) in FLOW_BOXES.items()
    }
    arrows = [
        Arrow(
            boxes[a].x + BOX_W,
            boxes[a].y + BOX_H / 2,
            boxes[b].x,
            boxes[b].y + BOX_H / 2,
            boxes[b].count,
        )
        for a, b in FLOW_EDGES
    ]
    return list(boxes.values()), arrows


def flow_svg(
    totals: dict[str, Any],
    labels: dict[str, str],
    link: Callable[[str], str] | None = None,
    title: str = "",
) -> SafeString:
    """The flow advised → response → treatment → outcome, counts on the arrows."""
    boxes, arrows = flow_layout(totals, labels)
    # With links it is a group of links: an image may not hold interactive content.
    role = 'role="group"' if link else 'role="img"'
    parts = [
        f'<svg class="chart flow" viewBox="0 0 {FLOW_WIDTH} {FLOW_HEIGHT}" {role} '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        '<defs><marker id="arrowhead" markerWidth="8" markerHeight="8" refX="7" refY="4" '
        'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#5b6570"/></marker></defs>',
    ]
    for a in arrows:
        # The count sits by the arrowhead, clear of the other arrows from the same box.
        mx, my = a.x1 + (a.x2 - a.x1) * 0.72, a.y1 + (a.y2 - a.y1) * 0.72
        parts.append(
            f'<line x1="{a.x1}" y1="{a.y1}" x2="{a.x2 - 2}" y2="{a.y2}" stroke="#5b6570" '
            f'stroke-width="{1 + min(a.count, 400) / 40:.1f}" marker-end="url(#arrowhead)"/>'
            f'<text x="{mx:.1f}" y="{my - 5:.1f}" text-anchor="middle" class="arrow-count" '
            f'font-size="12" font-weight="bold" fill="#1b1f24">{a.count}</text>'
        )
    for b in boxes:
        box = (
            f'<rect x="{b.x}" y="{b.y}" width="{BOX_W}" height="{BOX_H}" rx="4" '
            f'fill="#eef4fb" stroke="#0b4f8a"/>'
            f'<text x="{b.x + 6}" y="{b.y + 16}" font-size="12" fill="#1b1f24">'
            f"{escape(b.label)}</text>"
            f'<text x="{b.x + BOX_W - 6}" y="{b.y + 33}" font-size="14" font-weight="bold" '
            f'text-anchor="end" fill="#0b4f8a">{b.count}</text>'
        )
        if link:
            box = f'<a href="{escape(link(b.key))}">{box}</a>'
        parts.append(box)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)


# --- the tile map of Japan ---------------------------------------------------------------

# (column, row) of each prefecture (JIS code) on a 12 × 11 grid, north-east to south-west.
TILES: dict[str, tuple[int, int]] = {
    "01": (11, 0),
    "02": (10, 1),
    "05": (9, 2),
    "03": (10, 2),
    "06": (9, 3),
    "04": (10, 3),
    "17": (6, 4),
    "16": (7, 4),
    "15": (8, 4),
    "07": (9, 4),
    "35": (0, 5),
    "32": (1, 5),
    "31": (2, 5),
    "28": (3, 5),
    "26": (4, 5),
    "18": (5, 5),
    "21": (6, 5),
    "20": (7, 5),
    "10": (8, 5),
    "09": (9, 5),
    "08": (10, 5),
    "40": (0, 6),
    "34": (1, 6),
    "33": (2, 6),
    "27": (3, 6),
    "29": (4, 6),
    "25": (5, 6),
    "23": (6, 6),
    "19": (7, 6),
    "11": (8, 6),
    "13": (9, 6),
    "12": (10, 6),
    "41": (0, 7),
    "44": (1, 7),
    "38": (2, 7),
    "37": (3, 7),
    "30": (4, 7),
    "24": (5, 7),
    "22": (7, 7),
    "14": (8, 7),
    "42": (0, 8),
    "43": (1, 8),
    "39": (2, 8),
    "36": (3, 8),
    "46": (0, 9),
    "45": (1, 9),
    "47": (0, 11),
}
TILE = 40
MAP_WIDTH = 12 * TILE + 10
MAP_HEIGHT = 12 * TILE + 10
# Shade 0 is zero; 1–5 the fifths of the largest value (a sequential blue scale,
# read the same by colour-blind readers). No data is hatched grey, not a shade:
# it differs from zero in pattern as well as colour.
SHADES = ("#ffffff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NO_DATA = -1
HATCH = "#8a949e"
BINS = 5


def shade_index(value: float | None, top: float) -> int:
    """NO_DATA for no value, 0 for zero, else 1–5: the fifth of `top` it falls in
    (a value v is in fifth k when top·(k−1)/5 < v ≤ top·k/5)."""
    if value is None:
        return NO_DATA
    if value <= 0 or top <= 0:
        return 0
    return max(1, min(BINS, math.ceil(BINS * value / top - 1e-9)))


@dataclass(frozen=True)
class Tile:
    code: str
    x: float
    y: float
    label: str
    value: float | None
    shade: int

    @property
    def short(self) -> str:
        """The name on the tile: 「東京」 for 東京都 (北海道 whole), "Tokyo" in English.

        Never cut to a fixed length ("Tok"): a long English name is fitted to the tile.
        """
        return regions.shorten(self.label)


def _top(values: dict[str, float | None]) -> float:
    return max((v for v in values.values() if v is not None), default=0)


def map_layout(values: dict[str, float | None], names: dict[str, str]) -> list[Tile]:
    """The 47 tiles; a prefecture missing from `values` (or None there) has no data."""
    top = _top(values)
    return [
        Tile(
            code,
            5 + col * TILE,
            5 + row * TILE,
            names.get(code, code),
            values.get(code),
            shade_index(values.get(code), top),
        )
        for code, (col, row) in sorted(TILES.items())
    ]


@dataclass(frozen=True)
class LegendItem:
    x: float
    y: float
    shade: int
    label: str


# The legend sits in the sea north-west of Honshu (columns 0–5, rows 0–4 hold no tile).
LEGEND_X, LEGEND_Y, LEGEND_ROW, SWATCH = 8, 28, 22, 16


def _number(value: float) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def legend_labels(
    values: dict[str, float | None], no_data: str, over: str
) -> list[tuple[int, str]]:
    """(shade, label) of the legend: no data, zero, then each non-empty fifth.
    Counts show their range ("4–6"); shares their bounds, `over` a template
    such as "%(low)s超〜%(high)s"."""
    top = _top(values)
    items = [(NO_DATA, no_data), (0, "0")]
    counts = all(isinstance(v, int) for v in values.values() if v is not None)
    for k in range(1, BINS + 1):
        low, high = top * (k - 1) / BINS, top * k / BINS
        if top <= 0:
            break
        if counts:
            first, last = math.floor(low) + 1, math.floor(high)
            if first > last:
                continue
            items.append((k, str(last) if first == last else f"{first}–{last}"))
        else:
            items.append((k, over % {"low": f"{low:.1f}", "high": f"{high:.1f}"}))
    return items


def map_legend(values: dict[str, float | None], no_data: str, over: str) -> list[LegendItem]:
    return [
        LegendItem(LEGEND_X, LEGEND_Y + i * LEGEND_ROW, shade, label)
        for i, (shade, label) in enumerate(legend_labels(values, no_data, over))
    ]


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _fill(shade: int) -> str:
    return "url(#no-data)" if shade == NO_DATA else SHADES[shade]


def map_svg(
    values: dict[str, float | None],
    names: dict[str, str],
    link: Callable[[str], str] | None = None,
    title: str = "",
    no_data: str = "No data",
    over: str = "over %(low)s to %(high)s",
) -> SafeString:
    """The 47 prefectures as tiles, shaded by a figure, each with its value, and
    the legend. With links the map is a group of links (no image role: an image
    may not hold interactive content)."""
    role = 'role="group"' if link else 'role="img"'
    parts = [
        f'<svg class="chart tilemap" viewBox="0 0 {MAP_WIDTH} {MAP_HEIGHT}" {role} '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        '<defs><pattern id="no-data" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f4f5f7"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{HATCH}" stroke-width="2"/></pattern></defs>',
    ]
    legend = [
        f'<g class="legend"><text x="{LEGEND_X}" y="{LEGEND_Y - 10}" font-size="12" '
        f'font-weight="bold" fill="#1b1f24">{escape(title)}</text>'
    ]
    for item in map_legend(values, no_data, over):
        legend.append(
            f'<rect x="{item.x}" y="{item.y}" width="{SWATCH}" height="{SWATCH}" '
            f'fill="{_fill(item.shade)}" stroke="#5b6570" stroke-width="0.75"/>'
            f'<text x="{item.x + SWATCH + 6}" y="{item.y + 12}" font-size="11" '
            f'fill="#1b1f24">{escape(item.label)}</text>'
        )
    legend.append("</g>")
    parts.extend(legend)
    names = {**regions.prefecture_names(), **names}  # public: every tile is named
    for t in map_layout(values, names):
        ink = "#fff" if t.shade >= 4 else "#1b1f24"
        shown = no_data if t.shade == NO_DATA else _fmt(t.value)
        # Latin names longer than the tile holds at this size are squeezed to fit it.
        fit = (
            f' textLength="{TILE - 7}" lengthAdjust="spacingAndGlyphs"'
            if t.short.isascii() and len(t.short) > 6
            else ""
        )
        tile = (
            f'<rect x="{t.x}" y="{t.y}" width="{TILE - 3}" height="{TILE - 3}" rx="3" '
            f'fill="{_fill(t.shade)}" stroke="#5b6570" stroke-width="0.75">'
            f"<title>{escape(t.label)}: {escape(shown)}</title></rect>"
            f'<text x="{t.x + (TILE - 3) / 2}" y="{t.y + 14}" font-size="10" '
            f'text-anchor="middle" fill="{ink}"{fit}>{escape(t.short)}</text>'
        )
        if t.shade != NO_DATA:
            tile += (
                f'<text x="{t.x + (TILE - 3) / 2}" y="{t.y + 29}" font-size="10" '
                f'text-anchor="middle" fill="{ink}">{_fmt(t.value)}</text>'
            )
        if link and t.value:
            tile = f'<a href="{escape(link(t.code))}">{tile}</a>'
        parts.append(tile)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)


# --- the monthly trend -------------------------------------------------------------------

TREND_W, TREND_H = 640, 260
TREND_LEFT, TREND_RIGHT, TREND_TOP, TREND_BOTTOM = 44, 32, 44, 214
# Okabe–Ito colours (blue, bluish green, vermillion), each line also dashed its own
# way and marked its own way, so no reader has to tell the lines apart by hue.
TREND_STYLES = {
    "advised": ("#0072b2", "", "circle"),
    "received": ("#009e73", "6 3", "square"),
    "rejected": ("#d55e00", "2 3", "triangle"),
}


def nice_ticks(top: float, most: int = 6) -> list[int]:
    """Round tick values from 0 up to at least `top`, at most `most` + 1 of them,
    stepped 1, 2 or 5 × 10ⁿ."""
    top = max(top, 1)
    step = 1
    while True:
        for factor in (1, 2, 5):
            if math.ceil(top / (step * factor)) <= most:
                size = step * factor
                return [size * i for i in range(math.ceil(top / size) + 1)]
        step *= 10


def month_ticks(count: int, most: int = 12) -> list[int]:
    """Indexes of the months to label: every month, or every 2, 3, 6 or 12 so that
    at most `most` are labelled."""
    for every in (1, 2, 3, 6, 12):
        if math.ceil(count / every) <= most:
            return list(range(0, count, every))
    every = 12 * math.ceil(count / (12 * most))
    return list(range(0, count, every))


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" fill="{colour}"/>'
    if kind == "triangle":
        return (
            f'<path d="M{x:.1f},{y - 4:.1f} L{x + 4:.1f},{y + 3:.1f} L{x - 4:.1f},{y + 3:.1f} z" '
            f'fill="{colour}"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>'


def trend_svg(
    months: Sequence[dict[str, Any]],
    series: dict[str, str],
    title: str = "",
    y_label: str = "",
    x_label: str = "",
) -> SafeString:
    """Lines of episodes per month of advice (advised, received, rejected), with a
    y axis of round ticks and grid lines, months written YYYY-MM, and a legend
    showing each line's colour, dash and marker."""
    ticks = nice_ticks(max([0] + [int(m[key]) for m in months for key in series]))
    top = ticks[-1]
    n = max(len(months), 1)
    plot_w = TREND_W - TREND_LEFT - TREND_RIGHT
    step = plot_w / max(n - 1, 1)

    def x(i: int) -> float:
        return TREND_LEFT + i * step if n > 1 else TREND_LEFT + plot_w / 2

    def y(v: float) -> float:
        return TREND_BOTTOM - (TREND_BOTTOM - TREND_TOP) * v / top

    parts = [
        f'<svg class="chart trend" viewBox="0 0 {TREND_W} {TREND_H}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for v in ticks:
        parts.append(
            f'<line x1="{TREND_LEFT}" y1="{y(v):.1f}" x2="{TREND_W - TREND_RIGHT}" '
            f'y2="{y(v):.1f}" stroke="{"#5b6570" if v == 0 else "#dde2e7"}"/>'
            f'<text x="{TREND_LEFT - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#1b1f24">{v}</text>'
        )
    parts.append(
        f'<line x1="{TREND_LEFT}" y1="{TREND_TOP}" x2="{TREND_LEFT}" y2="{TREND_BOTTOM}" '
        'stroke="#5b6570"/>'
    )
    for i in month_ticks(len(months)):
        parts.append(
            f'<line x1="{x(i):.1f}" y1="{TREND_BOTTOM}" x2="{x(i):.1f}" y2="{TREND_BOTTOM + 4}" '
            'stroke="#5b6570"/>'
            f'<text x="{x(i):.1f}" y="{TREND_BOTTOM + 16}" font-size="10" text-anchor="middle" '
            f'fill="#1b1f24">{escape(str(months[i]["month"]))}</text>'
        )
    if y_label:
        parts.append(
            f'<text x="4" y="{TREND_TOP - 12}" font-size="11" fill="#1b1f24">'
            f"{escape(y_label)}</text>"
        )
    if x_label:
        parts.append(
            f'<text x="{TREND_LEFT + plot_w / 2:.1f}" y="{TREND_H - 8}" font-size="11" '
            f'text-anchor="middle" fill="#1b1f24">{escape(x_label)}</text>'
        )
    for k, (key, label) in enumerate(series.items()):
        colour, dash, marker = TREND_STYLES.get(key, ("#1b1f24", "", "circle"))
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        points = " ".join(f"{x(i):.1f},{y(int(m[key])):.1f}" for i, m in enumerate(months))
        parts.append(
            f'<polyline class="series-{key}" points="{points}" fill="none" stroke="{colour}" '
            f'stroke-width="2"{dashes}/>'
        )
        if n <= 36:
            parts.extend(
                _marker(marker, x(i), y(int(m[key])), colour) for i, m in enumerate(months)
            )
        lx = TREND_LEFT + 10 + k * 170
        parts.append(
            f'<g class="legend-item"><line x1="{lx}" y1="12" x2="{lx + 26}" y2="12" '
            f'stroke="{colour}" stroke-width="2"{dashes}/>{_marker(marker, lx + 13, 12, colour)}'
            f'<text x="{lx + 32}" y="16" font-size="11" fill="#1b1f24">{escape(label)}</text></g>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)
