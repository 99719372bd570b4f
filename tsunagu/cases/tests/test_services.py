from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from tsunagu.cases import services
from tsunagu.cases.models import Person
from tsunagu.core.models import AuditEvent
from tsunagu.testing.builders import VICTIM_ADDRESS


def test_open_case_writes_consultation_and_audit(make_case, officer_tokyo):
    case = make_case(officer_tokyo)
    assert [e.type for e in case.events.all()] == ["consultation"]
    assert case.is_open and case.latest_measure == "consultation"
    assert AuditEvent.objects.filter(action="case.open", object_id=str(case.pk)).exists()


def test_victim_address_is_encrypted_at_rest(make_case, officer_tokyo):
    case = make_case(officer_tokyo)
    victim = case.people.get(role="victim")
    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM cases_person WHERE id = %s", [victim.pk])
        (raw,) = cursor.fetchone()
    assert VICTIM_ADDRESS not in raw and raw.startswith("v2:")
    assert Person.objects.get(pk=victim.pk).address == VICTIM_ADDRESS


def test_event_forbidden_by_state_is_refused_and_nothing_written(make_case, officer_tokyo):
    case = make_case(officer_tokyo)
    with pytest.raises(services.ServiceError) as err:
        services.event_record(
            actor=officer_tokyo, case=case, date=dt.date(2016, 6, 1), type="treatment_started"
        )
    assert err.value.field == "date"
    assert case.events.count() == 1


def test_audit_log_refuses_update_and_delete(make_case, officer_tokyo):
    make_case(officer_tokyo)
    event = AuditEvent.objects.first()
    assert event is not None
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


def test_nul_characters_are_refused_before_the_database(make_case, officer_tokyo):
    case = make_case(officer_tokyo)
    with pytest.raises(services.ServiceError) as err:
        services.event_record(
            actor=officer_tokyo, case=case, date=dt.date(2016, 6, 1), type="warning", detail="\x00"
        )
    assert err.value.field == "detail"
    with pytest.raises(services.ServiceError) as err:
        make_case(officer_tokyo, ref="A\x00")
    assert err.value.field == "ref"
