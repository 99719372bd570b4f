"""Timelines built directly as Event rows, for report tests.

The report must classify whatever history an import brings, including sequences
the case screens would refuse, so tests write events without the service checks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from tsunagu.cases import timeline
from tsunagu.cases.models import Case, Event
from tsunagu.core.models import Region

D = dt.date
APRIL_2016 = D(2016, 4, 1)


def bare_case(prefecture: str, ref: str, opened_on: dt.date = APRIL_2016) -> Case:
    """A case without people (the reports never read them)."""
    return Case.objects.create(
        prefecture=Region.objects.get(code=prefecture), ref=ref, opened_on=opened_on
    )


def add_events(
    case: Case, events: Iterable[tuple[dt.date, str] | tuple[dt.date, str, str]]
) -> None:
    Event.objects.bulk_create(
        Event(
            case=case,
            date=ev[0],
            type=ev[1],
            detail=ev[2] if len(ev) > 2 else "",  # type: ignore[misc]
            rank=timeline.TYPE_RANK[ev[1]],
        )
        for ev in events
    )


def case_with(
    prefecture: str, ref: str, *events: tuple[dt.date, str] | tuple[dt.date, str, str]
) -> Case:
    case = bare_case(prefecture, ref)
    add_events(case, events)
    return case
