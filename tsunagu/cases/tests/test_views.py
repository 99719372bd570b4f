from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tsunagu.cases.models import Case, Event, Person
from tsunagu.core.models import AuditEvent
from tsunagu.testing import access_test, assert_no_markers
from tsunagu.testing.builders import OFFENDER_NAME, VICTIM_ADDRESS, VICTIM_MARKERS

OUTSIDERS = ("officer_osaka", "supervisor_osaka", "clinician_tokyo", "analyst", "admin_user")


@pytest.fixture
def tokyo_case(make_case, officer_tokyo):
    return make_case(officer_tokyo)


def _urls(case: Case) -> list[tuple[str, str, dict]]:
    event = case.events.get()
    victim = case.people.get(role="victim")
    return [
        ("get", reverse("cases:detail", args=[case.pk]), {}),
        ("get", reverse("cases:person_add", args=[case.pk]), {}),
        (
            "post",
            reverse("cases:person_add", args=[case.pk]),
            {"role": "victim", "name": "x", "sex": "unknown"},
        ),
        (
            "post",
            reverse("cases:reveal", args=[case.pk, victim.pk]),
            {
                f"reveal{victim.pk}-reason": "checking the address",
                f"reveal{victim.pk}-reason_category": "contact",
            },
        ),
        ("get", reverse("cases:revealed", args=[case.pk, victim.pk]), {}),
        (
            "post",
            reverse("cases:event_record", args=[case.pk]),
            {"measure-type": "warning", "measure-date": "2016-06-01"},
        ),
        (
            "post",
            reverse("cases:event_correct", args=[case.pk, event.pk]),
            {f"correct{event.pk}-reason": "mistake"},
        ),
        (
            "post",
            reverse("cases:status", args=[case.pk]),
            {"status-type": "case_closed", "status-date": "2016-06-01"},
        ),
    ]


@access_test(
    "cases:detail",
    "cases:person_add",
    "cases:reveal",
    "cases:revealed",
    "cases:event_record",
    "cases:event_correct",
    "cases:status",
)
@pytest.mark.parametrize("who", OUTSIDERS)
def test_case_pages_answer_404_outside_the_prefecture_and_to_other_roles(
    client, request, tokyo_case, who
):
    client.force_login(request.getfixturevalue(who))
    audit_before = AuditEvent.objects.count()
    for method, url, data in _urls(tokyo_case):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (who, url)
        assert_no_markers(response.content, VICTIM_MARKERS + (OFFENDER_NAME,))
    assert tokyo_case.events.count() == 1
    assert tokyo_case.people.count() == 2
    # Nothing written but the denials themselves, one per refused request.
    denials = AuditEvent.objects.filter(action="access.denied").count()
    assert AuditEvent.objects.count() == audit_before + denials
    assert denials == len(_urls(tokyo_case))


@access_test("cases:list", "cases:new")
@pytest.mark.parametrize("who", ("clinician_tokyo", "analyst", "admin_user"))
def test_list_and_new_case_pages_are_police_only(client, request, tokyo_case, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("cases:list")).status_code == 404
    assert client.get(reverse("cases:new")).status_code == 404
    response = client.post(
        reverse("cases:new"), {"ref": "X-1", "opened_on": "2016-05-01", "relationship": "other"}
    )
    assert response.status_code == 404
    assert Case.objects.count() == 1


def test_osaka_officer_list_does_not_show_tokyo_cases(client, officer_osaka, tokyo_case):
    client.force_login(officer_osaka)
    response = client.get(reverse("cases:list"))
    assert response.status_code == 200
    assert tokyo_case.ref not in response.content.decode()


def test_officer_home_lists_open_cases_of_the_prefecture(client, officer_tokyo, make_case):
    open_case = make_case(officer_tokyo, ref="OPEN-1")
    closed = make_case(officer_tokyo, ref="SHUT-1")
    from tsunagu.cases import services

    services.event_record(
        actor=officer_tokyo, case=closed, date=dt.date(2016, 6, 1), type="case_closed"
    )
    client.force_login(officer_tokyo)
    body = client.get(reverse("core:home")).content.decode()
    assert open_case.ref in body and closed.ref not in body


# --- the case list ------------------------------------------------------------


