"""The police's view of a case: the one read model behind the case page, the case
API and (through the same `timeline.police_view`) the report's drill-down.

While the offender's clinic-to-police consent stands withdrawn, the clinic's
status reported from that date is hidden, and so is a correction that would name
a hidden event (`timeline.hidden_from_police`). Every police surface builds on
this module or on `timeline.police_view`, never on its own filter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from tsunagu.cases import labels, timeline
from tsunagu.cases.models import Event


@dataclass(frozen=True)
class TimelineRow:
    """One row of the case's timeline as the police see it."""

    event: Event
    label: str
    detail: str
    voided: bool

    @property
    def correctable(self) -> bool:
        return self.event.type != "correction" and not self.voided


@dataclass(frozen=True)
class PoliceCase:
    rows: list[TimelineRow]  # every row they may see, in timeline order, voided included
    events: list[timeline.Ev]  # the effective events they may see

    def state(self, as_of: dt.date | None = None) -> timeline.CaseState:
        return timeline.case_state(self.events, as_of)


def police_case(events: Iterable[Event]) -> PoliceCase:
    """The police's view of a case from its event rows (read them with
    `Event.objects.in_timeline_order()`, `recorded_by` joined, to list them)."""
    rows_in = list(events)
    evs = [e.as_ev() for e in rows_in]
    kept = {ev.key for ev in timeline.effective(evs)}
    hidden = timeline.hidden_from_police(evs)
    by_key = {e.pk: e for e in rows_in}
    read = labels.case_details(rows_in)
    rows = []
    for ev in timeline.ordered(evs):
        if ev.key in hidden:
            continue
        event = by_key[ev.key]
        is_correction = event.type == "correction"
        rows.append(
            TimelineRow(
                event=event,
                label=labels.event_label(event.type),
                detail=(
                    labels.correction_summary(event.detail)
                    if is_correction
                    else read.get(event.pk) or labels.detail_label(event.type, event.detail)
                ),
                voided=not is_correction and event.pk not in kept,
            )
        )
    return PoliceCase(rows=rows, events=timeline.police_view(evs))
