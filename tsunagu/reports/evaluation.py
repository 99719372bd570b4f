"""The evaluation of DESIGN §5: does treatment go with less recurrence?

`follow_case` is the one pure function that turns a case's effective timeline
into each advice episode's time, outcome and landmark group. It splits the
timeline with the §4 functions of `tsunagu.cases.timeline` (`episodes`,
`classify`), so an episode here is the episode of the programme report and of
the case page. `evaluate` turns those episodes into the figures and the JSON of
§5; the statistics themselves are in `survival`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from tsunagu.cases import timeline
from tsunagu.reports import risk_levels, survival

OUTCOME_KINDS: dict[str, frozenset[str]] = {
    "recurrence": frozenset(("recurrence",)),
    "any_measure": frozenset(
        ("recurrence", "warning", "prohibition_order", "emergency_order", "arrest")
    ),
}
GROUPS = ("received", "accepted_not_received", "rejected", "undecided")
GROUP_OF_LEAF = timeline.GROUP_OF_LEAF
PARTNER = frozenset(("partner_or_ex", "spouse_or_ex"))
ORDERS = frozenset(("prohibition_order", "emergency_order"))
# The event types the evaluation reads: those that classify an episode, those
# that can be an outcome or a covariate, and corrections.
READ_TYPES: tuple[str, ...] = (
    "warning",
    "prohibition_order",
    "emergency_order",
    "arrest",
    "treatment_advised",
    "advice_accepted",
    "advice_rejected",
    "appointment_scheduled",
    "assessed_not_needed",
    "treatment_started",
    "treatment_completed",
    "treatment_halted",
    "recurrence",
)
DEFAULT_LANDMARK = 90
MAX_LANDMARK = 365


@dataclass(frozen=True)
class Params:
    """What an evaluation is asked for. `prefectures` empty: every one in scope."""

    date_from: dt.date
    date_to: dt.date
    as_of: dt.date
    prefectures: tuple[str, ...] = ()
    landmark: int = DEFAULT_LANDMARK
    outcome: str = "recurrence"

    @classmethod
    def make(
        cls,
        date_from: dt.date,
        date_to: dt.date,
        as_of: dt.date | None = None,
        prefectures: Iterable[str] = (),
        landmark: int | None = None,
        outcome: str | None = None,
    ) -> Params:
        return cls(
            date_from,
            date_to,
            as_of or date_to,
            tuple(sorted(set(prefectures))),
            DEFAULT_LANDMARK if landmark is None else landmark,
            outcome or "recurrence",
        )

    def as_query(self) -> dict[str, Any]:
        return {
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "as_of": self.as_of.isoformat(),
            "prefecture": list(self.prefectures),
            "landmark": self.landmark,
            "outcome": self.outcome,
        }


class FollowedEpisode(NamedTuple):
    """One advice episode as the evaluation follows it.

    `days` is the time from advice to the outcome (`event`) or to censoring;
    `group` is None when the episode left follow-up on or before the landmark
    (`excluded_before_landmark`). Holds no personal data.
    """

    case_id: int
    prefecture: str
    advised_on: dt.date
    days: int
    event: bool
    outcome_on: dt.date | None
    leaf: str
    group: str | None
    partner: bool
    prior_order: bool
    prior_arrest: bool
    # The risk level at advice (`risk_levels`); NOT_ASSESSED unless the case's
    # `risk_assessed` events were read with the others.
    risk_level: str = risk_levels.NOT_ASSESSED


def follow_case(
    case_id: int,
    prefecture: str,
    relationship: str,
    events: Sequence[timeline.Ev],
    params: Params,
) -> list[FollowedEpisode]:
    """The episodes of one case advised in the period, followed as §5 says.

    `events` is the case's timeline (corrections included; they are applied
    here). Only events on or before as-of count.
    """
    kinds = OUTCOME_KINDS[params.outcome]
    as_of = params.as_of
    effective = timeline.effective(events, as_of)
    assessed = [ev for ev in effective if ev.type == timeline.RISK_ASSESSED]
    if assessed:
        effective = [ev for ev in effective if ev.type != timeline.RISK_ASSESSED]
    eps = timeline.episodes(effective)
    result: list[FollowedEpisode] = []
    for index, episode in enumerate(eps):
        advised_on = episode.advised_on
        if not params.date_from <= advised_on <= params.date_to:
            continue
        # The next advice on a later date ends follow-up (another of the same day
        # starts an episode that ends this one on day 0).
        next_on = eps[index + 1].advised_on if index + 1 < len(eps) else None
        end = min(as_of, next_on) if next_on is not None else as_of
        # The episode's own events run from this advice to the next one, so the
        # first outcome lies among them (strictly after the advice date and
        # before the next advice date).
        outcome_on = None
        for ev in episode.events:
            if ev[1] in kinds and ev[0] > advised_on and (next_on is None or ev[0] < next_on):
                outcome_on = ev[0]
                break
        days = ((outcome_on or end) - advised_on).days
        cutoff = min(advised_on + dt.timedelta(days=params.landmark), as_of)
        at_landmark = timeline.Episode(
            advised=episode.advised, events=[ev for ev in episode.events if ev[0] <= cutoff]
        )
        leaf = timeline.classify(at_landmark).leaf
        before: set[str] = set()
        for ev in effective:  # in date order
            if ev[0] > advised_on:
                break
            before.add(ev[1])
        result.append(
            FollowedEpisode(
                case_id=case_id,
                prefecture=prefecture,
                advised_on=advised_on,
                days=days,
                event=outcome_on is not None,
                outcome_on=outcome_on,
                leaf=leaf,
                group=GROUP_OF_LEAF[leaf] if days > params.landmark else None,
                partner=relationship in PARTNER,
                prior_order=not ORDERS.isdisjoint(before),
                prior_arrest="arrest" in before,
                risk_level=risk_levels.level_at_advice(assessed, advised_on),
            )
        )
    return result


@dataclass
class Evaluation:
    """The figures of §5 and the episodes and curves behind them."""

    params: Params
    episodes: list[FollowedEpisode]
    result: dict[str, Any]
    curves: dict[str, survival.Curve]
    # The figures of each risk level at advice (`by_level`), when asked for.
    levels: dict[str, dict[str, Any]] | None = None

    def as_json(self) -> dict[str, Any]:
        """§5's JSON; with the breakdown asked for, its table in one more key."""
        if self.levels is None:
            return self.result
        return {**self.result, "by_risk_level": self.levels}


