"""The programme report and the evaluation broken down by the risk level at advice:
the latest level assessed on or before the advice date, "not assessed" otherwise."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tsunagu.cases import services as case_services
from tsunagu.cases import timeline
from tsunagu.cases.models import Case
from tsunagu.core.models import User
from tsunagu.reports import evaluation, evaluation_data, programme, risk_levels
from tsunagu.reports.tests.test_evaluation_views import FORMATS, PERIOD
from tsunagu.reports.tests.test_views import text_of
from tsunagu.risk.tests import helpers as risk
from tsunagu.testing import access_test, assert_no_markers, client_for
from tsunagu.testing.builders import OFFENDER_NAME, VICTIM_MARKERS, D, add_events

pytestmark = pytest.mark.django_db

LEVELS = {**PERIOD, "by_level": "on"}
MARKERS = (*VICTIM_MARKERS, *risk.RISK_MARKERS, OFFENDER_NAME, "TOKYO-LV", "OSAKA-LV")
EV = timeline.Ev


def test_the_level_is_the_latest_on_or_before_the_advice_date() -> None:
    advice = D(2016, 5, 1)
    mid = EV(D(2016, 4, 1), "risk_assessed", "mid", 1)
    assert risk_levels.level_at_advice([], advice) == risk_levels.NOT_ASSESSED
    assert risk_levels.level_at_advice([mid], advice) == "mid"
    # One assessed on the advice date counts; one after it does not.
    on_the_day = EV(advice, "risk_assessed", "top", 2)
    after = EV(D(2016, 5, 2), "risk_assessed", "low", 3)
    assert risk_levels.level_at_advice([mid, on_the_day, after], advice) == "top"
    # A corrected assessment does not count.
    voided = EV(D(2016, 6, 1), "correction", timeline.correction_detail(on_the_day, "wrong"), 4)
    assert risk_levels.level_at_advice([mid, on_the_day, voided], advice) == "mid"


@pytest.fixture
def leveled(officer_tokyo: User, officer_osaka: User, make_case: Any) -> dict[str, Any]:
    """Tokyo: 12 received (3 recur), 12 rejected (6 recur), advised in May and June
    2016. Levels at advice: top 6 received + 10 rejected; low 2 received (assessed
    on the advice date); not assessed 4 received (one assessed only after advice,
    one whose assessment was corrected) + 2 rejected. Osaka: 2 rejected at top."""
    instrument = risk.load()
    made: dict[str, Any] = {"instrument": instrument}
    for i in range(12):
        case = make_case(officer_tokyo, opened_on=D(2016, 4, 2), ref=f"TOKYO-LV-R{i}")
        events: list[Any] = [
            (D(2016, 5, 1), "treatment_advised"),
            (D(2016, 5, 2), "advice_accepted"),
            (D(2016, 5, 9), "treatment_started"),
        ]
        if i < 3:
            events.append((D(2016, 9, 1 + i), "recurrence", "same_victim"))
        add_events(case, events)
        if i < 6:
            risk.assess(officer_tokyo, case, instrument, on=D(2016, 4, 20), level="top")
        elif i < 8:
            risk.assess(officer_tokyo, case, instrument, on=D(2016, 5, 1), level="low")
        elif i == 8:
            risk.assess(officer_tokyo, case, instrument, on=D(2016, 5, 10), level="top")
        elif i == 9:
            wrong = risk.assess(officer_tokyo, case, instrument, on=D(2016, 4, 10), level="mid")
            case_services.event_correct(actor=officer_tokyo, event=wrong.event, reason="別事案")
        made[f"tokyo-r{i}"] = case
    for i in range(12):
        case = make_case(officer_tokyo, opened_on=D(2016, 4, 2), ref=f"TOKYO-LV-X{i}")
        events = [(D(2016, 6, 1), "treatment_advised"), (D(2016, 6, 2), "advice_rejected", "cost")]
        if i < 6:
            events.append((D(2016, 10, 1 + i), "recurrence", "new_victim"))
        add_events(case, events)
        if i < 10:
            risk.assess(officer_tokyo, case, instrument, on=D(2016, 5, 20), level="top")
    for i in range(2):
        case = make_case(officer_osaka, opened_on=D(2016, 4, 2), ref=f"OSAKA-LV-{i}")
        add_events(case, [(D(2016, 8, 1), "treatment_advised"), (D(2016, 8, 3), "advice_rejected")])
        risk.assess(officer_osaka, case, instrument, on=D(2016, 7, 1), level="top")
    return made


def _params() -> programme.Params:
    return programme.Params.make(D(2016, 4, 1), D(2016, 12, 31), D(2018, 12, 31))


def test_programme_breakdown_counts_each_episode_once_and_changes_no_figure(
    leveled: dict[str, Any],
) -> None:
    plain = programme.compute(Case.objects.all(), _params())
    report = programme.compute(Case.objects.all(), _params(), with_levels=True)
    levels = report.by_risk_level()
    assert [key for key, _, _ in levels] == ["top", "low", risk_levels.NOT_ASSESSED]
    figures = {key: figs for key, _, figs in levels}
    assert (figures["top"]["advised"], figures["top"]["received"]) == (18, 6)
    assert (figures["low"]["advised"], figures["low"]["received"]) == (2, 2)
    assert (figures["not_assessed"]["advised"], figures["not_assessed"]["rejected"]) == (6, 2)
    assert sum(f["advised"] for f in figures.values()) == plain.totals["advised"] == 26
    data = report.as_json()
    assert data.pop("by_risk_level")["top"]["rejected"] == 12
    assert data == plain.as_json()


def test_evaluation_table_by_level_leaves_the_section_5_figures_alone(
    leveled: dict[str, Any],
) -> None:
    params = evaluation.Params.make(D(2016, 4, 1), D(2016, 12, 31), D(2018, 12, 31))
    plain = evaluation_data.compute(Case.objects.all(), params)
    ev = evaluation_data.compute(Case.objects.all(), params, with_levels=True)
    assert ev.result == plain.result
    assert ev.levels is not None and plain.levels is None
    top = ev.levels["top"]
    assert (top["overall"]["n"], top["overall"]["events"]) == (18, 9)
    assert (top["groups"]["received"]["n"], top["groups"]["rejected"]["n"]) == (6, 12)
    assert ev.levels["not_assessed"]["groups"]["received"]["n"] == 4
    assert set(ev.as_json()) == {*plain.result, "by_risk_level"}


@access_test("reports:programme", "reports:evaluation", "reports:episodes")
def test_clinicians_and_admins_get_404_for_the_breakdown(
    clinician_tokyo: User, admin_user: User, leveled: dict[str, Any]
) -> None:
    for user in (clinician_tokyo, admin_user):
        client = client_for(user)
        for name in ("reports:programme", "reports:evaluation"):
            assert client.get(reverse(name), LEVELS).status_code == 404
        for name in ("reports:programme_download", "reports:evaluation_download"):
            for fmt in FORMATS:
                response = client.get(reverse(name), {**LEVELS, "format": fmt})
                assert response.status_code == 404


def test_supervisor_sees_the_breakdown_of_their_prefecture_only(
    supervisor_tokyo: User, leveled: dict[str, Any]
) -> None:
    client = client_for(supervisor_tokyo)
    page = client.get(reverse("reports:programme"), LEVELS)
    body = page.content.decode()
    assert 'id="by-risk-level"' in body
    assert "Top" in body or "最高" in body
    # Osaka's two top-level episodes are not counted: 16 in Tokyo.
    drill = client.get(reverse("reports:episodes"), {**PERIOD, "figure": "advised", "level": "top"})
    assert drill.context["count"] == 16
    assert "OSAKA-LV" not in drill.content.decode()
    assert reverse("cases:detail", args=[leveled["tokyo-r0"].pk]) in drill.content.decode()
    assert "level=top" in body
    # Without the option, no breakdown.
    assert (
        'id="by-risk-level"'
        not in client.get(reverse("reports:programme"), PERIOD).content.decode()
    )
    evaluation_page = client.get(reverse("reports:evaluation"), LEVELS)
    rows = evaluation_page.context["level_rows"]
    assert rows[0]["span"] and rows[0]["n"] == 16
    # Two episodes at "low": counts only, no percentage (fewer than 10).
    low = [r for r in rows if r["level"] in ("Low", "低")][0]
    assert (low["n"], low["year"]["free"]) == (2, "–")
    for name in ("reports:programme_download", "reports:evaluation_download"):
        for fmt in FORMATS:
            response = client.get(reverse(name), {**LEVELS, "format": fmt})
            assert response.status_code == 200
            assert "OSAKA-LV" not in text_of(response)
    data = client.get(reverse("reports:programme_download"), {**LEVELS, "format": "json"}).json()
    assert data["by_risk_level"]["top"]["advised"] == 16
    data = client.get(reverse("reports:evaluation_download"), {**LEVELS, "format": "json"}).json()
    assert data["by_risk_level"]["top"]["overall"]["n"] == 16


def test_analyst_breakdown_holds_nothing_personal(analyst: User, leveled: dict[str, Any]) -> None:
    client = client_for(analyst)
    for name in ("reports:programme", "reports:evaluation"):
        page = client.get(reverse(name), LEVELS)
        assert page.status_code == 200
        assert 'id="by-risk-level"' in page.content.decode()
        assert_no_markers(page.content, MARKERS)
    for name in ("reports:programme_download", "reports:evaluation_download"):
        for fmt in FORMATS:
            response = client.get(reverse(name), {**LEVELS, "format": fmt})
            assert response.status_code == 200
            assert_no_markers(text_of(response), MARKERS)
    csv = text_of(client.get(reverse("reports:programme_download"), {**LEVELS, "format": "csv"}))
    assert "risk_level" in csv and "not_assessed" in csv
    for name, query in (
        ("reports:episodes", {"figure": "advised", "level": "top"}),
        ("reports:evaluation_episodes", {"group": "overall", "level": "top"}),
    ):
        listed = client.get(reverse(name), {**PERIOD, **query})
        assert listed.context["count"] == 18
        assert_no_markers(text_of(listed), MARKERS)


def test_release_mode_suppresses_small_cells_of_the_breakdown(
    supervisor_tokyo: User, leveled: dict[str, Any], settings: Any
) -> None:
    settings.SUPPRESSION_THRESHOLD = 3
    client = client_for(supervisor_tokyo)
    page = client.get(reverse("reports:programme"), {**LEVELS, "release": 1})
    table = page.context["body"]
    assert "hidden-cell" in table
    response = client.get(
        reverse("reports:programme_download"), {**LEVELS, "format": "csv", "release": 1}
    )
    text = text_of(response)
    assert "x" in text.split("\n", 1)[1]


def test_the_breakdown_reads_a_fixed_number_of_queries(
    leveled: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    params = evaluation.Params.make(D(2016, 4, 1), D(2016, 12, 31), D(2018, 12, 31))
    # Prefecture codes, the cases advised, their corrections, their events.
    with django_assert_max_num_queries(4):
        ev = evaluation_data.compute(Case.objects.all(), params, with_levels=True)
    with django_assert_max_num_queries(4):
        report = programme.compute(Case.objects.all(), _params(), with_levels=True)
    # The instruments' labels and order: one more.
    with django_assert_max_num_queries(1):
        report.by_risk_level()
    with django_assert_max_num_queries(1):
        risk_levels.ordered(ev.levels or {})


def test_page_query_budget_with_the_breakdown(
    analyst: User,
    supervisor_tokyo: User,
    leveled: dict[str, Any],
    django_assert_max_num_queries: Any,
) -> None:
    for user, budget in ((analyst, 14), (supervisor_tokyo, 16)):
        client = client_for(user)
        for name in ("reports:programme", "reports:evaluation"):
            with django_assert_max_num_queries(budget):
                assert client.get(reverse(name), LEVELS).status_code == 200
        with django_assert_max_num_queries(budget):
            client.get(reverse("reports:episodes"), {**PERIOD, "level": "top"})
        with django_assert_max_num_queries(budget):
            client.get(reverse("reports:programme_download"), {**LEVELS, "format": "xlsx"})
