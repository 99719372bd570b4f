"""How the audit log names the registry's objects (`core.audit_actions.TARGET_NAMERS`):
a case by its reference, an event by its label and date, a person by their role
only (never a name: the log's page shows no personal data)."""

from __future__ import annotations

from collections.abc import Collection

from tsunagu.cases import labels
from tsunagu.cases.models import Case, Event, Person


def _pks(ids: Collection[str]) -> list[int]:
    return [int(i) for i in ids if str(i).isdigit()]


def case_refs(ids: Collection[str]) -> dict[str, str]:
    return {
        str(pk): ref for pk, ref in Case.objects.filter(pk__in=_pks(ids)).values_list("pk", "ref")
    }


def event_names(ids: Collection[str]) -> dict[str, str]:
    rows = Event.objects.filter(pk__in=_pks(ids)).values_list("pk", "type", "date")
    return {str(pk): f"{labels.event_label(kind)}（{day:%Y-%m-%d}）" for pk, kind, day in rows}


def person_names(ids: Collection[str]) -> dict[str, str]:
    roles = dict(Person.Role.choices)
    rows = Person.objects.filter(pk__in=_pks(ids)).values_list("pk", "role")
    return {str(pk): str(roles.get(role, role)) for pk, role in rows}


NAMERS = {"case": case_refs, "event": event_names, "person": person_names}