def test_case_list_filters_by_reference_station_dates_relationship_measure_and_status(
    client, officer_tokyo, make_case
):
    from tsunagu.cases import services
    from tsunagu.core.models import Region

    shinjuku = Region.objects.get(code="13-003")
    a = make_case(officer_tokyo, ref="A-100", station=shinjuku, relationship="workplace")
    b = make_case(officer_tokyo, ref="B-200", opened_on=dt.date(2017, 1, 5))
    services.event_record(actor=officer_tokyo, case=b, date=dt.date(2017, 2, 1), type="warning")
    client.force_login(officer_tokyo)

    def refs(**params):
        response = client.get(reverse("cases:list"), params)
        assert response.status_code == 200
        return {r["case"].ref for r in response.context["rows"]}

    assert refs(q="a-1") == {a.ref}
    assert refs(station="13-003") == {a.ref}
    assert refs(opened_from="2017-01-01") == {b.ref}
    assert refs(opened_to="2016-12-31") == {a.ref}
    assert refs(relationship="workplace") == {a.ref}
    assert refs(latest_measure="warning") == {b.ref}
    assert refs(status="open") == {a.ref, b.ref}
    assert refs(status="closed") == set()


def test_case_list_bad_filter_is_shown_next_to_the_field(client, officer_tokyo, tokyo_case):
    client.force_login(officer_tokyo)
    response = client.get(reverse("cases:list"), {"opened_from": "2016-02-30"})
    assert response.status_code == 200
    assert response.context["form"].errors["opened_from"]
    response = client.get(reverse("cases:list"), {"station": "27-001"})
    assert response.context["form"].errors["station"]


def test_case_list_htmx_request_gets_the_table_only(client, officer_tokyo, tokyo_case):
    client.force_login(officer_tokyo)
    response = client.get(reverse("cases:list"), {"q": "T-"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'id="case-table"' in body and "<html" not in body and tokyo_case.ref in body
    assert "HX-Request" in response["Vary"]
    restore = client.get(
        reverse("cases:list"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in restore.content.decode()


def test_case_list_query_budget_does_not_grow_with_cases(
    client, officer_tokyo, make_case, django_assert_max_num_queries
):
    for i in range(30):
        make_case(officer_tokyo, ref=f"Q-{i:03d}")
    client.force_login(officer_tokyo)
    # session, user, region (prefecture), stations, relationship codes ×2, count, page,
    # and the audited list read (chain head locked, event, head moved)
    with django_assert_max_num_queries(13):
        response = client.get(reverse("cases:list"), {"status": "open", "q": "Q-"})
    assert len(response.context["rows"]) == 30


def test_case_list_paginates(client, officer_tokyo, make_case):
    from tsunagu.cases import views

    for i in range(views.PAGE_SIZE + 3):
        make_case(officer_tokyo, ref=f"P-{i:03d}")
    client.force_login(officer_tokyo)
    first = client.get(reverse("cases:list"), {"q": "P-"})
    second = client.get(reverse("cases:list"), {"q": "P-", "page": 2})
    assert len(first.context["rows"]) == views.PAGE_SIZE
    assert len(second.context["rows"]) == 3
    assert "q=P-&amp;page=2" in first.content.decode()


# --- the case page ---------------------------------------------------------------


def test_case_page_masks_victim_fields_and_shows_offender_name(client, officer_tokyo, tokyo_case):
    client.force_login(officer_tokyo)
    response = client.get(reverse("cases:detail", args=[tokyo_case.pk]))
    assert response.status_code == 200
    assert_no_markers(response.content, VICTIM_MARKERS)
    body = response.content.decode()
    assert OFFENDER_NAME in body and "●●●●" in body
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_reveal_asks_a_reason_then_shows_fields_once_and_audits_without_plaintext(
    client, officer_tokyo, tokyo_case
):
    victim = tokyo_case.people.get(role="victim")
    url = reverse("cases:reveal", args=[tokyo_case.pk, victim.pk])
    client.force_login(officer_tokyo)

    refused = client.post(url, {f"reveal{victim.pk}-reason": ""})
    assert refused.status_code == 400
    assert_no_markers(refused.content, VICTIM_MARKERS)
    assert not AuditEvent.objects.filter(action="person.reveal").exists()

    posted = client.post(
        url,
        {
            f"reveal{victim.pk}-reason": "Protective visit planned",
            f"reveal{victim.pk}-reason_category": "contact",
        },
    )
    # Post/redirect/get: the result has its own address, anchored at the victim.
    result_url = reverse("cases:revealed", args=[tokyo_case.pk, victim.pk])
    assert posted.status_code == 302
    assert posted["Location"] == f"{result_url}#victim-{victim.pk}"
    assert_no_markers(posted.content, VICTIM_MARKERS)
    shown = client.get(result_url)
    assert shown.status_code == 200
    assert VICTIM_ADDRESS in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    event = AuditEvent.objects.get(action="person.reveal")
    assert event.reason.endswith("Protective visit planned") and event.actor == officer_tokyo
    assert event.reason.startswith("[contact]")
    stored = f"{event.detail} {event.reason} {event.object_id}"
    assert_no_markers(stored, VICTIM_MARKERS)

    # Shown once: the next view of the page is masked again.
    again = client.get(reverse("cases:detail", args=[tokyo_case.pk]))
    assert_no_markers(again.content, VICTIM_MARKERS)


def test_recording_a_warning_puts_it_on_the_timeline(client, officer_tokyo, tokyo_case):
    client.force_login(officer_tokyo)
    response = client.post(
        reverse("cases:event_record", args=[tokyo_case.pk]),
        {"measure-type": "warning", "measure-date": "2016-06-01", "measure-note": "by phone"},
    )
    assert response.status_code == 302
    tokyo_case.refresh_from_db()
    assert tokyo_case.latest_measure == "warning"
    page = client.get(reverse("cases:detail", args=[tokyo_case.pk])).content.decode()
    assert "警告" in page and "2016-06-01" in page


def test_arrest_needs_its_kind_and_records_it(client, officer_tokyo, tokyo_case):
    client.force_login(officer_tokyo)
    url = reverse("cases:event_record", args=[tokyo_case.pk])
    missing = client.post(url, {"measure-type": "arrest", "measure-date": "2016-06-01"})
    assert missing.status_code == 400
    assert missing.context["measure_form"].errors["arrest_kind"]
    ok = client.post(
        url,
        {"measure-type": "arrest", "measure-date": "2016-06-01", "measure-arrest_kind": "stalking"},
    )
    assert ok.status_code == 302
    assert tokyo_case.events.filter(type="arrest", detail="stalking").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"measure-type": "warning", "measure-date": ""}, "date"),
        ({"measure-type": "warning", "measure-date": "2016-02-30"}, "date"),
        ({"measure-type": "warning", "measure-date": "2999-01-01"}, "date"),
        ({"measure-type": "warning", "measure-date": "2016-01-01"}, "date"),  # before opening
        ({"measure-type": "emergency_order", "measure-date": "2016-06-01"}, "type"),
        ({"measure-type": "treatment_started", "measure-date": "2016-06-01"}, "type"),
    ],
)
def test_bad_measure_is_refused_on_the_named_field_and_nothing_written(
    client, officer_tokyo, tokyo_case, data, field
):
    client.force_login(officer_tokyo)
    response = client.post(reverse("cases:event_record", args=[tokyo_case.pk]), data)
    assert response.status_code == 400
    assert response.context["measure_form"].errors[field]
    assert tokyo_case.events.count() == 1


