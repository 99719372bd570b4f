"""The evaluation (DESIGN §5) computed from the database.

Like the programme report (`programme.case_timelines`), only the cases with a
`treatment_advised` in the period within scope are read, and only the events
the evaluation needs, in one pass grouped by case. Each case then goes through
the pure `evaluation.follow_case`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db import connections
from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast

from tsunagu.cases import timeline
from tsunagu.cases.models import Case, Event
from tsunagu.core.models import Region
from tsunagu.reports import evaluation
from tsunagu.reports.programme import _day, scoped_cases


def followed_episodes(
    scope: QuerySet[Case], params: evaluation.Params
) -> Iterator[evaluation.FollowedEpisode]:
    """Every advice episode of the period within `scope` (already scoped to the
    user), followed as §5 says. Four queries, whatever the number of cases."""
    last_advice = min(params.date_to, params.as_of)
    if last_advice < params.date_from:
        return
    advised = Event.objects.filter(
        type="treatment_advised", date__gte=params.date_from, date__lte=last_advice
    )
    scope = scoped_cases(scope, params.prefectures)
    if scope.query.where:
        advised = advised.filter(case__in=scope)
    case_ids = advised.values("case_id")
    codes = dict(Region.objects.filter(kind=Region.Kind.PREFECTURE).values_list("pk", "code"))
    cases = {
        pk: (codes[pref], relationship)
        for pk, pref, relationship in Case.objects.filter(pk__in=case_ids)
        .order_by()
        .values_list("pk", "prefecture_id", "relationship")
    }
    if not cases:
        return
    # Corrections void their target whatever their own date: read apart.
    corrections: dict[int, list[timeline.Ev]] = {}
    for case_id, day, detail, pk in (
        Event.objects.filter(case_id__in=case_ids, type="correction")
        .order_by()
        .values_list("case_id", "date", "detail", "id")
    ):
        corrections.setdefault(case_id, []).append(timeline.Ev(day, "correction", detail, pk))
    events = (
        Event.objects.filter(
            case_id__in=case_ids, type__in=evaluation.READ_TYPES, date__lte=params.as_of
        )
        .order_by("case_id")
        .annotate(day=Cast("date", output_field=CharField()))
        .values_list("case_id", "day", "type", "detail", "id")
    )
    sql, sql_params = events.query.sql_with_params()
    days: dict[Any, dt.date] = {}
    Ev = timeline.Ev

    def follow(case_id: int, evs: list[timeline.Ev]) -> list[evaluation.FollowedEpisode]:
        pref, relationship = cases[case_id]
        evs = evs + corrections.get(case_id, [])
        return evaluation.follow_case(case_id, pref, relationship, evs, params)

    with connections[events.db].cursor() as cursor:
        cursor.execute(sql, sql_params)
        current: int | None = None
        evs: list[timeline.Ev] = []
        while chunk := cursor.fetchmany(5000):
            for case_id, day, kind, detail, pk in chunk:
                if case_id != current:
                    if current in cases:
                        yield from follow(current, evs)
                    current, evs = case_id, []
                evs.append(Ev(_day(day, days), kind, detail, pk))
        if current in cases:
            yield from follow(current, evs)


def compute(scope: QuerySet[Case], params: evaluation.Params) -> evaluation.Evaluation:
    """The §5 evaluation over the cases in `scope` (already scoped to the user)."""
    return evaluation.evaluate(params, followed_episodes(scope, params))
