"""DESIGN §2, consent: once the offender withdraws the clinic-to-police consent, the
police see nothing the clinic reported from then on, in the report's drill-down too
(page, CSV, API). The figures themselves, and the analysts' de-identified rows, stay
as the full timeline gives them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from tsunagu.cases import services
from tsunagu.cases.models import Case
from tsunagu.core.models import User
from tsunagu.testing import client_for
from tsunagu.treatment.models import Clinic

pytestmark = pytest.mark.django_db

D = dt.date
PERIOD: dict[str, Any] = {"preset": "custom", "date_from": "2016-04-01", "date_to": "2016-12-31"}
API_PERIOD = {"date_from": "2016-04-01", "date_to": "2016-12-31"}
HALTED_ON = "2016-07-14"


@pytest.fixture
def withdrawn_case(
    officer_tokyo: User, clinician_tokyo: User, clinic_tokyo: Clinic, make_case: Any
) -> Case:
    """Referred, treatment started, consent withdrawn, then halted by the clinic."""
    case = make_case(officer_tokyo, opened_on=D(2016, 4, 2), ref="TOKYO-WD-1")
    for actor, day, kind, detail in [
        (officer_tokyo, D(2016, 5, 1), "treatment_advised", ""),
        (officer_tokyo, D(2016, 5, 2), "advice_accepted", ""),
        (officer_tokyo, D(2016, 5, 2), "consent_police_to_clinic", ""),
        (officer_tokyo, D(2016, 5, 2), "consent_clinic_to_police", ""),
        (officer_tokyo, D(2016, 5, 3), "referral_sent", clinic_tokyo.code),
        (clinician_tokyo, D(2016, 5, 4), "referral_acknowledged", ""),
        (clinician_tokyo, D(2016, 5, 6), "appointment_scheduled", clinic_tokyo.code),
        (clinician_tokyo, D(2016, 5, 9), "treatment_started", ""),
        (officer_tokyo, D(2016, 6, 1), "consent_clinic_to_police_withdrawn", ""),
        (clinician_tokyo, D(2016, 7, 14), "treatment_halted", "stopped_attending"),
    ]:
        services.event_record(actor=actor, case=case, date=day, type=kind, detail=detail)
    return case


def test_police_drill_down_hides_clinic_status_after_consent_withdrawal(
    supervisor_tokyo: User, withdrawn_case: Case
) -> None:
    client = client_for(supervisor_tokyo)
    # The figures count the episode as the full timeline has it.
    page = client.get(reverse("reports:programme"), PERIOD)
    assert page.context["totals"]["halted"] == 1
    # The list behind "advised": the row shows what the police may know, no halt.
    drill = client.get(reverse("reports:episodes"), PERIOD)
    assert drill.status_code == 200 and drill.context["count"] == 1
    (item,) = drill.context["items"]
    assert item["id"] == "TOKYO-WD-1"
    assert item["row"].leaf != "halted" and item["row"].leaf_on != D(2016, 7, 14)
    body = drill.content.decode()
    assert HALTED_ON not in body and "治療中断" not in body
    # The list behind "halted" must not betray the halt by listing the case.
    halted = client.get(reverse("reports:episodes"), {**PERIOD, "figure": "halted"})
    assert halted.context["count"] == 0 and "TOKYO-WD-1" not in halted.content.decode()
    # CSV download.
    csv_text = client.get(reverse("reports:episodes"), {**PERIOD, "format": "csv"}).content.decode(
        "utf-8-sig"
    )
    assert "TOKYO-WD-1" in csv_text
    assert "halted" not in csv_text and HALTED_ON not in csv_text
    halted_csv = client.get(
        reverse("reports:episodes"), {**PERIOD, "figure": "halted", "format": "csv"}
    ).content.decode("utf-8-sig")
    assert "TOKYO-WD-1" not in halted_csv
    # API.
    episodes = client.get(reverse("api:programme_episodes"), API_PERIOD).json()["results"]
    assert [e["id"] for e in episodes] == ["TOKYO-WD-1"]
    assert episodes[0]["leaf"] != "halted"
    assert HALTED_ON not in str(episodes)
    api_halted = client.get(
        reverse("api:programme_episodes"), {**API_PERIOD, "figure": "halted"}
    ).json()
    assert api_halted["results"] == [] and api_halted["count"] == 0


def test_police_drill_down_shows_what_was_reported_before_the_withdrawal(
    officer_tokyo: User, withdrawn_case: Case
) -> None:
    (episode,) = (
        client_for(officer_tokyo)
        .get(reverse("api:programme_episodes"), API_PERIOD)
        .json()["results"]
    )
    assert episode["leaf"] == "continuing"
    assert episode["started_on"] == "2016-05-09"
    assert episode["leaf_on"] == "2016-05-09"


def test_a_status_reported_while_withdrawn_stays_hidden_after_consent_is_given_again(
    officer_tokyo: User, withdrawn_case: Case
) -> None:
    services.event_record(
        actor=officer_tokyo,
        case=withdrawn_case,
        date=D(2016, 8, 1),
        type="consent_clinic_to_police",
    )
    (episode,) = (
        client_for(officer_tokyo)
        .get(reverse("api:programme_episodes"), API_PERIOD)
        .json()["results"]
    )
    # The halt was reported while consent stood withdrawn: it stays hidden.
    assert episode["leaf"] == "continuing" and HALTED_ON not in str(episode)


def test_analysts_keep_the_de_identified_row_as_the_timeline_gives_it(
    analyst: User, withdrawn_case: Case
) -> None:
    (episode,) = (
        client_for(analyst).get(reverse("api:programme_episodes"), API_PERIOD).json()["results"]
    )
    assert episode["leaf"] == "halted" and episode["leaf_on"] == HALTED_ON
    drill = client_for(analyst).get(reverse("reports:episodes"), {**PERIOD, "figure": "halted"})
    assert drill.context["count"] == 1
