"""A synthetic national interchange set for benchmarks and demos (`tsunagu generate`).

About 20,000–23,000 cases a year (the NPA's consultation counts), each with a
timeline of consultations, assistance, follow-ups, warnings, orders and
arrests at the published rates, and advice episodes rising from about 300 in
2016 (April–December) to about 3,300 in 2024, with acceptance, treatment and
the time to a first recurrence drawn from a documented hazard model with known
hazard ratios (`synth.HazardModel`, docs/evaluation.md). Deterministic
for a seed. Written row by row: nothing is held but the current case.

Personal columns are empty, or fictitious names and addresses with
`personal="fictitious"`.

With `assessments=True`, also `assessments.csv`: risk assessments with the open
demo instrument (`tsunagu/risk/instruments/demo.yaml`, to be loaded before the
import: `tsunagu demo` or `tsunagu instrument load`) on about half of the cases
with a warning, an order or an arrest, at that measure's date, sometimes with a
review later. They are drawn from a random generator of their own, so the
cases and events of a seed are the same with or without them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from tsunagu.interchange import format as fmt
from tsunagu.interchange import synth
from tsunagu.risk.instruments import DEMO_PATH, parse

START_YEAR = 2016
# Consultations (相談等件数) by year; later years repeat the last known figure.
CASES_PER_YEAR: dict[int, int] = {
    2016: 22737, 2017: 23079, 2018: 21556, 2019: 20912, 2020: 20189,
    2021: 19728, 2022: 19131, 2023: 19843, 2024: 19567,
}  # fmt: skip
# Offenders advised (働き掛け) by year; 2016 is April–December.
ADVISED_PER_YEAR: dict[int, int] = {
    2016: 293, 2017: 677, 2018: 750, 2019: 824, 2020: 882,
    2021: 1000, 2022: 1149, 2023: 1747, 2024: 3271, 2025: 3300,
}  # fmt: skip
# (share accepted, share received) of advised episodes, by year (FACTS.md).
RATES: dict[int, tuple[float, float]] = {
    2016: (0.369, 0.249), 2017: (0.30, 0.20), 2018: (0.26, 0.17), 2019: (0.23, 0.15),
    2020: (0.22, 0.14), 2021: (0.21, 0.135), 2022: (0.20, 0.133), 2023: (0.16, 0.10),
    2024: (0.12, 0.056),
}  # fmt: skip
# Prohibition orders and arrests per case, by year (orders 173 → 2,415; arrests 769 → 1,341).
ORDER_RATE: dict[int, float] = {2016: 0.008, 2017: 0.029, 2018: 0.054, 2019: 0.07, 2020: 0.08,
                                2021: 0.085, 2022: 0.09, 2023: 0.099, 2024: 0.123}  # fmt: skip
ARREST_RATE: dict[int, float] = {2016: 0.034, 2017: 0.040, 2018: 0.045, 2019: 0.047,
                                 2020: 0.048, 2021: 0.05, 2022: 0.052, 2023: 0.054,
                                 2024: 0.069}  # fmt: skip
# Cases opened a year: the consultations plus about 7 % opened from a report or an
# arrest with no consultation first, so about 22,000 a year.
CASE_FACTOR = 1.07
WARNING_RATE = 0.16
# Recurrences later than this after advice are past any set's end: not drawn.
MAX_FOLLOW_UP_DAYS = 20 * 366
REASONS = (
    ("sees_no_need", 0.58),
    ("blames_victim", 0.15),
    ("cost", 0.10),
    ("time", 0.07),
    ("distrust", 0.05),
    ("other", 0.05),
)
DAY = dt.timedelta(days=1)


def _year_value(table: dict[int, float] | dict[int, int], year: int) -> float:
    return table.get(year, table[max(table)] if year > max(table) else table[min(table)])


# The demo instrument's levels (low, medium, high) by the case's first measure.
ASSESSED_SHARE = 0.5
REVIEW_SHARE = 0.3
LEVEL_WEIGHTS = {
    "warning": (0.5, 0.4, 0.1),
    "prohibition_order": (0.1, 0.5, 0.4),
    "emergency_order": (0.05, 0.35, 0.6),
    "arrest": (0.05, 0.3, 0.65),
}


@dataclass
class GenerateSummary:
    cases: int = 0
    events: int = 0
    assessments: int = 0


class _Case:
    """The rows of one case being generated."""

    __slots__ = ("events", "pref", "ref")

    def __init__(self, ref: str, pref: str) -> None:
        self.ref = ref
        self.pref = pref
        self.events: list[tuple[str, str, str, str, str]] = []

    def add(self, day: dt.date, type_: str, detail: str = "") -> None:
        self.events.append((self.ref, self.pref, day.isoformat(), type_, detail))


def generate(
    path: Path,
    *,
    years: int = 10,
    seed: int = 1,
    start_year: int = START_YEAR,
    personal: str = "empty",
    scale: float = 1.0,
    progress: bool = False,
    assessments: bool = False,
) -> GenerateSummary:
    """Write cases.csv and events.csv (and with `assessments`, assessments.csv) for
    `years` years from `start_year` into `path`."""
    rng = random.Random(seed)
    rand, randint, choices = rng.random, rng.randint, rng.choices
    prefs = synth.PREFECTURES
    pref_cum = list(itertools.accumulate(synth.POPULATION[p] for p in prefs))
    rel_values = [r for r, _ in synth.RELATIONSHIP_SHARES]
    rel_cum = list(itertools.accumulate(w for _, w in synth.RELATIONSHIP_SHARES))
    reason_values = [r for r, _ in REASONS]
    reason_cum = list(itertools.accumulate(w for _, w in REASONS))
    stations = synth.stations()
    fictitious = personal == "fictitious"
    last_day = dt.date(start_year + years - 1, 12, 31)
    path.mkdir(parents=True, exist_ok=True)
    cases_out = fmt.CsvSink(path / fmt.CASES_FILE, fmt.CASE_COLUMNS)
    events_out = fmt.CsvSink(path / fmt.EVENTS_FILE, fmt.EVENT_COLUMNS)
    assessed = _Assessor(path, seed, last_day) if assessments else None
    summary = GenerateSummary()
    plan = [
        (year, round(_year_value(CASES_PER_YEAR, year) * CASE_FACTOR * scale))
        for year in range(start_year, start_year + years)
    ]
    bar = tqdm(total=sum(n for _, n in plan), unit=" cases", disable=not progress)
    for year, n_cases in plan:
        advised_share = _year_value(ADVISED_PER_YEAR, year) * scale / max(n_cases, 1)
        accept, receive = RATES.get(year, RATES[max(RATES)])
        order_rate = _year_value(ORDER_RATE, year)
        arrest_rate = _year_value(ARREST_RATE, year)
        jan1 = dt.date(year, 1, 1)
        days_in_year = (dt.date(year + 1, 1, 1) - jan1).days
        # 2016: the programme started in April, so advice only from then on.
        advice_from = dt.date(2016, 4, 1) if year == 2016 else jan1
        if year == 2016:
            advised_share *= 365 / 275
        for i in range(n_cases):
            pref = choices(prefs, cum_weights=pref_cum)[0]
            opened = jan1 + dt.timedelta(days=randint(0, days_in_year - 1))
            case = _Case(f"G{year}-{pref}-{i + 1:06d}", pref)
            off_sex = "male" if rand() < 0.87 else ("female" if rand() < 0.95 else "unknown")
            vic_sex = "male" if off_sex == "female" and rand() < 0.8 else "female"
            names = ("", "", "", "", "", "", "")
            if fictitious:
                names = (
                    synth.fictitious_name(rng, off_sex),
                    synth.fictitious_name(rng, vic_sex),
                    f"架空県架空市{randint(1, 9)}-{randint(1, 30)}-{randint(1, 20)}",
                    f"090-{randint(0, 9999):04d}-{randint(0, 9999):04d}",
                    "",
                    "",
                    f"080-{randint(0, 9999):04d}-{randint(0, 9999):04d}",
                )
            relationship = choices(rel_values, cum_weights=rel_cum)[0]
            cases_out.write(
                (
                    case.ref,
                    pref,
                    rng.choice(stations[pref]),
                    opened.isoformat(),
                    relationship,
                    off_sex,
                    str(randint(18, 75)),
                    names[0],
                    vic_sex,
                    str(randint(15, 70)),
                    names[1],
                    names[2],
                    names[3],
                    names[4],
                    names[5],
                    names[6],
                    "",
                )
            )
            case.add(opened, "consultation")
            _history(case, rng, opened, order_rate, arrest_rate, year)
            if rand() < advised_share:
                _advice(
                    case,
                    rng,
                    opened,
                    advice_from,
                    accept,
                    receive,
                    reason_values,
                    reason_cum,
                    relationship in synth.PARTNER_RELATIONSHIPS,
                )
            rows = [e for e in case.events if e[2] <= last_day.isoformat()]
            events_out.writerows(rows)
            summary.cases += 1
            summary.events += len(rows)
            if assessed is not None:
                summary.assessments += assessed.write(case)
            if i % 1000 == 999:
                bar.update(1000)
        bar.update(n_cases % 1000)
    bar.close()
    cases_out.close()
    events_out.close()
    if assessed is not None:
        assessed.close()
    return summary


class _Assessor:
    """assessments.csv of a generated set, with the demo instrument."""

    def __init__(self, path: Path, seed: int, last_day: dt.date) -> None:
        demo = parse(DEMO_PATH.read_text(encoding="utf-8"), DEMO_PATH.name)
        self.name, self.version = demo["name"], str(demo["version"])
        self.levels = [lv["code"] for lv in sorted(demo["levels"], key=lambda lv: lv["order"])]
        self.rng = random.Random(f"assessments-{seed}")
        self.last_day = last_day.isoformat()
        self.out = fmt.CsvSink(path / fmt.ASSESSMENTS_FILE, fmt.ASSESSMENT_COLUMNS)

    def write(self, case: _Case) -> int:
        """Assess the case at its first measure (or not); the number of rows written."""
        rand = self.rng.random
        first = next((e for e in case.events if e[3] in LEVEL_WEIGHTS), None)
        if first is None or rand() >= ASSESSED_SHARE:
            return 0
        day = dt.date.fromisoformat(first[2])
        dates = [day]
        if rand() < REVIEW_SHARE:
            dates.append(day + dt.timedelta(days=self.rng.randint(30, 120)))
        rows = [
            (
                case.ref,
                case.pref,
                d.isoformat(),
                self.name,
                self.version,
                self.rng.choices(self.levels, weights=LEVEL_WEIGHTS[first[3]])[0],
                "officer",
            )
            for d in dates
            if d.isoformat() <= self.last_day
        ]
        self.out.writerows(rows)
        return len(rows)

    def close(self) -> None:
        self.out.close()


def _history(
    case: _Case,
    rng: random.Random,
    opened: dt.date,
    order_rate: float,
    arrest_rate: float,
    year: int,
) -> None:
    """Consultations, assistance, follow-ups and measures around the first consultation."""
    rand, randint = rng.random, rng.randint
    day = opened
    for n in range(1, 8):
        if rand() > 0.75:
            break
        day = day + dt.timedelta(days=randint(1, 40))
        case.add(day, "consultation", f"再相談{n}")
    if rand() < 0.6:
        case.add(opened + dt.timedelta(days=randint(0, 20)), "assistance")
    measured = opened
    if rand() < WARNING_RATE:
        measured = opened + dt.timedelta(days=randint(1, 20))
        case.add(measured, "warning")
    if rand() < order_rate:
        measured = measured + dt.timedelta(days=randint(3, 40))
        emergency = measured >= dt.date(2017, 6, 14) and rand() < 0.3
        case.add(measured, "emergency_order" if emergency else "prohibition_order")
    if rand() < arrest_rate:
        measured = measured + dt.timedelta(days=randint(1, 60))
        case.add(measured, "arrest", "stalking" if rand() < 0.6 else "order_violation")
    if rand() < 0.7:
        planned = measured + dt.timedelta(days=randint(7, 30))
        case.add(planned, "followup_planned")
        if rand() < 0.9:
            case.add(planned + dt.timedelta(days=randint(0, 10)), "followup_done")
    if rand() < 0.6:
        case.add(measured + dt.timedelta(days=randint(60, 300)), "case_closed")


def _advice(
    case: _Case,
    rng: random.Random,
    opened: dt.date,
    advice_from: dt.date,
    accept: float,
    receive: float,
    reason_values: list[str],
    reason_cum: list[float],
    partner: bool,
) -> None:
    """One advice episode, its answer, when accepted the referral's course, and the
    first recurrence drawn from `synth.HazardModel` (docs/evaluation.md)."""
    rand, randint = rng.random, rng.randint
    advised = max(opened + dt.timedelta(days=randint(5, 60)), advice_from)
    if not any(e[3] == "warning" for e in case.events):
        case.add(advised - DAY * randint(1, 4), "warning")
    case.add(advised, "treatment_advised")
    answered = advised + dt.timedelta(days=randint(0, 10))
    draw = rand()
    group = "undecided"
    before = {e[3] for e in case.events if e[2] <= advised.isoformat()}
    if draw < receive or draw < accept:
        case.add(answered, "advice_accepted")
        case.add(answered, "consent_police_to_clinic")
        clinic = f"{case.pref}-C{randint(1, 3):03d}"
        sent = answered + dt.timedelta(days=randint(0, 3))
        case.add(sent, "referral_sent", clinic)
        case.add(sent + dt.timedelta(days=randint(1, 5)), "referral_acknowledged")
        scheduled = sent + dt.timedelta(days=randint(5, 15))
        case.add(scheduled, "appointment_scheduled", clinic)
        seen = scheduled + dt.timedelta(days=randint(3, 20))
        group = "accepted_not_received"
        if draw < receive:
            group = "received"
            case.add(seen, "consent_clinic_to_police")
            case.add(seen, "treatment_started")
            day = seen
            for _ in range(randint(0, 6)):
                day = day + dt.timedelta(days=randint(7, 21))
                case.add(day, "session_attended")
            outcome = rand()
            if outcome < 0.35:
                case.add(day + dt.timedelta(days=randint(7, 60)), "treatment_completed")
            elif outcome < 0.65:
                case.add(
                    day + dt.timedelta(days=randint(7, 60)),
                    "treatment_halted",
                    rng.choice(("stopped_attending", "moved", "")),
                )
        elif rand() < 0.6:
            case.add(seen, "assessed_not_needed")
    elif rand() < 0.97:
        reason = rng.choices(reason_values, cum_weights=reason_cum)[0]
        case.add(answered, "advice_rejected", reason)
        group = "rejected"
    hr = synth.HazardModel.hazard_ratio(
        group,
        partner,
        prior_order=bool(before & {"prohibition_order", "emergency_order"}),
        prior_arrest="arrest" in before,
    )
    days = synth.HazardModel.draw_days(rng, hr)
    if days < MAX_FOLLOW_UP_DAYS:
        # Strictly after the advice date: a recurrence on it would not count.
        day = advised + dt.timedelta(days=max(1, math.ceil(days)))
        case.add(day, "recurrence", "same_victim" if rand() < 0.8 else "new_victim")
        case.add(day, "warning")
