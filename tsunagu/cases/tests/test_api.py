from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from tsunagu.cases.models import Case
from tsunagu.core.models import AuditEvent
from tsunagu.testing import access_test, assert_no_markers
from tsunagu.testing.builders import OFFENDER_NAME, VICTIM_MARKERS

OUTSIDERS = ("officer_osaka", "supervisor_osaka", "clinician_tokyo", "analyst", "admin_user")


@pytest.fixture
def tokyo_case(make_case, officer_tokyo):
    return make_case(officer_tokyo)


def post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


@access_test(
    "api:cases_list",
    "api:cases_detail",
    "api:cases_open",
    "api:cases_event_record",
    "api:cases_event_correct",
)
@pytest.mark.parametrize("who", OUTSIDERS)
def test_case_api_answers_404_outside_the_prefecture_and_to_other_roles(
    client, request, tokyo_case, who
):
    user = request.getfixturevalue(who)
    client.force_login(user)
    event = tokyo_case.events.get()
    detail = client.get(reverse("api:cases_detail", args=[tokyo_case.pk]))
    assert detail.status_code == 404
    assert_no_markers(detail.content, VICTIM_MARKERS + (OFFENDER_NAME,))
    listing = client.get(reverse("api:cases_list"))
    if user.is_police:
        assert listing.status_code == 200 and listing.json()["count"] == 0
    else:
        assert listing.status_code == 404
    record = post_json(
        client,
        reverse("api:cases_event_record", args=[tokyo_case.pk]),
        {"date": "2016-06-01", "type": "warning"},
    )
    assert record.status_code == 404
    correct = post_json(
        client,
        reverse("api:cases_event_correct", args=[tokyo_case.pk, event.pk]),
        {"reason": "mistake"},
    )
    assert correct.status_code == 404
    assert tokyo_case.events.count() == 1
    opened = post_json(
        client, reverse("api:cases_open"), {"ref": "API-X", "opened_on": "2016-05-01"}
    )
    if user.is_police:
        assert opened.status_code == 201
        assert Case.objects.get(ref="API-X").prefecture_id == user.prefecture_id
    else:
        assert opened.status_code == 404
        assert not Case.objects.filter(ref="API-X").exists()


def test_unauthenticated_api_is_refused(client, tokyo_case):
    assert client.get(reverse("api:cases_list")).status_code == 401


def test_api_detail_masks_victims(client, officer_tokyo, tokyo_case):
    client.force_login(officer_tokyo)
    response = client.get(reverse("api:cases_detail", args=[tokyo_case.pk]))
    assert response.status_code == 200
    assert_no_markers(response.content, VICTIM_MARKERS)
    data = response.json()
    victim = next(p for p in data["people"] if p["role"] == "victim")
    assert victim["masked"] and victim["address"] == "●●●●"
    offender = next(p for p in data["people"] if p["role"] == "offender")
    assert offender["name"] == OFFENDER_NAME
    assert [e["type"] for e in data["events"]] == ["consultation"]


def test_api_list_uses_the_page_filters(client, officer_tokyo, make_case):
    make_case(officer_tokyo, ref="A-1", relationship="workplace")
    make_case(officer_tokyo, ref="B-1", opened_on=dt.date(2018, 1, 1))
    client.force_login(officer_tokyo)
    url = reverse("api:cases_list")
    assert [c["ref"] for c in client.get(url, {"relationship": "workplace"}).json()["results"]] == [
        "A-1"
    ]
    assert [c["ref"] for c in client.get(url, {"opened_from": "2017-01-01"}).json()["results"]] == [
        "B-1"
    ]
    bad = client.get(url, {"opened_from": "2017-02-30"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "opened_from"]


def test_api_list_query_budget(client, officer_tokyo, make_case, django_assert_max_num_queries):
    for i in range(25):
        make_case(officer_tokyo, ref=f"L-{i:02d}")
    client.force_login(officer_tokyo)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("api:cases_list"), {"page_size": 100})
    assert response.json()["count"] == 25