class _Figures(NamedTuple):
    overall: dict[str, Any]
    groups: dict[str, Any]
    curves: dict[str, survival.Curve]
    samples: dict[str, tuple[list[float], list[bool]]]


def _figures(rows: Sequence[FollowedEpisode], L: int) -> _Figures:
    """n, events and the Kaplan–Meier figures of all `rows` from advice, and of
    each group on the landmark clock (§5)."""
    overall, overall_curve = survival.figures([r.days for r in rows], [r.event for r in rows])
    curves = {"overall": overall_curve}
    groups: dict[str, Any] = {}
    samples: dict[str, tuple[list[float], list[bool]]] = {}
    for group in GROUPS:
        members = [r for r in rows if r.group == group]
        sample = ([float(r.days - L) for r in members], [r.event for r in members])
        samples[group] = sample
        groups[group], curves[group] = survival.figures(*sample, shift=L)
    return _Figures(overall, groups, curves, samples)


def by_level(rows: Sequence[FollowedEpisode], L: int) -> dict[str, dict[str, Any]]:
    """The same figures (`overall` and `groups`, §5's keys) for the episodes of
    each risk level at advice, in no particular order. A separate table: the
    Cox model and every §5 figure stay those of all episodes."""
    per: dict[str, list[FollowedEpisode]] = {}
    for r in rows:
        per.setdefault(r.risk_level, []).append(r)
    result = {}
    for level, members in per.items():
        figs = _figures(members, L)
        result[level] = {"overall": figs.overall, "groups": figs.groups}
    return result


def evaluate(
    params: Params, episodes: Iterable[FollowedEpisode], with_levels: bool = False
) -> Evaluation:
    """The §5 figures of followed episodes (already scoped and in the period);
    `with_levels`: also the figures of each risk level at advice (`levels`)."""
    rows = list(episodes)
    L = params.landmark
    overall, groups, curves, samples = _figures(rows, L)
    overall_curve = curves["overall"]
    landmark_rows = [
        {
            "time": r.days - L,
            "event": r.event,
            "group": r.group,
            "partner": r.partner,
            "prior_order": r.prior_order,
            "prior_arrest": r.prior_arrest,
        }
        for r in rows
        if r.group is not None
    ]
    cox = survival.cox(landmark_rows)
    received = cox["terms"].get("received") if cox else None
    result = {
        "period": {
            "from": params.date_from.isoformat(),
            "to": params.date_to.isoformat(),
            "as_of": params.as_of.isoformat(),
        },
        "outcome": params.outcome,
        "landmark_days": L,
        "excluded_before_landmark": sum(1 for r in rows if r.group is None),
        "overall": overall,
        "groups": groups,
        "logrank": survival.logrank(samples["received"], samples["rejected"]),
        "cox": cox,
        "evalue": survival.evalue(received, survival.cumulative_outcome(overall_curve)),
    }
    return Evaluation(params, rows, result, curves, by_level(rows, L) if with_levels else None)
