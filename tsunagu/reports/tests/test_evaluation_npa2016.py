"""The npa-2016 set followed up: the evaluation shows what the published figures say."""

from __future__ import annotations

from typing import Any

from tsunagu.cases.models import Case
from tsunagu.reports import evaluation, evaluation_data
from tsunagu.reports.tests.test_npa2016 import npa2016  # noqa: F401 (fixture)
from tsunagu.testing.builders import D


def test_about_ten_percent_resume_within_a_year_and_groups_have_curves(npa2016: Any) -> None:  # noqa: F811
    params = evaluation.Params.make(D(2016, 4, 1), D(2016, 12, 31), D(2018, 12, 31))
    result = evaluation_data.compute(Case.objects.all(), params).result
    overall = result["overall"]
    assert overall["n"] == 293
    assert 0.85 < overall["at"]["365"]["free"] < 0.95  # "about 10 % resume"
    groups = result["groups"]
    assert groups["received"]["n"] >= 10 and groups["rejected"]["n"] >= 10
    assert groups["received"]["events"] > 0 and groups["rejected"]["events"] > 0
    assert result["cox"] is not None and "received" in result["cox"]["terms"]
    assert result["evalue"] is not None


def test_as_of_the_end_of_2016_only_2016_outcomes_count(npa2016: Any) -> None:  # noqa: F811
    params = evaluation.Params.make(D(2016, 4, 1), D(2016, 12, 31))
    result = evaluation_data.compute(Case.objects.all(), params).result
    # The 18 episodes with a recurrence in 2016 (DESIGN §4's figures), none later.
    assert result["overall"]["events"] == 18
