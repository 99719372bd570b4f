"""The programme status report (DESIGN §4), computed from the database.

Only the cases with a `treatment_advised` in the period are read, and only their
events that can change a classification, streamed in timeline order and grouped
per case. Each case's events then go through the shared pure functions of
`tsunagu.cases.timeline` (`episodes`, `classify`), so the report says exactly
what the case pages say.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connections
from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast

from tsunagu.cases import timeline
from tsunagu.cases.models import Case, Event, statistics_prefectures
from tsunagu.core.models import Region
from tsunagu.reports import cache as report_cache
from tsunagu.reports import risk_levels
from tsunagu.reports.models import ProgrammeVersion

# The event types that can change an episode's classification (read with the
# corrections, which may void one of them). Other events never decide a leaf.
CLASSIFYING_TYPES = timeline.CLASSIFYING_TYPES
# The consent events that decide what the police may see of the clinic's status
# (DESIGN §2): read for a police drill-down only.
POLICE_CONSENT_TYPES = ("consent_clinic_to_police", "consent_clinic_to_police_withdrawn")
# The events whose writes change the report's figures (with its risk levels): what
# `ProgrammeVersion` counts (the database triggers of migration 0004 list them).
VERSIONED_TYPES: frozenset[str] = frozenset(
    {*CLASSIFYING_TYPES, "correction", timeline.RISK_ASSESSED}
)

LEAVES = timeline.LEAVES
REASONS = timeline.REJECTION_REASONS
# The recurrence breakdown of DESIGN §4, in the order of its JSON.
RECURRENCE_KEYS = (
    "not_finished",
    "completed",
    "continuing",
    "halted",
    "scheduled",
    "not_needed",
    "rejected",
    "undecided",
)
# Figures a number can stand for, each a set of leaves (drill-down filters).
FIGURES: dict[str, tuple[str, ...]] = {
    "advised": LEAVES,
    "accepted": timeline.ACCEPTED_LEAVES,
    "received": timeline.RECEIVED_LEAVES,
    "not_finished": timeline.NOT_FINISHED_LEAVES,
    **{leaf: (leaf,) for leaf in LEAVES},
}
# Figures shown as a share of the episodes advised.
PERCENT_KEYS = (
    "accepted",
    "received",
    "completed",
    "continuing",
    "halted",
    "scheduled",
    "not_needed",
    "rejected",
    "undecided",
)


@dataclass(frozen=True)
class Params:
    """What a programme report is asked for: a period, an as-of date, prefectures.

    `prefectures` holds JIS codes; empty means every prefecture in scope.
    """

    date_from: dt.date
    date_to: dt.date
    as_of: dt.date
    prefectures: tuple[str, ...] = ()

    @classmethod
    def make(
        cls,
        date_from: dt.date,
        date_to: dt.date,
        as_of: dt.date | None = None,
        prefectures: Iterable[str] = (),
    ) -> Params:
        return cls(date_from, date_to, as_of or date_to, tuple(sorted(set(prefectures))))

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "as_of": self.as_of.isoformat(),
            "prefectures": list(self.prefectures),
        }


class EpisodeRow(NamedTuple):
    """One advice episode of the report: where it falls, and its dates.

    Holds no personal data: the case id stays inside the server (supervisors get
    a link to the case, analysts a pseudonym). The dates after `advised_on` are
    filled for drill-down lists only (`episode_rows(..., detailed=True)`); a row
    for the police holds only what the police may see (`police_view`).
    """

    case_id: int
    prefecture: str
    advised_on: dt.date
    leaf: str
    reason: str | None
    recurred: bool
    answered_on: dt.date | None = None
    started_on: dt.date | None = None
    leaf_on: dt.date | None = None
    recurrence_on: dt.date | None = None
    # The risk level at advice (`risk_levels`), when the report is broken down by it.
    risk_level: str = ""

    @property
    def accepted(self) -> bool:
        return self.leaf in FIGURES["accepted"]

    @property
    def received(self) -> bool:
        return self.leaf in FIGURES["received"]


def classify_case(
    events: Sequence[timeline.Ev], date_from: dt.date, date_to: dt.date, as_of: dt.date
) -> list[tuple[timeline.Episode, timeline.Classification]]:
    """The episodes of one case advised in [from, to], classified as of a date."""
    result = []
    for episode in timeline.episodes(events, as_of):
        if date_from <= episode.advised_on <= date_to:
            result.append((episode, timeline.classify(episode)))
    return result


def _row(
    case_id: int, prefecture: str, episode: timeline.Episode, c: timeline.Classification
) -> EpisodeRow:
    answered_on = started_on = leaf_on = recurrence_on = None
    for ev in episode.events:
        if ev.type in ("advice_accepted", "advice_rejected"):
            answered_on = ev.date
        elif ev.type == "treatment_started" and started_on is None:
            started_on = ev.date
        elif ev.type == "recurrence" and ev.date > episode.advised_on and recurrence_on is None:
            recurrence_on = ev.date
        if (
            (c.leaf in timeline.RECEIVED_LEAVES and ev.type.startswith("treatment_"))
            or (c.leaf == "not_needed" and ev.type == "assessed_not_needed")
            or (c.leaf == "scheduled" and ev.type == "appointment_scheduled")
            or (c.leaf == "rejected" and ev.type == "advice_rejected")
        ):
            leaf_on = ev.date
    return EpisodeRow(
        case_id=case_id,
        prefecture=prefecture,
        advised_on=episode.advised_on,
        leaf=c.leaf,
        reason=c.rejection_reason,
        recurred=c.recurred,
        answered_on=answered_on,
        started_on=started_on,
        leaf_on=leaf_on,
        recurrence_on=recurrence_on,
    )


def scoped_cases(scope: QuerySet[Case], prefectures: Sequence[str]) -> QuerySet[Case]:
    if prefectures:
        scope = scope.filter(prefecture__code__in=list(prefectures))
    return scope


def _day(value: Any, cache: dict[Any, dt.date]) -> dt.date:
    """A date column as a date: SQLite returns ISO text, PostgreSQL a date. Dates
    repeat across rows, so each distinct value is parsed once."""
    day = cache.get(value)
    if day is None:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
        cache[value] = day
    return day


class CaseTimeline(NamedTuple):
    """One advised case as the reports read it: its id, prefecture code, the case
    columns asked for, and its relevant events (corrections included)."""

    case_id: int
    prefecture: str
    columns: tuple[Any, ...]
    events: list[timeline.Ev]


def advised_timelines(
    scope: QuerySet[Case],
    params: Any,
    types: Sequence[str],
    case_columns: Sequence[str] = (),
) -> Iterator[CaseTimeline]:
    """Every case in `scope` with a `treatment_advised` in the period (`params`:
    `date_from`, `date_to`, `as_of`, `prefectures`), with its events of `types`
    dated on or before as-of and all its corrections, streamed case by case.
    The programme report, the evaluation and their drill-downs all read cases here.

    Four queries: the prefectures, the cases advised in the period (with
    `case_columns`), their corrections, then their events, fetched in chunks. The
    rows are read without the ORM's per-row converters, which cost more than the
    classification on a national report.
    """
    last_advice = min(params.date_to, params.as_of)
    if last_advice < params.date_from:
        return
    advised = Event.objects.filter(
        type="treatment_advised", date__gte=params.date_from, date__lte=last_advice
    )
    scope = scoped_cases(scope, params.prefectures)
    if scope.query.where:
        # A prefecture's scope or a chosen set: only their cases. (An unrestricted
        # scope needs no join with the cases, which PostgreSQL would scan whole.)
        advised = advised.filter(case__in=scope)
    case_ids = advised.values("case_id")
    codes = dict(Region.objects.filter(kind=Region.Kind.PREFECTURE).values_list("pk", "code"))
    cases = {
        pk: (codes[pref], tuple(rest))
        for pk, pref, *rest in Case.objects.filter(pk__in=case_ids)
        .order_by()
        .values_list("pk", "prefecture_id", *case_columns)
    }
    if not cases:
        return
    # Corrections are few; they void their target whatever their own date
    # (timeline.effective), so they are read apart from the dated events.
    corrections: dict[int, list[timeline.Ev]] = {}
    for case_id, day, detail, pk in (
        Event.objects.filter(case_id__in=case_ids, type="correction")
        .order_by()
        .values_list("case_id", "date", "detail", "id")
    ):
        corrections.setdefault(case_id, []).append(timeline.Ev(day, "correction", detail, pk))
    events = (
        Event.objects.filter(case_id__in=case_ids, type__in=list(types), date__lte=params.as_of)
        # Grouped by case only: that order is the one of the event identity index,
        # which holds every column read here, so no table row is visited. Within a
        # case, timeline.effective() puts the events in (date, type rank, id) order.
        .order_by("case_id")
        # As text: parsed once per distinct date below, not once per row.
        .annotate(day=Cast("date", output_field=CharField()))
        .values_list("case_id", "day", "type", "detail", "id")
    )
    sql, sql_params = events.query.sql_with_params()
    days: dict[Any, dt.date] = {}
    Ev = timeline.Ev

    def case(case_id: int, evs: list[timeline.Ev]) -> CaseTimeline:
        pref, columns = cases[case_id]
        return CaseTimeline(case_id, pref, columns, evs + corrections.get(case_id, []))

    # A plain cursor: SQLite steps through the rows as they are fetched; PostgreSQL
    # sends the rows of the advised cases only (tens of thousands nationally) in one
    # go. A server-side cursor there took three times as long (fast-start plan, held
    # cursor materialised at commit).
    with connections[events.db].cursor() as cursor:
        cursor.execute(sql, sql_params)
        current: int | None = None
        evs: list[timeline.Ev] = []
        while chunk := cursor.fetchmany(5000):
            for case_id, day, kind, detail, pk in chunk:
                if case_id != current:
                    # A case advised between the two queries is left to the next report.
                    if current is not None and current in cases:
                        yield case(current, evs)
                    current, evs = case_id, []
                evs.append(Ev(_day(day, days), kind, detail, pk))
        if current is not None and current in cases:
            yield case(current, evs)


def case_timelines(
    scope: QuerySet[Case], params: Params, with_consents: bool = False, with_levels: bool = False
) -> Iterator[tuple[int, str, list[timeline.Ev]]]:
    """(case id, prefecture code, relevant events) of every case in `scope` with a
    `treatment_advised` in the period, streamed case by case. `with_consents` adds
    the clinic-to-police consent events, which decide the police view;
    `with_levels` the risk assessments."""
    types = (*CLASSIFYING_TYPES, *POLICE_CONSENT_TYPES) if with_consents else CLASSIFYING_TYPES
    if with_levels:
        types = (*types, timeline.RISK_ASSESSED)
    for case in advised_timelines(scope, params, types):
        yield case.case_id, case.prefecture, case.events


def episode_rows(
    scope: QuerySet[Case],
    params: Params,
    detailed: bool = True,
    police_view: bool = False,
    with_levels: bool = False,
) -> Iterator[EpisodeRow]:
    """Every advice episode of the period within `scope`, classified as of `as_of`;
    with `detailed`, also the dates a drill-down list shows.

    With `police_view` (a drill-down shown to the police), each case is classified
    from `timeline.police_view` of its events: clinic status reported while the
    offender's clinic-to-police consent stood withdrawn is left out, as on the case
    page (DESIGN §2). The figures (`compute`) always count the full timeline.

    With `with_levels`, each row carries its risk level at advice
    (`risk_levels.level_at_advice`); the assessments take no part in the
    classification.
    """
    cases = case_timelines(scope, params, with_consents=police_view, with_levels=with_levels)
    for case_id, pref, evs in cases:
        assessed = evs
        if with_levels:
            evs = [ev for ev in evs if ev.type != timeline.RISK_ASSESSED]
        if police_view:
            evs = timeline.police_view(evs)
        for episode, c in classify_case(evs, params.date_from, params.date_to, params.as_of):
            level = risk_levels.level_at_advice(assessed, episode.advised_on) if with_levels else ""
            if detailed:
                yield _row(case_id, pref, episode, c)._replace(risk_level=level)
            else:
                yield EpisodeRow(
                    case_id,
                    pref,
                    episode.advised_on,
                    c.leaf,
                    c.rejection_reason,
                    c.recurred,
                    risk_level=level,
                )


# --- figures -------------------------------------------------------------------------


def empty_figures(with_prefectures: bool) -> dict[str, Any]:
    figures: dict[str, Any] = {"advised": 0}
    if with_prefectures:
        figures["prefectures_advised"] = 0
    figures["accepted"] = 0
    figures["received"] = 0
    if with_prefectures:
        figures["prefectures_received"] = 0
    for leaf in LEAVES:
        figures[leaf] = 0
    figures["rejection_reasons"] = dict.fromkeys(REASONS, 0)
    figures["recurrence"] = dict.fromkeys(RECURRENCE_KEYS, 0)
    return figures


def _columns(*names: str) -> Callable[[EpisodeRow], Any]:
    """The given fields of a row as a tuple, read in C (counting tens of thousands
    of rows by their distinct values is then fast)."""
    return itemgetter(*(EpisodeRow._fields.index(name) for name in names))


# What the figures of an episode depend on: its leaf, rejection reason and recurrence.
_BY_PREFECTURE = _columns("prefecture", "leaf", "reason", "recurred")
_BY_LEVEL = _columns("risk_level", "leaf", "reason", "recurred")
_BY_DAY = _columns("advised_on", "leaf")


def _add(figures: dict[str, Any], outcome: tuple[str, str | None, bool], n: int) -> None:
    """Count `n` episodes of one (leaf, reason, recurred) into `figures`."""
    leaf, reason, recurred = outcome
    figures["advised"] += n
    figures[leaf] += n
    if leaf in FIGURES["accepted"]:
        figures["accepted"] += n
    if leaf in FIGURES["received"]:
        figures["received"] += n
    if leaf == "rejected":
        figures["rejection_reasons"][reason or "other"] += n
    if recurred:
        figures["recurrence"][leaf] += n
        if leaf in FIGURES["not_finished"]:
            figures["recurrence"]["not_finished"] += n


def percent(part: int, whole: int) -> float | None:
    """A share in percent to one decimal, rounded half up (108/293 → 36.9)."""
    if not whole:
        return None
    tenths = (2000 * part + whole) // (2 * whole)
    return tenths / 10


def percentages(figures: dict[str, Any]) -> dict[str, float | None]:
    return {key: percent(figures[key], figures["advised"]) for key in PERCENT_KEYS}


@dataclass
class Report:
    """The figures of a programme report, and the episodes behind them."""

    params: Params
    rows: list[EpisodeRow]
    totals: dict[str, Any] = field(default_factory=dict)
    by_prefecture: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Whether the rows carry their risk level at advice (an optional breakdown).
    with_levels: bool = False

    def as_json(self) -> dict[str, Any]:
        """The JSON of DESIGN §4, key for key; percentages in an extra top-level key,
        and the breakdown by risk level at advice in another when asked for."""
        result = {
            "period": {
                "from": self.params.date_from.isoformat(),
                "to": self.params.date_to.isoformat(),
                "as_of": self.params.as_of.isoformat(),
            },
            "totals": self.totals,
            "by_prefecture": self.by_prefecture,
            "percentages": {
                "totals": percentages(self.totals),
                "by_prefecture": {
                    code: percentages(figs) for code, figs in self.by_prefecture.items()
                },
            },
        }
        if self.with_levels:
            result["by_risk_level"] = {key: figs for key, _, figs in self.by_risk_level()}
        return result

    def by_risk_level(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(level, label, figures) of each risk level at advice, highest level
        first, "not assessed" last (rows computed `with_levels`)."""
        figures: dict[str, dict[str, Any]] = {}
        # Counted by distinct outcome (a few dozen), not row by row.
        for (level, *outcome), n in Counter(map(_BY_LEVEL, self.rows)).items():
            figs = figures.get(level)
            if figs is None:
                figs = figures[level] = empty_figures(with_prefectures=False)
            _add(figs, (outcome[0], outcome[1], outcome[2]), n)
        return [(key, label, figures[key]) for key, label in risk_levels.ordered(figures)]

    def monthly(self) -> list[dict[str, Any]]:
        """Episodes by month of advice: advised, accepted, received, rejected."""
        months: dict[int, dict[str, Any]] = {}
        start = self.params.date_from
        end = min(self.params.date_to, self.params.as_of)
        # Stepped as (year, month) numbers: no date past the last one is ever made,
        # so a period ending in December 9999 cannot overflow.
        for index in range(start.year * 12 + start.month - 1, end.year * 12 + end.month):
            key = f"{index // 12:04d}-{index % 12 + 1:02d}"
            months[index] = {
                "month": key,
                "advised": 0,
                "accepted": 0,
                "received": 0,
                "rejected": 0,
            }
        # Counted by distinct (day, leaf), then (month, leaf): no date is formatted.
        by_month: Counter[tuple[int, str]] = Counter()
        for (day, leaf), n in Counter(map(_BY_DAY, self.rows)).items():
            by_month[day.year * 12 + day.month - 1, leaf] += n
        for (index, leaf), n in by_month.items():
            m = months.get(index)
            if m is None:
                continue
            m["advised"] += n
            m["accepted"] += n if leaf in FIGURES["accepted"] else 0
            m["received"] += n if leaf in FIGURES["received"] else 0
            m["rejected"] += n if leaf == "rejected" else 0
        return list(months.values())


