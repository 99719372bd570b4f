"""Shared pieces of the synthetic data generators (npa2016.py, generate.py).

Pure: no database. The police stations are those of the Region tree loaded by
the core migration, so generated stations match existing nodes.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import import_module
from pathlib import Path

from tsunagu.cases import recurrence_model, timeline
from tsunagu.interchange import format as fmt

# Population in millions (2015 census, rounded): weights for spreading cases.
POPULATION: dict[str, float] = {
    "01": 5.38, "02": 1.31, "03": 1.28, "04": 2.33, "05": 1.02, "06": 1.12, "07": 1.91,
    "08": 2.92, "09": 1.97, "10": 1.97, "11": 7.27, "12": 6.22, "13": 13.5, "14": 9.13,
    "15": 2.30, "16": 1.07, "17": 1.15, "18": 0.79, "19": 0.83, "20": 2.10, "21": 2.03,
    "22": 3.70, "23": 7.48, "24": 1.82, "25": 1.41, "26": 2.61, "27": 8.84, "28": 5.53,
    "29": 1.36, "30": 0.96, "31": 0.57, "32": 0.69, "33": 1.92, "34": 2.84, "35": 1.40,
    "36": 0.76, "37": 0.98, "38": 1.39, "39": 0.73, "40": 5.10, "41": 0.83, "42": 1.38,
    "43": 1.79, "44": 1.17, "45": 1.10, "46": 1.65, "47": 1.43,
}  # fmt: skip
PREFECTURES: tuple[str, ...] = tuple(sorted(POPULATION))

# FACTS.md: 交際相手 ~45 %, 職場 ~12 %, 知人友人 ~13 %, 面識なし ~7 %, 不明 ~7 %.
RELATIONSHIP_SHARES: tuple[tuple[str, float], ...] = (
    ("partner_or_ex", 0.45),
    ("spouse_or_ex", 0.08),
    ("acquaintance", 0.13),
    ("workplace", 0.12),
    ("stranger", 0.07),
    ("unknown", 0.07),
    ("other", 0.08),
)

# Fictitious names (common surnames and given names; no real person meant).
SURNAMES = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤")
GIVEN_M = ("太郎", "健一", "大輔", "翔太", "直樹", "誠", "亮", "拓也")
GIVEN_F = ("花子", "美咲", "陽子", "由美", "愛", "恵", "さくら", "直美")


@lru_cache(maxsize=1)
def stations() -> dict[str, tuple[str, ...]]:
    """Station names (name_ja, e.g. 新宿警察署) of each prefecture in the Region tree."""
    module = import_module("tsunagu.core.migrations.0003_load_japan_regions_and_codes")
    return {code: tuple(f"{s}警察署" for s in names) for code, _, _, names in module.PREFECTURES}


def choose(rng: random.Random, shares: Sequence[tuple[str, float]]) -> str:
    values = [v for v, _ in shares]
    weights = [w for _, w in shares]
    return rng.choices(values, weights)[0]


def between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A uniformly drawn date in [start, end] (start if the range is empty)."""
    span = (end - start).days
    return start + dt.timedelta(days=rng.randint(0, span)) if span > 0 else start


def fictitious_name(rng: random.Random, sex: str) -> str:
    given = GIVEN_F if sex == "female" else GIVEN_M
    return f"{rng.choice(SURNAMES)} {rng.choice(given)}"


CaseRow = tuple[str, ...]
EventRow = tuple[str, str, str, str, str]


def event_sort_key(row: EventRow) -> tuple[str, str, str, int, str]:
    """The export's order: prefecture, case, date, the timeline's type order, detail."""
    ref, pref, day, type_, detail = row
    return (pref, ref, day, timeline.TYPE_RANK.get(type_, 99), detail)


def write_sorted(path: Path, cases: Iterable[CaseRow], events: Iterable[EventRow]) -> None:
    """Write cases.csv and events.csv in the exporter's order (small sets only).

    `cases` rows follow format.CASE_COLUMNS; `events` rows format.EVENT_COLUMNS.
    """
    path.mkdir(parents=True, exist_ok=True)
    sink = fmt.CsvSink(path / fmt.CASES_FILE, fmt.CASE_COLUMNS)
    sink.writerows(sorted(cases, key=lambda r: (r[1], r[0])))
    sink.close()
    sink = fmt.CsvSink(path / fmt.EVENTS_FILE, fmt.EVENT_COLUMNS)
    sink.writerows(sorted(set(events), key=event_sort_key))
    sink.close()


# --- time to recurrence: the documented hazard model (docs/evaluation.md) -----------


# The model lives with the cases, whose demo draws from it too; re-exported here.
HazardModel = recurrence_model.HazardModel


PARTNER_RELATIONSHIPS = frozenset(("partner_or_ex", "spouse_or_ex"))
