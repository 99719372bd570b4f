"""The officer's home page read models: follow-up sources and condition breaches.

Both are caches of the timeline, shaped for the home page's two questions
("which follow-ups are due?", "which contact reports broke a condition lately?"),
so the page reads a few indexed rows instead of a year of events. They are
rewritten per case by `marks_refresh`, on the registry's `timeline_changed`
signal, in the same transaction as every event it records; an import and the data migration fill
them in bulk with `refresh_cases`. The pure rules stay in `derive`:
`marks_of(events)` is what both writers store, and the tests compare the tables
with a recount from the events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction

from tsunagu.cases import timeline
from tsunagu.cases.models import Case, Event
from tsunagu.treatment import derive
from tsunagu.treatment.models import ConditionBreach, FollowUpSource

Ev = timeline.Ev

TRIGGER_TYPES: tuple[str, ...] = tuple(t for ts in derive.FOLLOWUP_TRIGGERS.values() for t in ts)
CONDITION_TYPES = ("condition_set", "condition_ended")
# The event types whose recording can change a mark (a correction may void any of them).
MARK_TYPES: frozenset[str] = frozenset(
    (*TRIGGER_TYPES, *CONDITION_TYPES, *derive.CONTACT_REPORT_TYPES, "correction")
)
CASE_BATCH = 500


@dataclass(frozen=True)
class Source:
    trigger: str
    source_type: str
    source_date: dt.date


@dataclass(frozen=True)
class Breach:
    event_id: int
    date: dt.date
    condition: derive.Condition


def marks_of(events: Iterable[Ev]) -> tuple[list[Source], list[Breach]]:
    """A case's follow-up sources (the latest effective event of each trigger) and
    condition breaches, from its events in timeline order."""
    evs = timeline.effective(list(events))
    sources = []
    for trigger, types in derive.FOLLOWUP_TRIGGERS.items():
        latest = [ev for ev in evs if ev.type in types]
        if latest:
            sources.append(Source(trigger, latest[-1].type, latest[-1].date))
    breaches = [Breach(ev.key, ev.date, cond) for ev, cond in derive.condition_breaches(evs)]
    return sources, breaches


def _rows(
    case_id: int, prefecture_id: int, sources: Sequence[Source], breaches: Sequence[Breach]
) -> tuple[list[FollowUpSource], list[ConditionBreach]]:
    return (
        [
            FollowUpSource(
                case_id=case_id,
                prefecture_id=prefecture_id,
                trigger=s.trigger,
                source_type=s.source_type,
                source_date=s.source_date,
            )
            for s in sources
        ],
        [
            ConditionBreach(
                case_id=case_id,
                prefecture_id=prefecture_id,
                event_id=b.event_id,
                date=b.date,
                kind=b.condition.kind,
                starts_on=b.condition.starts_on,
                expires_on=b.condition.expires_on,
                ended_on=b.condition.ended_on,
            )
            for b in breaches
        ],
    )


def refresh_case(
    case_id: int, prefecture_id: int, events: Sequence[Ev], new_type: str = ""
) -> None:
    """Rewrite one case's marks from its events (all of them, in timeline order).

    `new_type` is the type just recorded: a type that can change no mark (a
    referral step, a consent) leaves the rows as they are.
    """
    if new_type and new_type not in MARK_TYPES:
        return
    sources, breaches = marks_of(events)
    source_rows, breach_rows = _rows(case_id, prefecture_id, sources, breaches)
    with transaction.atomic():
        FollowUpSource.objects.filter(case_id=case_id).delete()
        ConditionBreach.objects.filter(case_id=case_id).delete()
        FollowUpSource.objects.bulk_create(source_rows)
        ConditionBreach.objects.bulk_create(breach_rows)


def marks_refresh(case: Case, **_kwargs: object) -> None:
    """Rewrite the case's marks (on `cases.signals.timeline_changed`, in the writing
    transaction, after every recorded event and correction)."""
    refresh_case(case.pk, case.prefecture_id, case.timeline_events())


def refresh_cases(case_ids: Iterable[int]) -> None:
    """Rewrite the marks of many cases (an import, the data migration), a batch of
    cases at a time, reading only the events that can make a mark: the trigger
    events and corrections of every case, and the contact reports of the few cases
    that ever had a condition."""
    ids = sorted(set(case_ids))
    for start in range(0, len(ids), CASE_BATCH):
        batch = ids[start : start + CASE_BATCH]
        by_case: dict[int, list[Ev]] = {case_id: [] for case_id in batch}
        prefecture_of = dict(Case.objects.filter(pk__in=batch).values_list("pk", "prefecture_id"))
        with_condition = set(
            Event.objects.filter(case_id__in=batch, type="condition_set").values_list(
                "case_id", flat=True
            )
        )
        reads = [(batch, (*TRIGGER_TYPES, "correction"))]
        if with_condition:
            extra = (*CONDITION_TYPES, *derive.CONTACT_REPORT_TYPES)
            reads.append((sorted(with_condition), tuple(set(extra) - set(TRIGGER_TYPES))))
        for case_ids_read, types in reads:
            events = Event.objects.filter(case_id__in=case_ids_read, type__in=types).values_list(
                "case_id", "date", "type", "detail", "id"
            )
            for case_id, date, type_, detail, pk in events.iterator(chunk_size=5000):
                by_case[case_id].append(Ev(date, type_, detail, pk))
        source_rows: list[FollowUpSource] = []
        breach_rows: list[ConditionBreach] = []
        for case_id, evs in by_case.items():
            if not evs:
                continue
            sources, breaches = marks_of(evs)
            s_rows, b_rows = _rows(case_id, prefecture_of[case_id], sources, breaches)
            source_rows += s_rows
            breach_rows += b_rows
        with transaction.atomic():
            FollowUpSource.objects.filter(case_id__in=batch).delete()
            ConditionBreach.objects.filter(case_id__in=batch).delete()
            FollowUpSource.objects.bulk_create(source_rows, batch_size=1000)
            ConditionBreach.objects.bulk_create(breach_rows, batch_size=1000)
