"""After a clinic-to-police consent withdrawal, the case page and the case API show
the police none of the clinic's later status, voided rows and their corrections included."""

from __future__ import annotations

import datetime as dt

from tsunagu.cases import services, timeline
from tsunagu.cases.models import Event

D = dt.date


def _treated_case_with_withdrawal(make_case, officer, clinician):
    case = make_case(officer, opened_on=D(2016, 5, 10))
    steps = [
        (D(2016, 5, 20), "treatment_advised", "in_person", officer),
        (D(2016, 5, 21), "advice_accepted", "", officer),
        (D(2016, 5, 21), "consent_police_to_clinic", "", officer),
        (D(2016, 5, 21), "consent_clinic_to_police", "", officer),
        (D(2016, 5, 22), "referral_sent", "13-C001", officer),
        (D(2016, 5, 23), "referral_acknowledged", "", clinician),
        (D(2016, 6, 1), "appointment_scheduled", "13-C001", clinician),
        (D(2016, 6, 8), "treatment_started", "", clinician),
        (D(2016, 7, 1), "consent_clinic_to_police_withdrawn", "", clinician),
        (D(2016, 8, 1), "session_attended", "", clinician),
        (D(2016, 9, 1), "treatment_halted", "stopped_attending", clinician),
    ]
    for day, kind, detail, actor in steps:
        services.event_record(actor=actor, case=case, date=day, type=kind, detail=detail)
    session = Event.objects.get(case=case, type="session_attended")
    services.event_correct(actor=clinician, event=session, reason="recorded on the wrong case")
    return case


def test_case_api_hides_clinic_status_after_withdrawal(
    client, make_case, officer_tokyo, clinician_tokyo
):
    case = _treated_case_with_withdrawal(make_case, officer_tokyo, clinician_tokyo)
    client.force_login(officer_tokyo)
    data = client.get(f"/api/v1/cases/{case.pk}").json()
    types = [e["type"] for e in data["events"]]
    assert "treatment_started" in types  # reported before the withdrawal
    assert "consent_clinic_to_police_withdrawn" in types
    assert "treatment_halted" not in types
    assert "session_attended" not in types  # voided, still hidden
    assert "correction" not in types  # its text would name the hidden session


def test_case_page_hides_clinic_status_after_withdrawal(
    client, make_case, officer_tokyo, clinician_tokyo
):
    case = _treated_case_with_withdrawal(make_case, officer_tokyo, clinician_tokyo)
    client.force_login(officer_tokyo)
    response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    shown = [row["event"].type for row in response.context["timeline"]]
    assert "treatment_started" in shown
    assert not {"treatment_halted", "session_attended", "correction"} & set(shown)


def test_police_view_keeps_everything_while_consent_holds():
    evs = [
        timeline.Ev(D(2016, 5, 20), "treatment_advised", "", 1),
        timeline.Ev(D(2016, 5, 21), "consent_clinic_to_police", "", 2),
        timeline.Ev(D(2016, 6, 8), "treatment_started", "", 3),
        timeline.Ev(D(2016, 9, 1), "treatment_completed", "", 4),
    ]
    assert timeline.police_view(evs) == evs
    assert timeline.hidden_from_police(evs) == set()


def test_case_page_as_of_state_hides_clinic_status_after_withdrawal(
    client, make_case, officer_tokyo, clinician_tokyo
):
    case = _treated_case_with_withdrawal(make_case, officer_tokyo, clinician_tokyo)
    client.force_login(officer_tokyo)
    response = client.get(f"/cases/{case.pk}/", {"as_of": "2016-12-31"})
    from tsunagu.cases import labels

    assert response.context["as_of_state"]["episodes"] == [labels.LEAF_LABELS["continuing"]]


def test_the_three_police_surfaces_hide_the_same_events(
    make_case, officer_tokyo, clinician_tokyo, supervisor_tokyo
):
    """Case page, case API and the report's drill-down all show the police exactly
    `timeline.police_view` of the case: one rule, one place."""
    from django.urls import reverse

    from tsunagu.testing import client_for

    case = _treated_case_with_withdrawal(make_case, officer_tokyo, clinician_tokyo)
    evs = case.timeline_events()
    visible = timeline.police_view(evs)
    expected = {(ev.type, ev.date) for ev in visible}
    assert ("treatment_halted", D(2016, 9, 1)) not in expected  # the rule hides something
    client = client_for(supervisor_tokyo)

    page = client.get(f"/cases/{case.pk}/").context["timeline"]
    shown = {
        (row["event"].type, row["event"].date)
        for row in page
        if not row["voided"] and row["event"].type != "correction"
    }
    assert shown == expected

    api = client.get(f"/api/v1/cases/{case.pk}").json()["events"]
    listed = {
        (e["type"], dt.date.fromisoformat(e["date"]))
        for e in api
        if not e["voided"] and e["type"] != "correction"
    }
    assert listed == expected

    period = {"preset": "custom", "date_from": "2016-04-01", "date_to": "2016-12-31"}
    drill = client.get(reverse("reports:episodes"), period)
    (item,) = drill.context["items"]
    (episode,) = timeline.episodes(visible)
    assert item["row"].leaf == timeline.classify(episode).leaf
    assert item["row"].leaf != timeline.classify(timeline.episodes(evs)[0]).leaf
