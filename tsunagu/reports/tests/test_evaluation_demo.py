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
    leaves = cases_demo.allocate(60)
    assert len(leaves) == 60
    counts = {leaf: leaves.count(leaf) for leaf in set(leaves)}
    received = counts["completed"] + counts["continuing"] + counts["halted"]
    # 73/293 received, 179/293 rejected (FACTS.md, April–December 2016).
    assert (received, counts["rejected"]) == (15, 37)


def test_the_demo_period_has_groups_to_compare_and_recurrences(demo_cases: None) -> None:
    today = timezone.localdate()
    year = today.year - cases_demo.COHORT_YEARS_BACK
    params = evaluation.Params.make(dt.date(year, 1, 1), dt.date(year, 12, 31), today)
    result = evaluation_data.compute(Case.objects.all(), params).result
    big = [g for g, figs in result["groups"].items() if figs["n"] >= 10]
    assert len(big) >= 2, result["groups"]
    assert {"received", "rejected"} <= set(big)
    assert result["overall"]["events"] >= 1
    assert result["cox"] is not None
    # Recurrences fall after the advice and never after today; the histories get some too.
    recurrences = Event.objects.filter(type="recurrence")
    assert not recurrences.filter(date__gt=today).exists()
    assert recurrences.filter(case__ref__regex=r"-DEMO-00\d\d$").exists()


def test_the_evaluation_page_opens_on_curves_for_the_demo(demo_cases: None) -> None:
    analyst = User.objects.get(username="analyst")
    html = client_for(analyst).get(reverse("reports:evaluation")).content.decode()
    # The overall chart and the group chart: two Kaplan–Meier SVGs, with a band.
    assert html.count('class="km"') == 2
    assert "No group has 10 episodes or more." not in html
    assert '<polygon class="band"' in html


def test_loading_the_demo_twice_adds_nothing(demo_cases: None) -> None:
    before = (Case.objects.count(), Event.objects.count())
    out = StringIO()
    cases_demo.load(out)
    assert (Case.objects.count(), Event.objects.count()) == before
    assert "0 created" in out.getvalue()
