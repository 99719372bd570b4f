"""The evaluation's forms: the programme report's period, as-of date and
prefectures, plus the landmark and the outcome kind (DESIGN §5); and the
drill-down selector. One definition for the page, its downloads and its lists."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tsunagu.reports import evaluation
from tsunagu.reports.forms import ProgrammeForm

OUTCOME_CHOICES = (
    ("recurrence", _("Recurrence")),
    ("any_measure", _("Recurrence or any police measure")),
)
DRILL_GROUPS = ("overall", *evaluation.GROUPS, "excluded")


class EvaluationForm(ProgrammeForm):
    landmark = forms.IntegerField(
        label=_("Landmark (days)"),
        required=False,
        min_value=0,
        max_value=evaluation.MAX_LANDMARK,
        help_text=_("Groups are fixed this many days after advice (default 90)."),
    )
    outcome = forms.ChoiceField(
        label=pgettext_lazy("evaluation", "Outcome"), choices=OUTCOME_CHOICES, required=False
    )
    field_order = [
        "preset",
        "year",
        "date_from",
        "date_to",
        "as_of",
        "area",
        "prefecture",
        "landmark",
        "outcome",
        "by_level",
    ]

    @property
    def evaluation_params(self) -> evaluation.Params:
        p = self.params
        landmark = self.cleaned_data.get("landmark")
        return evaluation.Params.make(
            p.date_from,
            p.date_to,
            p.as_of,
            p.prefectures,
            landmark,
            self.cleaned_data.get("outcome") or None,
        )


def default_evaluation_data() -> dict[str, str]:
    """Two years back with follow-up to today: a period whose episodes have been
    followed long enough for the 12- and 24-month figures to mean something."""
    today = timezone.localdate()
    return {"preset": "calendar", "year": str(today.year - 2), "as_of": today.isoformat()}


def evaluation_query(params: evaluation.Params) -> dict[str, Any]:
    """The query string that reproduces an evaluation."""
    query: dict[str, Any] = {
        "preset": "custom",
        "date_from": params.date_from.isoformat(),
        "date_to": params.date_to.isoformat(),
        "as_of": params.as_of.isoformat(),
        "landmark": params.landmark,
        "outcome": params.outcome,
    }
    if params.prefectures:
        query["prefecture"] = list(params.prefectures)
    return query


class EvaluationDrillForm(forms.Form):
    """Which episodes a number stands for: a group (or all, or those left out
    before the landmark), outcomes only, a prefecture."""

    group = forms.ChoiceField(choices=[(g, g) for g in DRILL_GROUPS], required=False)
    events = forms.BooleanField(required=False)
    pref = forms.RegexField(regex=r"^\d{2}$", required=False)
    level = forms.CharField(max_length=40, required=False)


def drill(
    rows: list[evaluation.FollowedEpisode], group: str, events: bool, pref: str, level: str = ""
) -> list[evaluation.FollowedEpisode]:
    def keep(r: evaluation.FollowedEpisode) -> bool:
        if level and r.risk_level != level:
            return False
        if group == "excluded" and r.group is not None:
            return False
        if group not in ("", "overall", "excluded") and r.group != group:
            return False
        if events and not r.event:
            return False
        return not (pref and r.prefecture != pref)

    return [r for r in rows if keep(r)]
