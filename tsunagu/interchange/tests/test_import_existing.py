"""An import against cases already in the database: no oracle on personal data,
and the referral stages cached from the timeline follow the new events."""

from __future__ import annotations

import datetime as dt

import pytest

from tsunagu.cases.models import Person
from tsunagu.core.models import AuditEvent
from tsunagu.interchange.importer import import_files
from tsunagu.testing.builders import VICTIM_ADDRESS, referred
from tsunagu.testing.files import write_set

pytestmark = pytest.mark.django_db

HEADER = (
    "case_ref", "prefecture", "opened_on", "relationship", "offender_sex", "offender_age",
    "victim_sex", "victim_age", "victim_address",
)  # fmt: skip


@pytest.mark.parametrize("guess", ["Some Other Street 1", VICTIM_ADDRESS])
def test_a_guessed_victim_address_gets_the_same_answer_right_or_wrong(
    tmp_path, make_case, officer_tokyo, guess
):
    case = make_case(officer_tokyo, opened_on=dt.date(2016, 5, 10))
    row = ("T-0001", "13", "2016-05-10", "partner_or_ex", "male", "34", "female", "29", guess)
    write_set(tmp_path, [row], [], cases_header=HEADER)
    summary = import_files(tmp_path, dry_run=True)
    assert summary.errors == []
    assert summary.counts()["cases_unchanged"] == 1
    # The stored address is not touched by a row of an existing case.
    import_files(tmp_path)
    assert case.people.get(role="victim").address == VICTIM_ADDRESS
    assert Person.objects.count() == 2
    assert not AuditEvent.objects.filter(reason__contains=VICTIM_ADDRESS).exists()


def test_non_personal_data_of_an_existing_case_is_still_compared(
    tmp_path, make_case, officer_tokyo
):
    make_case(officer_tokyo, opened_on=dt.date(2016, 5, 10))
    row = ("T-0001", "13", "2016-05-10", "partner_or_ex", "male", "35", "female", "29", "")
    write_set(tmp_path, [row], [], cases_header=HEADER)
    summary = import_files(tmp_path, dry_run=True)
    assert [e.column for e in summary.errors] == ["case_ref"]


def test_imported_clinic_events_move_the_referral_stage(
    tmp_path, make_case, officer_tokyo, clinic_tokyo
):
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    assert referral.stage == "sent"
    events = [("T-0001", "13", "2016-06-03", "referral_acknowledged", "")]
    write_set(tmp_path, [], events)
    summary = import_files(tmp_path)
    assert summary.errors == []
    referral.refresh_from_db()
    assert referral.stage == "acknowledged"
