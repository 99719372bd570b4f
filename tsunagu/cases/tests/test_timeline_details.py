"""The case page's timeline shows coded details in words, not as stored codes."""

from __future__ import annotations

import datetime as dt

from tsunagu.cases import services


def test_coded_details_of_treatment_events_are_shown_translated(client, make_case, officer_tokyo):
    case = make_case(officer_tokyo, opened_on=dt.date(2016, 5, 10))
    services.event_record(
        actor=officer_tokyo, case=case, date=dt.date(2016, 5, 20), type="treatment_advised",
        detail="in_person",
    )  # fmt: skip
    services.event_record(
        actor=officer_tokyo, case=case, date=dt.date(2016, 5, 21),
        type="consent_police_to_clinic", detail="written",
    )  # fmt: skip
    client.force_login(officer_tokyo)
    rows = client.get(f"/cases/{case.pk}/").context["timeline"]
    details = {row["event"].type: row["detail"] for row in rows}
    assert details["treatment_advised"] == "対面で"
    assert details["consent_police_to_clinic"] == "書面で"
