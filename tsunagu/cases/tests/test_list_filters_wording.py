"""The case list says what its filters did: an error lists no case, an empty result
says nothing matched, every empty choice reads 「すべて」."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tsunagu.cases.filters import CaseFilterForm
from tsunagu.cases.models import Case


@pytest.fixture
def tokyo_case(make_case, officer_tokyo):
    return make_case(officer_tokyo)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_bad_date_range_shows_its_error_and_lists_no_case(
    client, officer_tokyo, tokyo_case, htmx
):
    client.force_login(officer_tokyo)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.get(
        reverse("cases:list"), {"opened_from": "2017-01-01", "opened_to": "2016-01-01"}, **headers
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert tokyo_case.ref not in body
    # The error is in the part htmx swaps in, so it shows either way, with the field named.
    assert 'id="filter-errors"' in body and 'role="alert"' in body
    assert "受理日（まで）: 期間の終わりが始まりより前です。" in body
    assert "条件に合う事案はありません" not in body
    assert list(response.context["rows"]) == []


def test_a_valid_filter_still_lists_its_cases(client, officer_tokyo, tokyo_case):
    client.force_login(officer_tokyo)
    response = client.get(reverse("cases:list"), {"opened_from": "2016-01-01"})
    assert tokyo_case.ref in response.content.decode()
    assert 'id="filter-errors"' not in response.content.decode()


def test_an_empty_result_says_nothing_matched_without_a_page_count(
    client, officer_tokyo, tokyo_case
):
    client.force_login(officer_tokyo)
    body = client.get(reverse("cases:list"), {"q": "NO-SUCH-REF"}).content.decode()
    assert "条件に合う事案はありません。" in body
    assert "ページ（0 件）" not in body and "1 / 1" not in body
    body = client.get(reverse("cases:list")).content.decode()
    assert "1 / 1 ページ（1 件）" in body


def test_every_empty_choice_of_the_filters_reads_all(officer_tokyo, settings):
    form = CaseFilterForm(prefecture=officer_tokyo.prefecture)
    empties = {}
    for name, field in form.fields.items():
        choices = list(getattr(field, "choices", []))
        if choices and choices[0][0] == "":
            empties[name] = str(choices[0][1])
    assert empties["station"] == "すべて"
    assert set(empties.values()) == {"すべて"}
    assert "---------" not in "".join(empties.values())


def test_the_bad_range_lists_none_whatever_the_cases(officer_tokyo, tokyo_case):
    form = CaseFilterForm(
        {"measure_from": "2016-05-01", "measure_to": "2016-06-01"},  # no measure chosen
        prefecture=officer_tokyo.prefecture,
    )
    assert not form.is_valid()
    assert not form.filter(Case.objects.visible_to(officer_tokyo)).exists()