def test_api_opens_a_case_and_records_and_corrects_an_event(client, officer_tokyo):
    client.force_login(officer_tokyo)
    created = post_json(
        client,
        reverse("api:cases_open"),
        {
            "ref": "API-1",
            "opened_on": "2016-05-01",
            "station": "13-003",
            "relationship": "stranger",
            "offender": {"name": "甲", "sex": "male", "age": 41},
            "victims": [{"name": "乙", "sex": "female", "address": "架空市1-1"}],
        },
    )
    assert created.status_code == 201, created.content
    case_id = created.json()["id"]
    assert created.json()["station"] == "13-003"
    assert_no_markers(created.content, ("架空市1-1",))
    warning = post_json(
        client,
        reverse("api:cases_event_record", args=[case_id]),
        {"date": "2016-06-01", "type": "warning"},
    )
    assert warning.status_code == 201
    correction = post_json(
        client,
        reverse("api:cases_event_correct", args=[case_id, warning.json()["id"]]),
        {"reason": "entered on the wrong case"},
    )
    assert correction.status_code == 201
    assert Case.objects.get(pk=case_id).latest_measure == "consultation"
    assert AuditEvent.objects.filter(action="event.correction").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"ref": "X", "opened_on": "2016-02-30"}, "opened_on"),
        ({"ref": "X", "opened_on": "2999-01-01"}, "opened_on"),
        ({"ref": "X", "opened_on": "2016-05-01", "prefecture": "27"}, "prefecture"),
        ({"ref": "X", "opened_on": "2016-05-01", "station": "27-001"}, "station"),
        ({"ref": "X", "opened_on": "2016-05-01", "relationship": "enemy"}, "relationship"),
        ({"ref": " ", "opened_on": "2016-05-01"}, "ref"),
        ({"ref": "X", "opened_on": "2016-05-01", "victims": [{"sex": "robot"}]}, "sex"),
        ({"ref": "X" * 65, "opened_on": "2016-05-01"}, "ref"),
        ({"ref": "X", "opened_on": "2016-05-01", "victims": [{"address": "a" * 301}]}, "address"),
    ],
)
def test_api_bad_new_case_answers_422_naming_the_field(client, officer_tokyo, payload, field):
    client.force_login(officer_tokyo)
    response = post_json(client, reverse("api:cases_open"), payload)
    assert response.status_code == 422, response.content
    assert field in response.json()["detail"][0]["loc"]
    assert not Case.objects.exists()


def test_api_duplicate_reference_answers_422(client, officer_tokyo, tokyo_case):
    client.force_login(officer_tokyo)
    response = post_json(
        client, reverse("api:cases_open"), {"ref": tokyo_case.ref, "opened_on": "2016-05-01"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "ref"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"date": "2016-06-01", "type": "arrest"}, "detail"),
        ({"date": "2016-01-01", "type": "warning"}, "date"),
        ({"date": "2016-06-01", "type": "emergency_order"}, "type"),
        ({"date": "2016-06-01", "type": "treatment_started"}, "type"),
        ({"date": "nope", "type": "warning"}, "date"),
    ],
)
def test_api_bad_event_answers_422_naming_the_field(
    client, officer_tokyo, tokyo_case, payload, field
):
    client.force_login(officer_tokyo)
    response = post_json(client, reverse("api:cases_event_record", args=[tokyo_case.pk]), payload)
    assert response.status_code == 422, response.content
    assert field in response.json()["detail"][0]["loc"]
    assert tokyo_case.events.count() == 1


def test_api_refuses_nul_characters_with_422(client, officer_tokyo, tokyo_case):
    client.force_login(officer_tokyo)
    opened = post_json(
        client, reverse("api:cases_open"), {"ref": "a\x00b", "opened_on": "2016-05-01"}
    )
    assert opened.status_code == 422 and "ref" in opened.json()["detail"][0]["loc"]
    event = post_json(
        client,
        reverse("api:cases_event_record", args=[tokyo_case.pk]),
        {"date": "2016-06-01", "type": "warning", "detail": "x\x00"},
    )
    assert event.status_code == 422 and "detail" in event.json()["detail"][0]["loc"]
    listing = client.get(reverse("api:cases_list"), {"q": "a\x00"})
    assert listing.status_code == 422
