"""Whatever a form is sent, the answer is a redirect or the form with errors, never a 500."""

from __future__ import annotations

import json

from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsunagu.cases import timeline
from tsunagu.cases.models import Case

junk = st.one_of(
    st.just(""),
    st.text(max_size=30),
    st.sampled_from(
        ["2016-06-01", "2016-02-30", "2999-01-01", "0000-00-00", "-1", "99999999", "a\x00"]
    ),
)
fuzz = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@fuzz
@given(
    kind=st.one_of(st.sampled_from(timeline.EVENT_ORDER), st.text(max_size=10)),
    date=junk,
    arrest_kind=st.one_of(st.sampled_from(["", *timeline.ARREST_KINDS]), st.text(max_size=5)),
    note=st.text(max_size=50),
)
def test_measure_form_never_fails(client, officer_tokyo, make_case, kind, date, arrest_kind, note):
    # Fixtures live for the whole test, not one example: open the case once.
    case = Case.objects.filter(ref="FUZZ").first() or make_case(officer_tokyo, ref="FUZZ")
    client.force_login(officer_tokyo)
    response = client.post(
        reverse("cases:event_record", args=[case.pk]),
        {
            "measure-type": kind,
            "measure-date": date,
            "measure-arrest_kind": arrest_kind,
            "measure-note": note,
        },
    )
    assert response.status_code in (302, 400)


@fuzz
@given(
    ref=st.text(max_size=70),
    opened_on=junk,
    relationship=st.one_of(st.sampled_from(["partner_or_ex", "unknown"]), st.text(max_size=8)),
    station=st.one_of(st.just(""), st.text(max_size=6), st.integers(-5, 10**6).map(str)),
    age=st.one_of(st.just(""), st.integers(-10, 500).map(str), st.text(max_size=4)),
    total=st.one_of(st.sampled_from(["1", "2", "0", "50"]), st.text(max_size=3)),
    adding=st.booleans(),
)
def test_new_case_form_never_fails(
    client, officer_tokyo, ref, opened_on, relationship, station, age, total, adding
):
    client.force_login(officer_tokyo)
    extra = {"add_victim": "1"} if adding else {}
    response = client.post(
        reverse("cases:new"),
        {
            **extra,
            "ref": ref,
            "opened_on": opened_on,
            "relationship": relationship,
            "station": station,
            "offender_sex": "male",
            "offender_age": age,
            "victims-TOTAL_FORMS": total,
            "victims-INITIAL_FORMS": "0",
            "victims-0-name": "x",
            "victims-0-sex": "female",
            "victims-0-age": age,
        },
    )
    assert response.status_code in ((200,) if adding else (302, 400))


json_values = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**9), st.text(max_size=12), junk
)


@fuzz
@given(
    payload=st.fixed_dictionaries(
        {},
        optional={
            "ref": json_values,
            "opened_on": json_values,
            "prefecture": json_values,
            "station": json_values,
            "relationship": json_values,
            "offender": st.one_of(json_values, st.fixed_dictionaries({"age": json_values})),
            "victims": st.one_of(
                json_values, st.lists(st.fixed_dictionaries({"sex": json_values}))
            ),
        },
    )
)
def test_api_open_case_answers_201_or_422(client, officer_tokyo, payload):
    client.force_login(officer_tokyo)
    response = client.post(
        reverse("api:cases_open"), json.dumps(payload), content_type="application/json"
    )
    assert response.status_code in (201, 422), response.content


@fuzz
@given(date=json_values, kind=json_values, detail=json_values)
def test_api_record_event_answers_201_or_422(client, officer_tokyo, make_case, date, kind, detail):
    case = Case.objects.filter(ref="FUZZ").first() or make_case(officer_tokyo, ref="FUZZ")
    client.force_login(officer_tokyo)
    response = client.post(
        reverse("api:cases_event_record", args=[case.pk]),
        json.dumps({"date": date, "type": kind, "detail": detail}),
        content_type="application/json",
    )
    assert response.status_code in (201, 422), response.content
