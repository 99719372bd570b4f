"""The generator of the `npa-2016` data set (data/npa-2016/), deterministic by seed.

It reproduces the NPA's published figures for April–December 2016 (DESIGN §4):
293 advice episodes in 33 prefectures, 108 accepted, 73 received in 28
prefectures (14 completed, 48 continuing, 11 halted), 13 scheduled, 22 assessed
not needed, 179 rejected, 6 undecided; 5 recurrences among continuing + halted
and none among completed. One advice episode per advised case.

Around them, a consultation history at 1:10 scale: about 2,274 cases opened in
2016 in all 47 prefectures (a tenth of the 22,737 consultations of 2016), with
warnings, orders, arrests and assistance in FACTS.md proportions. Some events
fall in early 2017 (after the as-of date), so the report's as-of filter matters.

Follow-up for the evaluation (DESIGN §5): an episode without a recurrence in 2016
gets its first recurrence, if any, from the generator's hazard model
(`synth.HazardModel`, docs/evaluation.md) conditional on none by 2016-12-31, up
to FOLLOW_UP_END. These are drawn with a second random stream after everything
else, so the 2016 rows, and the §4 figures as of 2016-12-31, stay as they were.
Personal columns are left empty: the set holds no names at all.

Run `python -m tsunagu.interchange.npa2016 data/npa-2016` to rewrite the files;
the figures are checked with `timeline.episodes`/`classify` before writing.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tsunagu.cases import timeline
from tsunagu.interchange import synth

SEED = 2016
PERIOD = (dt.date(2016, 4, 1), dt.date(2016, 12, 31))
AS_OF = dt.date(2016, 12, 31)
SCALE = 10  # the consultation history is a tenth of the national count
CASES_OPENED_2016 = 22_737 // SCALE

LEAF_COUNTS: dict[str, int] = {
    "completed": 14,
    "continuing": 48,
    "halted": 11,
    "scheduled": 13,
    "not_needed": 22,
    "rejected": 179,
    "undecided": 6,
}
ADVISED_PREFECTURES = 33
RECEIVED_PREFECTURES = 28
# "Did not see medical care as necessary" the most frequent; some blame the victim.
REJECTION_REASONS: dict[str, int] = {
    "sees_no_need": 104,
    "blames_victim": 27,
    "cost": 18,
    "time": 12,
    "distrust": 9,
    "other": 9,
}
# Episodes with a recurrence after the advice, by leaf (5 among continuing + halted).
RECURRENCES: dict[str, int] = {"continuing": 3, "halted": 2, "rejected": 12, "not_needed": 1}
# Tokyo's clinics: 13-C001 is in the demo directory, the others are not (kept as written).
CLINICS: dict[str, tuple[str, ...]] = {"13": ("13-C001", "13-C002")}

RECEIVED = ("completed", "continuing", "halted")
# Recurrences are drawn up to this date (the evaluation's follow-up).
FOLLOW_UP_END = dt.date(2025, 12, 31)
GROUP_OF_LEAF = timeline.GROUP_OF_LEAF


def _clinic(rng: random.Random, pref: str) -> str:
    return rng.choice(CLINICS.get(pref, (f"{pref}-C001",)))


def _pick_prefectures(rng: random.Random) -> tuple[list[str], list[str]]:
    """33 prefectures with advice, 28 of them with a received episode (weighted by size)."""
    pool = list(synth.PREFECTURES)
    chosen: list[str] = []
    while len(chosen) < ADVISED_PREFECTURES:
        pick = rng.choices(pool, [synth.POPULATION[p] for p in pool])[0]
        pool.remove(pick)
        chosen.append(pick)
    received = chosen[:RECEIVED_PREFECTURES]  # drawn by weight, so mostly the larger ones
    return sorted(chosen), sorted(received)


def _assign(
    rng: random.Random, prefs: list[str], received_prefs: list[str]
) -> list[tuple[str, str]]:
    """(prefecture, leaf) for every episode, every prefecture covered as required."""
    received = [leaf for leaf in RECEIVED for _ in range(LEAF_COUNTS[leaf])]
    others = [
        leaf for leaf in LEAF_COUNTS if leaf not in RECEIVED for _ in range(LEAF_COUNTS[leaf])
    ]
    rng.shuffle(received)
    rng.shuffle(others)
    weights = {p: synth.POPULATION[p] for p in prefs}
    result: list[tuple[str, str]] = []
    for i, leaf in enumerate(received):
        if i < len(received_prefs):
            pref = received_prefs[i]
        else:
            pref = rng.choices(received_prefs, [weights[p] for p in received_prefs])[0]
        result.append((pref, leaf))
    without = [p for p in prefs if p not in received_prefs]
    for i, leaf in enumerate(others):
        pref = without[i] if i < len(without) else rng.choices(prefs, list(weights.values()))[0]
        result.append((pref, leaf))
    return result


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.cases: list[synth.CaseRow] = []
        self.events: list[synth.EventRow] = []
        self.numbers: Counter[str] = Counter()
        # (ref, pref, advised on, leaf, recurred in 2016) of each advised case.
        self.advised: list[tuple[str, str, dt.date, str, bool]] = []

    def case(self, pref: str, opened: dt.date) -> str:
        rng = self.rng
        self.numbers[pref] += 1
        ref = f"H{opened.year - 1988}-{pref}-{self.numbers[pref]:04d}"
        off_sex = rng.choices(("male", "female", "unknown"), (0.87, 0.12, 0.01))[0]
        vic_sex = "male" if off_sex == "female" and rng.random() < 0.8 else "female"
        self.cases.append(
            (
                ref,
                pref,
                rng.choice(synth.stations()[pref]),
                opened.isoformat(),
                synth.choose(rng, synth.RELATIONSHIP_SHARES),
                off_sex,
                str(rng.randint(19, 72)),
                "",
                vic_sex,
                str(rng.randint(16, 65)),
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            )
        )
        self.event(ref, pref, opened, "consultation")
        return ref

    def event(self, ref: str, pref: str, day: dt.date, type_: str, detail: str = "") -> None:
        self.events.append((ref, pref, day.isoformat(), type_, detail))


def _advised_case(b: _Builder, pref: str, leaf: str, reason: str, recurs: bool, late: bool) -> None:
    """A case whose one advice episode ends in `leaf` as of 2016-12-31."""
    rng = b.rng
    start, end = PERIOD
    # Treatment needs time to happen before the as-of date; answers do not.
    latest = {"completed": dt.date(2016, 9, 15), "halted": dt.date(2016, 10, 15)}.get(
        leaf, dt.date(2016, 11, 20) if leaf in RECEIVED or leaf == "not_needed" else end
    )
    advised = synth.between(
        rng, start, latest - dt.timedelta(days=10 if leaf != "undecided" else 0)
    )
    opened = advised - dt.timedelta(days=rng.randint(30, 420))
    ref = b.case(pref, opened)
    # Measures before the advice: a warning for most, an order for some, an arrest for a few.
    day = opened
    if rng.random() < 0.85:
        day = synth.between(rng, opened + dt.timedelta(days=2), opened + dt.timedelta(days=20))
        b.event(ref, pref, day, "warning")
    if rng.random() < 0.3:
        day = synth.between(rng, day + dt.timedelta(days=3), advised - dt.timedelta(days=3))
        b.event(ref, pref, day, "prohibition_order")
    if rng.random() < 0.08:
        day = synth.between(rng, day + dt.timedelta(days=1), advised - dt.timedelta(days=1))
        b.event(ref, pref, day, "arrest", rng.choice(("stalking", "order_violation")))
    if rng.random() < 0.3:
        b.event(ref, pref, synth.between(rng, opened, advised), "assistance")
    b.event(ref, pref, advised, "treatment_advised")
    b.advised.append((ref, pref, advised, leaf, recurs))
    answered = advised + dt.timedelta(days=rng.randint(0, 7))
    last = answered
    if leaf == "rejected":
        b.event(ref, pref, min(answered, end), "advice_rejected", reason)
        last = min(answered, end)
    elif leaf == "undecided":
        if rng.random() < 0.4:
            b.event(ref, pref, min(answered, end), "advice_undecided")
    else:
        b.event(ref, pref, answered, "advice_accepted")
        b.event(ref, pref, answered, "consent_police_to_clinic")
        scheduled = answered + dt.timedelta(days=rng.randint(3, 14))
        clinic = _clinic(rng, pref)
        if leaf == "scheduled":
            scheduled = min(scheduled, end)
            b.event(ref, pref, scheduled, "appointment_scheduled", clinic)
            last = scheduled
            if late:  # started in 2017, after the as-of date
                b.event(ref, pref, dt.date(2017, 1, rng.randint(10, 31)), "treatment_started")
        else:
            b.event(ref, pref, scheduled, "appointment_scheduled", clinic)
            seen = scheduled + dt.timedelta(days=rng.randint(3, 14))
            last = seen
            if leaf == "not_needed":
                b.event(ref, pref, seen, "assessed_not_needed")
            else:
                b.event(ref, pref, seen, "consent_clinic_to_police")
                b.event(ref, pref, seen, "treatment_started")
                if leaf == "completed":
                    last = seen + dt.timedelta(days=rng.randint(30, 90))
                    b.event(ref, pref, last, "treatment_completed")
                elif leaf == "halted":
                    last = seen + dt.timedelta(days=rng.randint(14, 60))
                    b.event(ref, pref, last, "treatment_halted")
                elif late:  # completed in 2017
                    b.event(ref, pref, dt.date(2017, 2, rng.randint(1, 28)), "treatment_completed")
    if recurs:
        day = synth.between(rng, last + dt.timedelta(days=1), max(last + dt.timedelta(days=1), end))
        day = min(day, end)
        b.event(ref, pref, day, "recurrence", rng.choice(("same_victim",) * 4 + ("new_victim",)))
        b.event(ref, pref, day, "warning")
        b.event(ref, pref, day + dt.timedelta(days=3), "followup_planned")


def _history_case(b: _Builder, pref: str) -> None:
    """A 2016 case with no treatment advice: consultations and measures."""
    rng = b.rng
    opened = synth.between(rng, dt.date(2016, 1, 4), dt.date(2016, 12, 28))
    ref = b.case(pref, opened)
    day = opened
    if rng.random() < 0.25:
        day = synth.between(rng, opened, min(opened + dt.timedelta(days=60), AS_OF))
        b.event(ref, pref, day, "consultation", "再相談")
    if rng.random() < 0.3:
        b.event(ref, pref, synth.between(rng, opened, opened + dt.timedelta(days=30)), "assistance")
    if rng.random() < 0.16:
        day = synth.between(rng, opened + dt.timedelta(days=1), opened + dt.timedelta(days=30))
        b.event(ref, pref, day, "warning")
        if rng.random() < 0.08:
            day = synth.between(rng, day + dt.timedelta(days=5), day + dt.timedelta(days=60))
            b.event(ref, pref, day, "prohibition_order")
    if rng.random() < 0.03:
        day = synth.between(rng, day + dt.timedelta(days=1), day + dt.timedelta(days=45))
        b.event(ref, pref, day, "arrest", rng.choice(timeline.ARREST_KINDS))
    if rng.random() < 0.45:
        b.event(ref, pref, day + dt.timedelta(days=rng.randint(30, 200)), "case_closed")


def build(seed: int = SEED) -> tuple[list[synth.CaseRow], list[synth.EventRow]]:
    """The whole set as rows (cases in CASE_COLUMNS, events in EVENT_COLUMNS)."""
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not security)
    b = _Builder(rng)
    prefs, received_prefs = _pick_prefectures(rng)
    assignment = _assign(rng, prefs, received_prefs)
    reasons = [r for r, n in REJECTION_REASONS.items() for _ in range(n)]
    rng.shuffle(reasons)
    recurring: dict[str, set[int]] = {}
    for leaf, n in RECURRENCES.items():
        positions = [i for i, (_, lf) in enumerate(assignment) if lf == leaf]
        recurring[leaf] = set(rng.sample(positions, n))
    late = {leaf: set(rng.sample([i for i, (_, lf) in enumerate(assignment) if lf == leaf], k))
            for leaf, k in (("continuing", 10), ("scheduled", 4))}  # fmt: skip
    for i, (pref, leaf) in enumerate(assignment):
        reason = reasons.pop() if leaf == "rejected" else ""
        _advised_case(
            b,
            pref,
            leaf,
            reason,
            i in recurring.get(leaf, set()),
            i in late.get(leaf, set()),
        )
    opened_2016 = sum(1 for row in b.cases if row[3].startswith("2016"))
    weights = [synth.POPULATION[p] for p in synth.PREFECTURES]
    for _ in range(CASES_OPENED_2016 - opened_2016):
        _history_case(b, rng.choices(synth.PREFECTURES, weights)[0])
    _follow_up(b, random.Random(seed + 1))  # noqa: S311
    return b.cases, b.events


def _follow_up(b: _Builder, rng: random.Random) -> None:
    """First recurrences after 2016 of the episodes that had none in 2016."""
    relationship = {(row[1], row[0]): row[4] for row in b.cases}
    before: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for ref, pref, iso, type_, _ in b.events:
        before.setdefault((pref, ref), []).append((iso, type_))
    for ref, pref, advised, leaf, recurred in b.advised:
        if recurred:
            continue
        prior = {t for iso, t in before[(pref, ref)] if iso <= advised.isoformat()}
        hr = synth.HazardModel.hazard_ratio(
            GROUP_OF_LEAF[leaf],
            relationship[(pref, ref)] in synth.PARTNER_RELATIONSHIPS,
            prior_order=bool(prior & {"prohibition_order", "emergency_order"}),
            prior_arrest="arrest" in prior,
        )
        followed = (AS_OF - advised).days
        days = synth.HazardModel.draw_days(rng, hr, after=followed)
        if days > (FOLLOW_UP_END - advised).days:
            continue
        day = advised + dt.timedelta(days=max(followed + 1, math.ceil(days)))
        b.event(ref, pref, day, "recurrence", rng.choice(("same_victim",) * 4 + ("new_victim",)))
        b.event(ref, pref, day, "warning")


def figures(
    events: Iterable[synth.EventRow],
    start: dt.date = PERIOD[0],
    end: dt.date = PERIOD[1],
    as_of: dt.date = AS_OF,
) -> dict[str, Any]:
    """The report's main figures over interchange event rows, by timeline.episodes/classify."""
    by_case: dict[tuple[str, str], list[timeline.Ev]] = {}
    for i, (ref, pref, day, type_, detail) in enumerate(events):
        by_case.setdefault((pref, ref), []).append(
            timeline.Ev(dt.date.fromisoformat(day), type_, detail, i)
        )
    leaves: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    recurred: Counter[str] = Counter()
    prefs: set[str] = set()
    prefs_received: set[str] = set()
    for (pref, _), evs in by_case.items():
        for episode in timeline.episodes(evs, as_of):
            if not start <= episode.advised_on <= end:
                continue
            c = timeline.classify(episode)
            leaves[c.leaf] += 1
            prefs.add(pref)
            if c.received:
                prefs_received.add(pref)
            if c.rejection_reason:
                reasons[c.rejection_reason] += 1
            if c.recurred:
                recurred[c.leaf] += 1
    return {
        "advised": sum(leaves.values()),
        "prefectures_advised": len(prefs),
        "accepted": sum(
            leaves[x] for x in ("completed", "continuing", "halted", "scheduled", "not_needed")
        ),
        "received": sum(leaves[x] for x in RECEIVED),
        "prefectures_received": len(prefs_received),
        **{leaf: leaves[leaf] for leaf in timeline.LEAVES},
        "rejection_reasons": {r: reasons[r] for r in timeline.REJECTION_REASONS},
        "recurrence": {leaf: recurred[leaf] for leaf in timeline.LEAVES},
    }


def check(events: list[synth.EventRow]) -> None:
    """Refuse to write a set that misses a published figure."""
    got = figures(events)
    want = {
        "advised": 293,
        "prefectures_advised": 33,
        "accepted": 108,
        "received": 73,
        "prefectures_received": 28,
        **LEAF_COUNTS,
        "rejection_reasons": REJECTION_REASONS,
    }
    for key, value in want.items():
        if got[key] != value:
            raise AssertionError(f"{key}: {got[key]} != {value}")
    recurrence = got["recurrence"]
    assert isinstance(recurrence, dict)
    if recurrence["continuing"] + recurrence["halted"] != 5 or recurrence["completed"] != 0:
        raise AssertionError(f"recurrence: {recurrence}")


def main(argv: list[str]) -> None:
    target = Path(argv[1]) if len(argv) > 1 else Path("data/npa-2016")
    cases, events = build()
    check(events)
    synth.write_sorted(target, cases, events)
    print(f"{len(cases)} cases, {len(set(events))} events written to {target}")  # noqa: T201


if __name__ == "__main__":
    main(sys.argv)
