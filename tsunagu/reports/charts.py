"""Server-rendered charts: the programme flow, a tile map of Japan, a monthly trend.

The geometry (boxes, arrows, tiles) is computed here once and drawn twice: as SVG
for the page and with fpdf2 for the PDF. Every chart is shown beside a table of
its numbers; the SVG carries the same numbers as text and links.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

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
    parts = [
        f'<svg class="chart flow" viewBox="0 0 {FLOW_WIDTH} {FLOW_HEIGHT}" role="group" '
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
SHADES = ("#f1f5f9", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")


def shade_index(value: float | None, top: float) -> int:
    """0 for no value or zero, else 1–5 by fifths of the largest value."""
    if value is None or value <= 0 or top <= 0:
        return 0
    return min(5, 1 + int(4.999 * value / top))


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
        if len(self.label) > 2 and self.label[-1] in "都府県":
            return self.label[:-1]
        return self.label


def map_layout(values: dict[str, float | None], names: dict[str, str]) -> list[Tile]:
    top = max((v for v in values.values() if v is not None), default=0)
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


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:g}" if isinstance(value, float) else str(value)


def map_svg(
    values: dict[str, float | None],
    names: dict[str, str],
    link: Callable[[str], str] | None = None,
    title: str = "",
) -> SafeString:
    """The 47 prefectures as tiles, shaded by a figure, each with its value."""
    parts = [
        f'<svg class="chart tilemap" viewBox="0 0 {MAP_WIDTH} {MAP_HEIGHT}" role="group" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for t in map_layout(values, names):
        ink = "#fff" if t.shade >= 4 else "#1b1f24"
        # Latin names longer than the tile holds at this size are squeezed to fit it.
        fit = (
            f' textLength="{TILE - 7}" lengthAdjust="spacingAndGlyphs"'
            if t.short.isascii() and len(t.short) > 6
            else ""
        )
        tile = (
            f'<rect x="{t.x}" y="{t.y}" width="{TILE - 3}" height="{TILE - 3}" rx="3" '
            f'fill="{SHADES[t.shade]}" stroke="#9aa4ae" stroke-width="0.5">'
            f"<title>{escape(t.label)}: {_fmt(t.value)}</title></rect>"
            f'<text x="{t.x + (TILE - 3) / 2}" y="{t.y + 14}" font-size="10" '
            f'text-anchor="middle" fill="{ink}"{fit}>{escape(t.short)}</text>'
            f'<text x="{t.x + (TILE - 3) / 2}" y="{t.y + 29}" font-size="10" '
            f'text-anchor="middle" fill="{ink}">{_fmt(t.value)}</text>'
        )
        if link and t.value:
            tile = f'<a href="{escape(link(t.code))}">{tile}</a>'
        parts.append(tile)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)


# --- the monthly trend -------------------------------------------------------------------

TREND_W, TREND_H, PAD = 640, 220, 36
TREND_COLOURS = {"advised": "#0b4f8a", "received": "#1e6b33", "rejected": "#a4161a"}


def trend_svg(
    months: Sequence[dict[str, Any]], series: dict[str, str], title: str = ""
) -> SafeString:
    """Lines of episodes per month of advice (advised, received, rejected)."""
    top = max([1] + [int(m[key]) for m in months for key in series])
    n = max(len(months), 1)
    step = (TREND_W - 2 * PAD) / max(n - 1, 1)

    def y(v: int) -> float:
        return TREND_H - PAD - (TREND_H - 2 * PAD) * v / top

    parts = [
        f'<svg class="chart trend" viewBox="0 0 {TREND_W} {TREND_H}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{PAD}" y1="{TREND_H - PAD}" x2="{TREND_W - PAD}" y2="{TREND_H - PAD}" '
        'stroke="#9aa4ae"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{TREND_H - PAD}" stroke="#9aa4ae"/>',
        f'<text x="{PAD - 4}" y="{y(top) + 4}" font-size="10" text-anchor="end">{top}</text>',
        f'<text x="{PAD - 4}" y="{y(0) + 4}" font-size="10" text-anchor="end">0</text>',
    ]
    for i, m in enumerate(months):
        if n <= 12 or i % max(1, n // 12) == 0:
            parts.append(
                f'<text x="{PAD + i * step}" y="{TREND_H - PAD + 14}" font-size="9" '
                f'text-anchor="middle">{escape(str(m["month"])[2:])}</text>'
            )
    for k, (key, label) in enumerate(series.items()):
        colour = TREND_COLOURS.get(key, "#333")
        points = " ".join(
            f"{PAD + i * step:.1f},{y(int(m[key])):.1f}" for i, m in enumerate(months)
        )
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(
            f'<rect x="{PAD + 10 + k * 150}" y="6" width="12" height="12" fill="{colour}"/>'
            f'<text x="{PAD + 26 + k * 150}" y="16" font-size="11">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)
