"""The response schemas of the report operations (`reports/api.py`).

Each describes, key for key, the JSON the report already gives (`Report.as_json`,
`Annual.as_json`, `Evaluation.as_json`): the API validates that JSON against it
and gives it back unchanged. The objects keyed by a vocabulary (rejection
reasons, leaves, groups, measures, age bands, sexes, the Cox columns…) are made
from that vocabulary, in its order, so the schema follows it. Every object
forbids keys it does not declare (`additionalProperties: false`): a key added to
a report without its schema fails the report's own API call.

The operations dump them with `by_alias=True` (keys such as "from" and "182" are
aliases) and `exclude_unset=True` (a key that may be absent, such as a Cox term
that was dropped, is left out rather than written as null).
"""

from __future__ import annotations

import datetime as dt
import keyword
from collections.abc import Iterable
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import ConfigDict, create_model
from pydantic.json_schema import SkipJsonSchema

from tsunagu.cases.models import SEXES
from tsunagu.core.api import choice
from tsunagu.reports import annual, evaluation, programme, survival


class ReportOut(Schema):
    """A report object: only the keys it declares."""

    model_config = ConfigDict(extra="forbid")


def _name(key: str) -> str:
    """A Python name for a JSON key ("from", "182", "80_plus" are aliases)."""
    if key.isidentifier() and not keyword.iskeyword(key):
        return key
    return f"k_{key}"


def keyed(name: str, doc: str, fields: Iterable[tuple[str, Any]], optional: bool = False) -> Any:
    """An object with one field for each (key, type), in that order. `optional`:
    each key may be absent (never null)."""
    definitions: dict[str, Any] = {}
    for key, kind in fields:
        if optional:
            definitions[_name(key)] = (
                kind | ABSENT,
                Field(default=None, alias=key, json_schema_extra=_no_default),
            )
        else:
            definitions[_name(key)] = (kind, Field(alias=key))
    return create_model(name, __base__=ReportOut, __doc__=doc, **definitions)


# A type that allows None in Python but not in the schema: a key that may be absent.
ABSENT: Any = SkipJsonSchema[None]  # type: ignore[misc]


def mapping(value: Any) -> Any:
    """An object keyed by codes that are data (prefectures, relationships)."""
    return dict[str, value]


def listing(value: Any) -> Any:
    """A list of `value`."""
    return list[value]


def each(keys: Iterable[Any], kind: Any) -> list[tuple[str, Any]]:
    """One field of type `kind` for each key of a vocabulary, in its order."""
    return [(str(key), kind) for key in keys]


def _no_default(schema: dict[str, Any]) -> None:
    # An optional key is absent, not null: its schema names no default.
    schema.pop("default", None)


Count = Annotated[int, Field(ge=0)]
Share = float | None


# --- the programme report (DESIGN §4) ----------------------------------------------

ReportPeriodOut = keyed(
    "ReportPeriodOut",
    "The period of a programme report or an evaluation, and its as-of date.",
    [("from", dt.date), ("to", dt.date), ("as_of", dt.date)],
)
ProgrammeReasonsOut = keyed(
    "ProgrammeReasonsOut",
    "Rejected episodes by the reason of the latest rejection (none given: other).",
    each(programme.REASONS, Count),
)
ProgrammeRecurrenceOut = keyed(
    "ProgrammeRecurrenceOut",
    "Episodes with a recurrence after the advice, by leaf (not_finished: continuing and halted).",
    each(programme.RECURRENCE_KEYS, Count),
)


def _figures(name: str, doc: str, with_prefectures: bool) -> Any:
    nested = {"rejection_reasons": ProgrammeReasonsOut, "recurrence": ProgrammeRecurrenceOut}
    return keyed(
        name,
        doc,
        [(key, nested.get(key, Count)) for key in programme.empty_figures(with_prefectures)],
    )


ProgrammeTotalsOut = _figures(
    "ProgrammeTotalsOut",
    "The figures of all the prefectures reported on, with how many had an episode.",
    with_prefectures=True,
)
ProgrammeFiguresOut = _figures(
    "ProgrammeFiguresOut", "The figures of one prefecture.", with_prefectures=False
)
ProgrammeSharesOut = keyed(
    "ProgrammeSharesOut",
    "Figures as a percentage of the episodes advised, to one decimal; null when none was.",
    each(programme.PERCENT_KEYS, Share),
)
ProgrammePercentagesOut = keyed(
    "ProgrammePercentagesOut",
    "The percentages of the totals and of each prefecture.",
    [("totals", ProgrammeSharesOut), ("by_prefecture", mapping(ProgrammeSharesOut))],
)
ProgrammeReportOut = keyed(
    "ProgrammeReportOut",
    "The programme status report (DESIGN §4); `by_prefecture` is keyed by prefecture code.",
    [
        ("period", ReportPeriodOut),
        ("totals", ProgrammeTotalsOut),
        ("by_prefecture", mapping(ProgrammeFiguresOut)),
        ("percentages", ProgrammePercentagesOut),
    ],
)


# --- the annual statistics ------------------------------------------------------------