def test_emergency_order_is_accepted_after_it_entered_the_law(client, officer_tokyo, make_case):
    case = make_case(officer_tokyo, opened_on=dt.date(2018, 3, 1))
    client.force_login(officer_tokyo)
    response = client.post(
        reverse("cases:event_record", args=[case.pk]),
        {"measure-type": "emergency_order", "measure-date": "2018-03-02"},
    )
    assert response.status_code == 302


def test_event_forbidden_by_the_derived_state_is_explained_in_japanese(
    client, officer_tokyo, tokyo_case
):
    client.force_login(officer_tokyo)
    url = reverse("cases:status", args=[tokyo_case.pk])
    assert (
        client.post(url, {"status-type": "case_closed", "status-date": "2016-07-01"}).status_code
        == 302
    )
    response = client.post(
        reverse("cases:event_record", args=[tokyo_case.pk]),
        {"measure-type": "warning", "measure-date": "2016-08-01"},
    )
    assert response.status_code == 400
    errors = response.context["measure_form"].errors["date"]
    assert errors and "The case is closed" not in errors[0]
    assert tokyo_case.events.count() == 2


def test_close_then_reopen(client, officer_tokyo, tokyo_case):
    client.force_login(officer_tokyo)
    url = reverse("cases:status", args=[tokyo_case.pk])
    client.post(url, {"status-type": "case_closed", "status-date": "2016-07-01"})
    tokyo_case.refresh_from_db()
    assert not tokyo_case.is_open
    again = client.post(url, {"status-type": "case_closed", "status-date": "2016-07-02"})
    assert again.status_code == 400
    client.post(url, {"status-type": "case_reopened", "status-date": "2016-08-01"})
    tokyo_case.refresh_from_db()
    assert tokyo_case.is_open


