"""The case list's "had a measure" filter, on the page and the API list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tsunagu.cases import timeline
from tsunagu.cases.models import Case, Event
from tsunagu.core.models import User

D = dt.date


def event(case: Case, date: dt.date, type: str, detail: str = "") -> None:
    Event.objects.create(
        case=case, date=date, type=type, detail=detail, rank=timeline.TYPE_RANK[type]
    )


def void(case: Case, date: dt.date, type: str, detail: str = "") -> None:
    target = timeline.Ev(date, type, detail)
    event(case, date + dt.timedelta(days=1), "correction", timeline.correction_detail(target, "x"))


@pytest.fixture
def measured(
    officer_tokyo: User, officer_osaka: User, make_case: Callable[..., Case]
) -> dict[str, Case]:
    two = make_case(officer_tokyo, ref="M-TWO")  # two warnings in 2016: listed once
    event(two, D(2016, 6, 1), "warning")
    event(two, D(2016, 9, 1), "warning")
    late = make_case(officer_tokyo, ref="M-LATE")  # a warning in 2017 only
    event(late, D(2017, 1, 5), "warning")
    voided = make_case(officer_tokyo, ref="M-VOID")  # its only 2016 warning was voided
    event(voided, D(2016, 7, 1), "warning")
    void(voided, D(2016, 7, 1), "warning")
    kept = make_case(officer_tokyo, ref="M-KEPT")  # one voided, one kept
    event(kept, D(2016, 3, 1), "warning")
    event(kept, D(2016, 4, 1), "warning")
    void(kept, D(2016, 3, 1), "warning")
    stalk = make_case(officer_tokyo, ref="M-ARREST-S")
    event(stalk, D(2016, 8, 1), "arrest", "stalking")
    other = make_case(officer_tokyo, ref="M-ARREST-O")
    event(other, D(2016, 8, 2), "arrest", "other")
    make_case(officer_tokyo, ref="M-NONE")
    osaka = make_case(officer_osaka, ref="M-OSAKA")  # another prefecture: never listed
    event(osaka, D(2016, 6, 1), "warning")
    return {c.ref: c for c in Case.objects.all()}


WARNINGS_2016 = {"measure": "warning", "measure_from": "2016-01-01", "measure_to": "2016-12-31"}


def page_refs(client: Client, params: dict[str, str]) -> set[str]:
    response = client.get(reverse("cases:list"), params)
    assert response.status_code == 200
    return {row["case"].ref for row in response.context["rows"]}


def api_refs(client: Client, params: dict[str, str]) -> set[str]:
    response = client.get(reverse("api:cases_list"), {**params, "page_size": "200"})
    assert response.status_code == 200, response.content
    return {c["ref"] for c in response.json()["results"]}


@pytest.mark.parametrize("refs", [page_refs, api_refs])
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (WARNINGS_2016, {"M-TWO", "M-KEPT"}),
        ({"measure": "warning"}, {"M-TWO", "M-KEPT", "M-LATE"}),
        ({"measure": "warning", "measure_from": "2017-01-01"}, {"M-LATE"}),
        ({"measure": "warning", "measure_to": "2016-03-31"}, set()),
        ({"measure": "arrest"}, {"M-ARREST-S", "M-ARREST-O"}),
        ({"measure": "arrest", "measure_detail": "stalking"}, {"M-ARREST-S"}),
        ({"measure": "arrest", "measure_detail": "other"}, {"M-ARREST-O"}),
        ({"measure": "prohibition_order"}, set()),
        ({**WARNINGS_2016, "q": "TWO"}, {"M-TWO"}),
    ],
)
def test_measure_filter_lists_exactly_the_cases_with_such_a_measure(
    client: Client,
    officer_tokyo: User,
    measured: dict[str, Case],
    refs: Callable[[Client, dict[str, str]], set[str]],
    params: dict[str, str],
    expected: set[str],
) -> None:
    client.force_login(officer_tokyo)
    assert refs(client, params) == expected


def test_the_list_says_it_lists_cases_not_measures(
    client: Client, officer_tokyo: User, measured: dict[str, Case]
) -> None:
    client.force_login(officer_tokyo)
    page = client.get(reverse("cases:list"), WARNINGS_2016).content.decode()
    assert 'id="measure-summary"' in page
    assert "2016-01-01 – 2016-12-31" in page
    # The pagination keeps the filter.
    assert "measure=warning" in client.get(reverse("cases:list"), WARNINGS_2016).context["query"]
    assert 'id="measure-summary"' not in client.get(reverse("cases:list")).content.decode()


BAD = [
    ({"measure": "nonsense"}, "measure"),
    ({"measure": "consultation"}, "measure"),
    ({"measure": "warning", "measure_from": "2016-02-30"}, "measure_from"),
    ({"measure": "warning", "measure_to": "yesterday"}, "measure_to"),
    (
        {"measure": "warning", "measure_from": "2016-12-31", "measure_to": "2016-01-01"},
        "measure_to",
    ),
    ({"measure": "warning", "measure_detail": "stalking"}, "measure_detail"),
    ({"measure": "arrest", "measure_detail": "burglary"}, "measure_detail"),
    ({"measure_from": "2016-01-01"}, "measure"),
    ({"measure": "warning", "measure_from": "99999-01-01"}, "measure_from"),
    ({"measure": "warning\x00"}, "measure"),
]


@pytest.mark.parametrize(("params", "field"), BAD)
def test_bad_measure_params_are_a_form_error_on_the_page(
    client: Client,
    officer_tokyo: User,
    measured: dict[str, Case],
    params: dict[str, str],
    field: str,
) -> None:
    client.force_login(officer_tokyo)
    response = client.get(reverse("cases:list"), params)
    assert response.status_code == 200
    assert field in response.context["form"].errors


@pytest.mark.parametrize(("params", "field"), BAD)
def test_bad_measure_params_are_a_422_in_the_api(
    client: Client,
    officer_tokyo: User,
    measured: dict[str, Case],
    params: dict[str, str],
    field: str,
) -> None:
    client.force_login(officer_tokyo)
    response = client.get(reverse("api:cases_list"), params)
    assert response.status_code == 422
    loc = response.json()["detail"][0]["loc"]
    assert loc[0] == "query"
    if "\x00" not in str(params):
        assert loc == ["query", field]


def test_measure_filtered_list_query_budget(
    client: Client,
    officer_tokyo: User,
    make_case: Callable[..., Case],
    django_assert_max_num_queries: Any,
) -> None:
    for i in range(30):
        case = make_case(officer_tokyo, ref=f"Q-{i:03d}")
        event(case, D(2016, 6, 1), "warning")
        event(case, D(2016, 6, 2), "warning")
        if i % 3 == 0:
            void(case, D(2016, 6, 1), "warning")
    client.force_login(officer_tokyo)
    # The case list's budget (13) plus the one query that reads the corrections.
    with django_assert_max_num_queries(14):
        response = client.get(reverse("cases:list"), WARNINGS_2016)
    assert len(response.context["rows"]) == 30
    with django_assert_max_num_queries(9):
        api = client.get(reverse("api:cases_list"), {**WARNINGS_2016, "page_size": "100"})
    assert api.json()["count"] == 30
