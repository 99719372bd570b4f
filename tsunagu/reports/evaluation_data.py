"""The evaluation (DESIGN §5) computed from the database.

The cases are read as for the programme report (`programme.advised_timelines`):
only those with a `treatment_advised` in the period within scope, and only the
events the evaluation needs, in one pass grouped by case. Each case then goes through
the pure `evaluation.follow_case`.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from tsunagu.cases import timeline
from tsunagu.cases.models import Case
from tsunagu.reports import evaluation
from tsunagu.reports.programme import advised_timelines


def followed_episodes(
    scope: QuerySet[Case], params: evaluation.Params, with_levels: bool = False
) -> Iterator[evaluation.FollowedEpisode]:
    """Every advice episode of the period within `scope` (already scoped to the
    user), followed as §5 says; `with_levels`: with its risk level at advice.
    Four queries, whatever the number of cases."""
    types = evaluation.READ_TYPES
    if with_levels:
        types = (*types, timeline.RISK_ASSESSED)
    for case in advised_timelines(scope, params, types, ("relationship",)):
        (relationship,) = case.columns
        yield from evaluation.follow_case(
            case.case_id, case.prefecture, relationship, case.events, params
        )


def compute(
    scope: QuerySet[Case], params: evaluation.Params, with_levels: bool = False
) -> evaluation.Evaluation:
    """The §5 evaluation over the cases in `scope` (already scoped to the user);
    `with_levels`: with the separate table by risk level at advice."""
    episodes = followed_episodes(scope, params, with_levels)
    return evaluation.evaluate(params, episodes, with_levels)