def test_correction_voids_the_event_keeps_it_struck_through_and_is_audited(
    client, officer_tokyo, tokyo_case
):
    from tsunagu.cases import services

    warning = services.event_record(
        actor=officer_tokyo, case=tokyo_case, date=dt.date(2016, 6, 1), type="warning"
    )
    client.force_login(officer_tokyo)
    url = reverse("cases:event_correct", args=[tokyo_case.pk, warning.pk])
    missing = client.post(url, {f"correct{warning.pk}-reason": ""})
    assert missing.status_code == 400 and not tokyo_case.events.filter(type="correction").exists()
    ok = client.post(url, {f"correct{warning.pk}-reason": "wrong case"})
    assert ok.status_code == 302
    tokyo_case.refresh_from_db()
    assert tokyo_case.latest_measure == "consultation"
    page = client.get(reverse("cases:detail", args=[tokyo_case.pk]))
    row = next(r for r in page.context["timeline"] if r["event"].pk == warning.pk)
    assert row["voided"] and "<del>" in page.content.decode()
    assert AuditEvent.objects.filter(action="event.correction").exists()
    twice = client.post(url, {f"correct{warning.pk}-reason": "again"})
    assert twice.status_code == 400


# --- new case and people -----------------------------------------------------------


def _new_case_data(**overrides):
    data = {
        "station": "",
        "ref": "NEW-1",
        "opened_on": "2016-05-01",
        "relationship": "partner_or_ex",
        "offender_name": "山田 一郎",
        "offender_sex": "male",
        "offender_age": "40",
        "victims-TOTAL_FORMS": "1",
        "victims-INITIAL_FORMS": "0",
        "victims-MIN_NUM_FORMS": "1",
        "victims-MAX_NUM_FORMS": "20",
        "victims-0-name": "鈴木 花子",
        "victims-0-sex": "female",
        "victims-0-address": "東京都新宿区架空町1-2-3",
    }
    data.update(overrides)
    return data


def test_officer_opens_a_case_with_offender_and_victim(client, officer_tokyo):
    from tsunagu.core.models import Region

    client.force_login(officer_tokyo)
    station = Region.objects.get(code="13-003")
    response = client.post(reverse("cases:new"), _new_case_data(station=str(station.pk)))
    assert response.status_code == 302, response.content.decode()[:3000]
    case = Case.objects.get(ref="NEW-1")
    assert case.station == station and case.prefecture.code == "13"
    assert sorted(case.people.values_list("role", flat=True)) == ["offender", "victim"]
    assert case.people.get(role="victim").address == "東京都新宿区架空町1-2-3"


def test_add_victim_button_adds_a_row_without_saving(client, officer_tokyo):
    client.force_login(officer_tokyo)
    response = client.post(reverse("cases:new"), _new_case_data(add_victim="1"))
    assert response.status_code == 200
    assert response.context["victims"].total_form_count() == 2
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"opened_on": ""}, "opened_on"),
        ({"opened_on": "2016-13-01"}, "opened_on"),
        ({"opened_on": "2999-01-01"}, "opened_on"),
        ({"ref": ""}, "ref"),
        ({"station": "999999"}, "station"),
        ({"relationship": "enemy"}, "relationship"),
    ],
)
def test_bad_new_case_names_the_field_and_writes_nothing(client, officer_tokyo, overrides, field):
    client.force_login(officer_tokyo)
    response = client.post(reverse("cases:new"), _new_case_data(**overrides))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Case.objects.exists() and not AuditEvent.objects.exists()


def test_station_of_another_prefecture_is_refused(client, officer_tokyo):
    from tsunagu.core.models import Region

    client.force_login(officer_tokyo)
    osaka_station = Region.objects.get(code="27-001")
    response = client.post(reverse("cases:new"), _new_case_data(station=str(osaka_station.pk)))
    assert response.status_code == 400 and response.context["form"].errors["station"]
    assert not Case.objects.exists()


def test_duplicate_reference_is_refused_on_the_reference_field(client, officer_tokyo, make_case):
    make_case(officer_tokyo, ref="NEW-1")
    client.force_login(officer_tokyo)
    response = client.post(reverse("cases:new"), _new_case_data())
    assert response.status_code == 400
    assert response.context["form"].errors["ref"]
    assert Case.objects.filter(ref="NEW-1").count() == 1


def test_new_case_needs_a_victim(client, officer_tokyo):
    client.force_login(officer_tokyo)
    data = _new_case_data(**{"victims-0-name": "", "victims-0-address": ""})
    response = client.post(reverse("cases:new"), data)
    assert response.status_code == 400
    assert response.context["victims"].non_form_errors()
    assert not Case.objects.exists()