def map_scope(params: Params, visible: Iterable[str]) -> tuple[str, ...]:
    """The prefectures a report covers: those chosen, else all `visible` ones."""
    return params.prefectures or tuple(visible)


def map_values(report: Report, figure: str, scope: Iterable[str]) -> dict[str, float | None]:
    """The figure a map shades, for each prefecture in `scope`: a count is 0 where
    no advice was given; a share of no advice is None (no data). Prefectures
    outside the scope have no entry: no data either."""
    empty = empty_figures(with_prefectures=False)
    values: dict[str, float | None] = {}
    for code in sorted(scope):
        figs = report.by_prefecture.get(code, empty)
        if figure == "received_share":
            values[code] = percent(figs["received"], figs["advised"])
        elif figure == "recurrence":
            values[code] = sum(figs["recurrence"][leaf] for leaf in LEAVES)
        else:
            values[code] = figs["advised"]
    return values


def tally(params: Params, rows: Iterable[EpisodeRow], with_levels: bool = False) -> Report:
    """Count episodes into the totals and by-prefecture figures of DESIGN §4."""
    report = Report(params=params, rows=list(rows), with_levels=with_levels)
    totals = empty_figures(with_prefectures=True)
    by_pref: dict[str, dict[str, Any]] = {}
    # Counted by distinct (prefecture, outcome): a few hundred nationally, where
    # the rows are tens of thousands.
    for (prefecture, *outcome), n in Counter(map(_BY_PREFECTURE, report.rows)).items():
        key = (outcome[0], outcome[1], outcome[2])
        _add(totals, key, n)
        figs = by_pref.get(prefecture)
        if figs is None:
            figs = by_pref[prefecture] = empty_figures(with_prefectures=False)
        _add(figs, key, n)
    totals["prefectures_advised"] = len(by_pref)
    totals["prefectures_received"] = sum(1 for f in by_pref.values() if f["received"])
    report.totals = totals
    report.by_prefecture = dict(sorted(by_pref.items()))
    return report


