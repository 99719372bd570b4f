"""Ciphertext is bound to its table, column and row: moved, it reads as "cannot be decrypted"."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from tsunagu.cases.models import Person
from tsunagu.core import crypto
from tsunagu.core.fields import UNREADABLE_TEXT, is_unreadable
from tsunagu.testing import client_for
from tsunagu.testing.builders import VICTIM_ADDRESS, VICTIM_MARKERS, VICTIM_NAME, referred


def raw(person: Person, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM cases_person WHERE id = %s", [person.pk])  # noqa: S608
        return cursor.fetchone()[0]


def put_raw(person: Person, column: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE cases_person SET {column} = %s WHERE id = %s", [value, person.pk])  # noqa: S608


@pytest.fixture
def moved(officer_tokyo: Any, make_case: Any, clinic_tokyo: Any) -> Any:
    """The attack of the finding: the victim's address ciphertext copied to the offender."""
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    victim = referral.case.people.get(role="victim")
    offender = referral.case.people.get(role="offender")
    put_raw(offender, "address", raw(victim, "address"))
    return referral


def test_values_are_bound_and_read_back(make_case: Any, officer_tokyo: Any) -> None:
    victim = make_case(officer_tokyo).people.get(role="victim")
    token = raw(victim, "address")
    assert crypto.is_bound(token) and VICTIM_ADDRESS not in token
    assert Person.objects.get(pk=victim.pk).address == VICTIM_ADDRESS


def test_a_value_moved_to_another_field_does_not_decrypt(
    make_case: Any, officer_tokyo: Any
) -> None:
    victim = make_case(officer_tokyo).people.get(role="victim")
    put_raw(victim, "workplace", raw(victim, "name"))
    again = Person.objects.get(pk=victim.pk)
    assert is_unreadable(again.workplace) and str(again.workplace) == str(UNREADABLE_TEXT)
    assert again.name == VICTIM_NAME


def test_a_value_moved_to_another_row_does_not_decrypt(moved: Any) -> None:
    offender = moved.case.people.get(role="offender")
    assert is_unreadable(offender.address)


def test_saving_a_row_with_an_unreadable_value_keeps_the_stored_value(moved: Any) -> None:
    offender = moved.case.people.get(role="offender")
    before = raw(offender, "address")
    offender.age = 40
    offender.save()
    assert raw(offender, "address") == before


def test_clinician_api_and_page_say_cannot_be_decrypted(moved: Any, clinician_tokyo: Any) -> None:
    client = client_for(clinician_tokyo)
    api = client.get(f"/api/v1/treatment/referrals/{moved.pk}")
    page = client.get(f"/treatment/referrals/{moved.pk}/")
    for response in (api, page):
        assert response.status_code == 200
        body = response.content.decode()
        assert not any(marker in body for marker in VICTIM_MARKERS)
    assert str(UNREADABLE_TEXT) in api.json()["offender"]["address"] or str(
        UNREADABLE_TEXT
    ) in api.content.decode("unicode_escape")
    assert "復号できません" in page.content.decode()


def test_police_case_page_with_a_moved_value_is_not_an_error(
    moved: Any, officer_tokyo: Any
) -> None:
    response = client_for(officer_tokyo).get(f"/cases/{moved.case.pk}/")
    assert response.status_code == 200
    assert "復号できません" in response.content.decode()


def test_a_personal_export_writes_a_moved_value_empty_and_counts_it(
    moved: Any, tmp_path: Any
) -> None:
    from tsunagu.interchange.exporter import export

    summary = export(tmp_path, include_personal=True, reason="test")
    text = (tmp_path / "cases.csv").read_text(encoding="utf-8-sig")
    assert summary.unreadable == 1
    assert str(UNREADABLE_TEXT) not in text and VICTIM_ADDRESS in text  # the victim's own
    assert text.count(VICTIM_ADDRESS) == 1  # not also as the offender's address
