"""The evaluation page, its downloads, drill-down, API and command: who sees what."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from tsunagu.cases.models import Case
from tsunagu.core.models import User
from tsunagu.reports.tests.test_views import text_of
from tsunagu.testing import access_test, assert_no_markers, client_for
from tsunagu.testing.builders import OFFENDER_NAME, VICTIM_MARKERS, D, add_events

pytestmark = pytest.mark.django_db

PERIOD: dict[str, Any] = {
    "preset": "custom",
    "date_from": "2016-04-01",
    "date_to": "2016-12-31",
    "as_of": "2018-12-31",
}
API_QUERY = {"date_from": "2016-04-01", "date_to": "2016-12-31", "as_of": "2018-12-31"}
PAGES = ("reports:evaluation", "reports:evaluation_episodes")
FORMATS = ("json", "csv", "xlsx", "pdf")


@pytest.fixture
def cases(officer_tokyo: User, officer_osaka: User, make_case: Any) -> dict[str, Case]:
    """Tokyo: 12 received (3 recur), 12 rejected (6 recur); Osaka: 2 rejected."""
    made: dict[str, Case] = {}
    for i in range(12):
        case = make_case(officer_tokyo, opened_on=D(2016, 4, 2), ref=f"TOKYO-REF-R{i}")
        events: list[Any] = [
            (D(2016, 5, 1), "treatment_advised"),
            (D(2016, 5, 2), "advice_accepted", "free text about the offender"),
            (D(2016, 5, 9), "treatment_started"),
        ]
        if i < 3:
            events.append((D(2016, 9, 1 + i), "recurrence", "same_victim"))
        add_events(case, events)
        made[f"tokyo-r{i}"] = case
    for i in range(12):
        case = make_case(officer_tokyo, opened_on=D(2016, 4, 2), ref=f"TOKYO-REF-X{i}")
        events = [(D(2016, 6, 1), "treatment_advised"), (D(2016, 6, 2), "advice_rejected", "cost")]
        if i < 6:
            events.append((D(2016, 10, 1 + i), "recurrence", "new_victim"))
        add_events(case, events)
    for i in range(2):
        case = make_case(officer_osaka, opened_on=D(2016, 4, 2), ref=f"OSAKA-REF-{i}")
        add_events(
            case,
            [
                (D(2016, 8, 1), "treatment_advised"),
                (D(2016, 8, 3), "advice_rejected", "distrust"),
                (D(2016, 12, 4), "recurrence", "same_victim"),
            ],
        )
    return made


@access_test(
    "reports:evaluation",
    "reports:evaluation_download",
    "reports:evaluation_episodes",
    "api:evaluation_report",
)
def test_clinicians_and_admins_get_404(
    clinician_tokyo: User, admin_user: User, cases: dict[str, Case]
) -> None:
    for user in (clinician_tokyo, admin_user):
        client = client_for(user)
        for name in PAGES:
            assert client.get(reverse(name), PERIOD).status_code == 404
        for fmt in FORMATS:
            response = client.get(reverse("reports:evaluation_download"), {**PERIOD, "format": fmt})
            assert response.status_code == 404
        assert client.get(reverse("api:evaluation_report"), API_QUERY).status_code == 404


def test_supervisor_sees_only_their_prefecture(
    supervisor_osaka: User, supervisor_tokyo: User, cases: dict[str, Case]
) -> None:
    client = client_for(supervisor_osaka)
    page = client.get(reverse("reports:evaluation"), PERIOD)
    assert page.status_code == 200
    assert page.context["result"]["overall"]["n"] == 2
    body = text_of(page)
    assert "TOKYO-REF" not in body
    # Fewer than 10 episodes: counts, no curve, and a reason.
    assert page.context["group_chart"] is None
    assert "fewer than 10 episodes" in body.lower() or "10件未満" in body
    for fmt in FORMATS:
        response = client.get(reverse("reports:evaluation_download"), {**PERIOD, "format": fmt})
        assert response.status_code == 200, fmt
        text = text_of(response)
        assert "TOKYO-REF" not in text and "東京都" not in text
    data = client.get(reverse("api:evaluation_report"), API_QUERY).json()
    assert data["overall"]["n"] == 2 and data["cox"] is None
    # Asking for another prefecture is refused, naming the field.
    refused = client.get(reverse("api:evaluation_report"), {**API_QUERY, "prefecture": "13"})
    assert refused.status_code == 422 and "prefecture" in refused.text
    episodes = text_of(client.get(reverse("reports:evaluation_episodes"), PERIOD))
    assert "OSAKA-REF-0" in episodes and "TOKYO-REF" not in episodes
    # Tokyo's supervisor gets Tokyo's case links from the drill-down.
    tokyo = client_for(supervisor_tokyo).get(
        reverse("reports:evaluation_episodes"), {**PERIOD, "group": "received", "events": 1}
    )
    assert tokyo.context["count"] == 3
    assert reverse("cases:detail", args=[cases["tokyo-r0"].pk]) in tokyo.content.decode()


def test_analyst_sees_figures_and_pseudonyms_but_nothing_personal(
    analyst: User, cases: dict[str, Case]
) -> None:
    client = client_for(analyst)
    markers = (*VICTIM_MARKERS, OFFENDER_NAME, "TOKYO-REF", "OSAKA-REF", "free text")
    page = client.get(reverse("reports:evaluation"), PERIOD)
    assert page.status_code == 200
    r = page.context["result"]
    assert r["overall"]["n"] == 26
    assert (r["groups"]["received"]["n"], r["groups"]["received"]["events"]) == (12, 3)
    assert page.context["group_chart"] is not None
    assert page.context["funnel_rows"]
    assert_no_markers(page.content, markers)
    for fmt in FORMATS:
        response = client.get(reverse("reports:evaluation_download"), {**PERIOD, "format": fmt})
        assert response.status_code == 200
        assert_no_markers(text_of(response), markers)
    for query in ({}, {"format": "csv"}, {"group": "rejected", "events": 1}):
        response = client.get(reverse("reports:evaluation_episodes"), {**PERIOD, **query})
        assert response.status_code == 200
        assert_no_markers(text_of(response), markers)
    data = client.get(reverse("api:evaluation_report"), API_QUERY).json()
    assert data["groups"]["rejected"]["n"] == 14
    assert set(data) == {
        "period",
        "outcome",
        "landmark_days",
        "excluded_before_landmark",
        "overall",
        "groups",
        "logrank",
        "cox",
        "evalue",
    }


def test_api_names_the_bad_field(analyst: User, cases: dict[str, Case]) -> None:
    client = client_for(analyst)
    for query, name in (
        ({"landmark": 400}, "landmark"),
        ({"outcome": "murder"}, "outcome"),
        ({"prefecture": "99"}, "prefecture"),
        ({"date_to": "2015-01-01"}, "date_to"),
    ):
        response = client.get(reverse("api:evaluation_report"), {**API_QUERY, **query})
        assert response.status_code == 422, query
        assert name in response.text


def test_page_names_a_bad_landmark(analyst: User) -> None:
    page = client_for(analyst).get(reverse("reports:evaluation"), {**PERIOD, "landmark": "-1"})
    assert page.status_code == 200
    assert "landmark" in page.context["form"].errors


def test_command_prints_the_json_of_design_5(cases: dict[str, Case]) -> None:
    out = io.StringIO()
    call_command(
        "report",
        "evaluation",
        "--from",
        "2016-04-01",
        "--to",
        "2016-12-31",
        "--as-of",
        "2018-12-31",
        "--prefecture",
        "13",
        "--outcome",
        "any_measure",
        "--landmark",
        "30",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["outcome"] == "any_measure" and data["landmark_days"] == 30
    assert data["overall"]["n"] == 24
    assert data["cox"]["terms"]["received"]["hr"] < 1


def test_the_evaluation_reads_a_fixed_number_of_queries(
    analyst: User, cases: dict[str, Case], django_assert_max_num_queries: Any
) -> None:
    from tsunagu.reports import evaluation, evaluation_data

    params = evaluation.Params.make(D(2016, 4, 1), D(2016, 12, 31), D(2018, 12, 31))
    with django_assert_max_num_queries(4):
        result = evaluation_data.compute(Case.objects.for_statistics(analyst), params)
    assert result.result["overall"]["n"] == 26
    client = client_for(analyst)
    # The page: session and user, the prefectures of the form, names, the figures.
    with django_assert_max_num_queries(12):
        assert client.get(reverse("reports:evaluation"), PERIOD).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("reports:evaluation_episodes"), PERIOD).status_code == 200


def test_the_schema_lists_the_outcomes_and_bounds_the_landmark() -> None:
    from tsunagu.api import api
    from tsunagu.reports import evaluation

    operation = api.get_openapi_schema(path_prefix="/api/v1/")["paths"][
        "/api/v1/reports/evaluation"
    ]["get"]
    params = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert params["outcome"]["enum"] == list(evaluation.OUTCOME_KINDS)
    assert (params["landmark"]["minimum"], params["landmark"]["maximum"]) == (
        0,
        evaluation.MAX_LANDMARK,
    )