def compute(scope: QuerySet[Case], params: Params, with_levels: bool = False) -> Report:
    """The programme report over the cases in `scope` (already scoped to the user);
    `with_levels`: its rows carry their risk level at advice."""
    rows = episode_rows(scope, params, detailed=False, with_levels=with_levels)
    return tally(params, rows, with_levels)


def prefecture_rows(
    prefecture_ids: Sequence[int], params: Params, with_levels: bool = False
) -> dict[int, list[EpisodeRow]]:
    """The episode rows (as `compute` counts them) of each given prefecture, read
    in one pass: the cases of those prefectures only (every case when they are
    all the prefectures). A prefecture with no advice in the period has no entry."""
    codes = dict(Region.objects.filter(kind=Region.Kind.PREFECTURE).values_list("code", "pk"))
    scope = Case.objects.all()
    if not set(codes.values()) <= set(prefecture_ids):
        scope = scope.filter(prefecture_id__in=list(prefecture_ids))
    period = Params.make(params.date_from, params.date_to, params.as_of)
    parts: dict[int, list[EpisodeRow]] = {}
    for row in episode_rows(scope, period, detailed=False, with_levels=with_levels):
        parts.setdefault(codes[row.prefecture], []).append(row)
    return parts


def compute_for(user: Any, params: Params, with_levels: bool = False) -> Report:
    """`compute` over `user`'s scope (`Case.objects.for_statistics`), from each
    prefecture's rows cached on that prefecture's own data version
    (`cache.per_prefecture`): after a write in one prefecture only its rows are
    read and classified again. The scope of every role is whole prefectures
    (`statistics_prefectures`), so a prefecture's rows are the same for everyone
    who may see them."""
    regions = Region.objects.filter(kind=Region.Kind.PREFECTURE)
    allowed = statistics_prefectures(user)
    if allowed is not None:
        regions = regions.filter(pk__in=allowed)
    if params.prefectures:
        regions = regions.filter(code__in=params.prefectures)

    def count(missing: list[int]) -> dict[int, list[tuple[Any, ...]]]:
        # Stored as plain tuples, which unpickle in half the time of named ones; the
        # row's fields are in the key, so a changed row never reads an older part.
        found = prefecture_rows(missing, params, with_levels)
        return {p: [tuple(row) for row in rows] for p, rows in found.items()}

    parts = report_cache.per_prefecture(
        "programme-rows",
        list(regions.values_list("pk", flat=True)),
        (params.date_from, params.date_to, params.as_of, with_levels, EpisodeRow._fields),
        count,
        list,
        counter=ProgrammeVersion,
    )
    rows = map(EpisodeRow._make, chain.from_iterable(parts.values()))
    return tally(params, rows, with_levels)


# --- drill-down ------------------------------------------------------------------------


@dataclass(frozen=True)
class Drill:
    """Which episodes a number stands for: a figure, and optionally a prefecture,
    a rejection reason, recurrence only, a month of advice."""

    figure: str = "advised"
    prefecture: str = ""
    reason: str = ""
    recurrence: bool = False
    month: str = ""
    level: str = ""

    def matches(self, row: EpisodeRow) -> bool:
        if row.leaf not in FIGURES.get(self.figure, ()):
            return False
        if self.prefecture and row.prefecture != self.prefecture:
            return False
        if self.reason and row.reason != self.reason:
            return False
        if self.recurrence and not row.recurred:
            return False
        if self.level and row.risk_level != self.level:
            return False
        return not (self.month and f"{row.advised_on:%Y-%m}" != self.month)


def drill(rows: Iterable[EpisodeRow], selector: Drill) -> list[EpisodeRow]:
    return [row for row in rows if selector.matches(row)]


def pseudonym(case_id: int) -> str:
    """A stable pseudonymous id for a case, for analysts: an HMAC of the id under
    the secret key, so it cannot be reversed or guessed from the case number."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"tsunagu-case:{case_id}".encode(), hashlib.sha256
    )
    return digest.hexdigest()[:12].upper()
