"""The demo's advice cohort gives the evaluation page something to show (DESIGN §5)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.urls import reverse
from django.utils import timezone

from tsunagu.cases import demo as cases_demo
from tsunagu.cases.models import Case, Event
from tsunagu.core import demo as core_demo
from tsunagu.core.models import User
from tsunagu.reports import evaluation, evaluation_data
from tsunagu.testing import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_cases() -> None:
    core_demo.load(StringIO())
    cases_demo.load(StringIO())


def test_the_cohort_answers_in_the_published_shares() -> None:
    leaves = cases_demo.allocate(100)
    assert len(leaves) == 100
    counts = {leaf: leaves.count(leaf) for leaf in set(leaves)}
    received = counts["completed"] + counts["continuing"] + counts["halted"]
    # 73/293 received, 179/293 rejected (FACTS.md, April–December 2016).
    assert (received, counts["rejected"]) == (25, 61)


def test_cohort_quantiles_spread_evenly_within_each_group() -> None:
    import random

    leaves = ["rejected"] * 4 + ["completed", "continuing"]
    quantiles = cases_demo.spread_quantiles(leaves, random.Random(1))
    assert sorted(quantiles[:4]) == [0.125, 0.375, 0.625, 0.875]
    assert sorted(quantiles[4:]) == [0.25, 0.75]


def test_the_demo_gives_the_evaluation_page_curves_to_show(demo_cases: None) -> None:
    """Loaded once (the demo takes a while): the default evaluation period has
    groups to compare with recurrences, the page shows the curves, and loading
    again adds nothing."""
    today = timezone.localdate()
    year = today.year - cases_demo.COHORT_YEARS_BACK
    params = evaluation.Params.make(dt.date(year, 1, 1), dt.date(year, 12, 31), today)
    result = evaluation_data.compute(Case.objects.all(), params).result
    big = [g for g, figs in result["groups"].items() if figs["n"] >= 10]
    assert {"received", "rejected"} <= set(big), result["groups"]
    assert result["overall"]["events"] >= 1
    assert result["cox"] is not None and "received" in result["cox"]["terms"]
    # Recurrences fall after the advice and never after today; the histories get some too.
    recurrences = Event.objects.filter(type="recurrence")
    assert not recurrences.filter(date__gt=today).exists()
    assert recurrences.filter(case__ref__regex=r"-DEMO-00\d\d$").exists()

    analyst = User.objects.get(username="analyst")
    html = client_for(analyst).get(reverse("reports:evaluation")).content.decode()
    # The overall chart and the group chart: two Kaplan–Meier SVGs, with bands.
    assert html.count('class="km"') == 2
    assert '<polygon class="band"' in html
    assert "No group has 10 episodes or more." not in html

    before = (Case.objects.count(), Event.objects.count())
    out = StringIO()
    cases_demo.load(out)
    assert (Case.objects.count(), Event.objects.count()) == before
    assert "0 created" in out.getvalue()