def test_add_a_second_victim_to_a_case(client, officer_tokyo, tokyo_case):
    client.force_login(officer_tokyo)
    url = reverse("cases:person_add", args=[tokyo_case.pk])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"role": "victim", "sex": "female", "age": "300"})
    assert bad.status_code == 400 and bad.context["form"].errors["age"]
    response = client.post(url, {"role": "victim", "sex": "female", "name": "二人目"})
    assert response.status_code == 302
    assert tokyo_case.people.filter(role=Person.Role.VICTIM).count() == 2
    assert AuditEvent.objects.filter(action="person.add").exists()


def test_events_are_shown_in_timeline_order(client, officer_tokyo, tokyo_case):
    from tsunagu.cases import services

    for day, kind in [(dt.date(2016, 7, 1), "prohibition_order"), (dt.date(2016, 6, 1), "warning")]:
        services.event_record(actor=officer_tokyo, case=tokyo_case, date=day, type=kind)
    client.force_login(officer_tokyo)
    page = client.get(reverse("cases:detail", args=[tokyo_case.pk]))
    assert [r["event"].type for r in page.context["timeline"]] == [
        "consultation",
        "warning",
        "prohibition_order",
    ]
    assert Event.objects.filter(case=tokyo_case).count() == 3


def test_case_page_query_budget_does_not_grow_with_events(
    client, officer_tokyo, supervisor_tokyo, tokyo_case, django_assert_max_num_queries
):
    from tsunagu.cases import services

    for i in range(20):
        actor = officer_tokyo if i % 2 else supervisor_tokyo
        services.event_record(
            actor=actor,
            case=tokyo_case,
            date=dt.date(2016, 6, 1) + dt.timedelta(days=i),
            type="assistance",
            detail=f"visit {i}",
        )
    client.force_login(officer_tokyo)
    # 14 today, with the treatment panel's own; 20 events read one by one would exceed it.
    with django_assert_max_num_queries(19):  # + the risk panel and the inbox count
        response = client.get(reverse("cases:detail", args=[tokyo_case.pk]))
    assert len(response.context["timeline"]) == 21


def test_officer_home_query_budget(client, officer_tokyo, make_case, django_assert_max_num_queries):
    for i in range(30):
        make_case(officer_tokyo, ref=f"H-{i:03d}")
    client.force_login(officer_tokyo)
    # 11 today, with the treatment panel's reminders; 30 cases read one by one would exceed it.
    with django_assert_max_num_queries(16):
        response = client.get(reverse("core:home"))
    assert len(response.context["rows"]) == 30


def test_tokyo_officer_gets_404_on_an_osaka_case_page_and_api(
    client, officer_tokyo, officer_osaka, make_case
):
    osaka_case = make_case(officer_osaka, ref="OSAKA-1")
    client.force_login(officer_tokyo)
    assert client.get(reverse("cases:detail", args=[osaka_case.pk])).status_code == 404
    assert client.get(reverse("api:cases_detail", args=[osaka_case.pk])).status_code == 404
    listing = client.get(reverse("cases:list")).content.decode()
    assert "OSAKA-1" not in listing


def test_supervisor_works_on_the_prefecture_cases(client, supervisor_tokyo, tokyo_case):
    client.force_login(supervisor_tokyo)
    assert client.get(reverse("cases:detail", args=[tokyo_case.pk])).status_code == 200
    response = client.post(
        reverse("cases:event_record", args=[tokyo_case.pk]),
        {"measure-type": "prohibition_order", "measure-date": "2016-07-01"},
    )
    assert response.status_code == 302


def test_case_page_as_of_a_date_shows_the_state_then(client, officer_tokyo, tokyo_case):
    from tsunagu.cases import services

    services.event_record(
        actor=officer_tokyo, case=tokyo_case, date=dt.date(2016, 6, 1), type="warning"
    )
    services.event_record(
        actor=officer_tokyo, case=tokyo_case, date=dt.date(2016, 9, 1), type="case_closed"
    )
    client.force_login(officer_tokyo)
    url = reverse("cases:detail", args=[tokyo_case.pk])
    before = client.get(url, {"as_of": "2016-07-01"})
    assert before.context["as_of_state"]["is_open"]
    assert before.context["as_of_state"]["latest_measure"] == "警告"
    later = [r["event"].type for r in before.context["timeline"] if r["after_as_of"]]
    assert later == ["case_closed"]
    after = client.get(url, {"as_of": "2016-10-01"})
    assert not after.context["as_of_state"]["is_open"]
    bad = client.get(url, {"as_of": "2016-02-30"})
    assert bad.status_code == 200 and bad.context["as_of_form"].errors["as_of"]
    assert "as_of_state" not in bad.context