AnnualPeriodOut = keyed(
    "AnnualPeriodOut",
    "The (fiscal) year and its first and last days.",
    [("year", int), ("fiscal", bool), ("from", dt.date), ("to", dt.date)],
)
AnnualMeasuresOut = keyed(
    "AnnualMeasuresOut",
    "The measures dated in the year; arrests by kind.",
    each(annual.MEASURE_KINDS, int),
)
AnnualSexOut = keyed("AnnualSexOut", "People by sex.", each(SEXES, Count))
AnnualAgeOut = keyed("AnnualAgeOut", "People by age band.", each(annual.AGE_BANDS, Count))
AnnualAgeBySexOut = keyed(
    "AnnualAgeBySexOut",
    "People by age band, then sex.",
    each(annual.AGE_BANDS, AnnualSexOut),
)
AnnualPeopleOut = keyed(
    "AnnualPeopleOut",
    "The offenders or the victims of the cases opened in the year.",
    [("sex", AnnualSexOut), ("age", AnnualAgeOut), ("age_by_sex", AnnualAgeBySexOut)],
)
AnnualChangeOut = keyed(
    "AnnualChangeOut",
    "The change from the year before; `percent` is null when that year had none.",
    [("diff", int), ("percent", float | None)],
)
AnnualChangesOut = keyed(
    "AnnualChangesOut",
    "The change of each figure; null for the first year.",
    each(annual.YEAR_COLUMNS, AnnualChangeOut | None),
)
AnnualYearOut = keyed(
    "AnnualYearOut",
    "One year's consultations and measures, and their change.",
    [
        ("year", int),
        *each(annual.YEAR_COLUMNS, int),
        ("change", AnnualChangesOut),
    ],
)
AnnualStatisticsOut = keyed(
    "AnnualStatisticsOut",
    "Annual stalking statistics; `relationship` is keyed by the relationship code "
    "(a versioned code table), `years` runs over every year with data.",
    [
        ("period", AnnualPeriodOut),
        ("prefectures", list[str]),
        ("consultations", int),
        ("measures", AnnualMeasuresOut),
        ("relationship", mapping(int)),
        ("offenders", AnnualPeopleOut),
        ("victims", AnnualPeopleOut),
        ("years", listing(AnnualYearOut)),
    ],
)


# --- the evaluation (DESIGN §5) ------------------------------------------------------

EvaluationPointOut = keyed(
    "EvaluationPointOut",
    "The recurrence-free proportion at a time, its 95 % interval and the number at risk "
    "(all null at or before the landmark for a group; at_risk 0 when nobody is followed "
    "that long).",
    [("free", Share), ("low", Share), ("high", Share), ("at_risk", Count | None)],
)
EvaluationTimesOut = keyed(
    "EvaluationTimesOut",
    "The figures at each time, in days after the advice.",
    each(survival.TIMES, EvaluationPointOut),
)
EvaluationFiguresOut = keyed(
    "EvaluationFiguresOut",
    "Episodes, outcomes, the median time to outcome (null when not reached) and the "
    "Kaplan–Meier figures.",
    [("n", Count), ("events", Count), ("median_days", Share), ("at", EvaluationTimesOut)],
)
EvaluationGroupsOut = keyed(
    "EvaluationGroupsOut",
    "The figures of each group fixed at the landmark, on the landmark clock.",
    each(evaluation.GROUPS, EvaluationFiguresOut),
)
EvaluationLogrankOut = keyed(
    "EvaluationLogrankOut",
    "The log-rank test, received against rejected.",
    [("statistic", Share), ("p", Share)],
)
COX_COLUMNS = (*survival.GROUP_TERMS, *survival.COVARIATES)
EvaluationCoxTermOut = keyed(
    "EvaluationCoxTermOut",
    "A hazard ratio, its 95 % interval and p (null where not finite).",
    [("hr", Share), ("low", Share), ("high", Share), ("p", Share)],
)
EvaluationCoxTermsOut = keyed(
    "EvaluationCoxTermsOut",
    "The terms kept in the model; a dropped one is absent.",
    each(COX_COLUMNS, EvaluationCoxTermOut),
    optional=True,
)
EvaluationCoxOut = keyed(
    "EvaluationCoxOut",
    "The Cox model on the landmark sample (rejected is the reference).",
    [
        ("n", Count),
        ("events", Count),
        ("concordance", Share),
        ("dropped", listing(choice(COX_COLUMNS))),
        ("terms", EvaluationCoxTermsOut),
    ],
)
EvaluationEValueOut = keyed(
    "EvaluationEValueOut",
    "The E-value of the received hazard ratio and of its limit nearer to 1.",
    [("point", Share), ("limit", Share)],
)
EvaluationReportOut = keyed(
    "EvaluationReportOut",
    "The evaluation (DESIGN §5); `logrank`, `cox` and `evalue` are null when they "
    "cannot be computed.",
    [
        ("period", ReportPeriodOut),
        ("outcome", choice(evaluation.OUTCOME_KINDS)),
        ("landmark_days", Annotated[int, Field(ge=0, le=evaluation.MAX_LANDMARK)]),
        ("excluded_before_landmark", Count),
        ("overall", EvaluationFiguresOut),
        ("groups", EvaluationGroupsOut),
        ("logrank", EvaluationLogrankOut | None),
        ("cox", EvaluationCoxOut | None),
        ("evalue", EvaluationEValueOut | None),
    ],
)
