"""Display labels (English msgids, Japanese translations) for timeline vocabulary.

One place for the names of every event type of `timeline.EVENT_ORDER` and of the
coded details (arrest kinds, rejection reasons, recurrence kinds), so every page,
export and report says the same thing. Import from here; never re-spell them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tsunagu.cases import timeline

EVENT_LABELS: dict[str, Promise] = {
    "consultation": _("Consultation"),
    "warning": _("Warning"),
    "prohibition_order": _("Prohibition order"),
    "emergency_order": _("Emergency prohibition order"),
    "arrest": _("Arrest"),
    "assistance": _("Assistance"),
    "condition_set": _("Condition set"),
    "condition_ended": _("Condition ended"),
    "treatment_advised": _("Treatment advice"),
    "advice_undecided": _("Advice: undecided"),
    "advice_accepted": _("Advice accepted"),
    "advice_rejected": _("Advice rejected"),
    "consent_police_to_clinic": _("Consent: police may inform the clinic"),
    "consent_police_to_clinic_withdrawn": _("Consent withdrawn: police to clinic"),
    "consent_clinic_to_police": _("Consent: clinic may inform the police"),
    "consent_clinic_to_police_withdrawn": _("Consent withdrawn: clinic to police"),
    "referral_sent": _("Referral sent"),
    "referral_acknowledged": _("Referral acknowledged"),
    "appointment_scheduled": _("Appointment scheduled"),
    "assessed_not_needed": _("Assessed not needed"),
    "treatment_started": _("Treatment started"),
    "session_attended": _("Session attended"),
    "treatment_completed": _("Treatment completed"),
    "treatment_halted": _("Treatment halted"),
    "recurrence": _("Recurrence"),
    "police_contact_requested": _("Police contact requested"),
    "followup_planned": _("Follow-up planned"),
    "followup_done": _("Follow-up done"),
    "case_closed": _("Case closed"),
    "case_reopened": _("Case reopened"),
    "correction": _("Correction"),
    "risk_assessed": _("Risk assessed"),
}

ARREST_KIND_LABELS: dict[str, Promise] = {
    "stalking": _("Stalking offence"),
    "order_violation": _("Prohibition-order violation"),
    "other": _("Other offence"),
}

REJECTION_REASON_LABELS: dict[str, Promise] = {
    "sees_no_need": _("Sees no need"),
    "blames_victim": _("Blames the victim"),
    "cost": _("Cost"),
    "time": _("No time"),
    "distrust": _("Distrust"),
    "other": _("Other"),
}

RECURRENCE_KIND_LABELS: dict[str, Promise] = {
    "same_victim": _("Against the same victim"),
    "new_victim": _("Against a new victim"),
}

LEAF_LABELS: dict[str, Promise] = {
    "completed": _("Completed"),
    "continuing": _("Continuing"),
    "halted": _("Halted"),
    "scheduled": _("Scheduled"),
    "not_needed": _("Assessed not needed"),
    "rejected": _("Rejected"),
    "undecided": _("Undecided"),
}

SEX_LABELS: dict[str, Promise] = {
    "male": _("Male"),
    "female": _("Female"),
    "other": _("Other"),
    "unknown": _("Unknown"),
}

# Details that are codes, by event type: shown translated instead of as written.
_CODED_DETAILS: dict[str, dict[str, Promise]] = {
    "arrest": ARREST_KIND_LABELS,
    "advice_rejected": REJECTION_REASON_LABELS,
    "recurrence": RECURRENCE_KIND_LABELS,
}

assert set(EVENT_LABELS) == set(timeline.EVENT_ORDER), "a timeline event type has no label"
assert set(ARREST_KIND_LABELS) == set(timeline.ARREST_KINDS)
assert set(REJECTION_REASON_LABELS) == set(timeline.REJECTION_REASONS)
assert set(RECURRENCE_KIND_LABELS) == set(timeline.RECURRENCE_KINDS)
assert set(LEAF_LABELS) == set(timeline.LEAVES)


def event_label(event_type: str) -> str:
    """The translated name of an event type (the raw type if unknown)."""
    label = EVENT_LABELS.get(event_type)
    return str(label) if label is not None else event_type


# Readers of the details the apps built on the registry write (the treatment loop's
# advice method, appointment, condition…), by event type: each app registers its
# own when it starts (`AppConfig.ready`), so this module never imports it.
DETAIL_READERS: dict[str, Callable[[str], str]] = {}

# Readers that need the database (a clinic's name from its code, a follow-up's
# outcome): each gets the events of one case and answers {event id: detail} with a
# query or two, whatever the number of events. Registered like DETAIL_READERS.
CASE_DETAIL_READERS: list[Callable[[Sequence[Any]], dict[int, str]]] = []


def case_details(events: Sequence[Any]) -> dict[int, str]:
    """The details the database readers give for one case's events."""
    found: dict[int, str] = {}
    for reader in CASE_DETAIL_READERS:
        found.update(reader(events))
    return found


def detail_label(event_type: str, detail: str) -> str:
    """The translated detail of a coded event (an arrest kind…), else the detail as is.

    Corrections are not handled here: their detail is structured, see
    `correction_summary`.
    """
    reader = DETAIL_READERS.get(event_type)
    if reader is not None:
        return reader(detail)
    coded = _CODED_DETAILS.get(event_type)
    if coded is not None and detail in coded:
        return str(coded[detail])
    return detail


def correction_summary(detail: str) -> str:
    """ "Warning of 2016-05-10 voided: reason" for a correction event's detail."""
    target = timeline.correction_target(detail)
    if target is None:
        return detail
    event_type, date, _detail = target
    try:
        reason = str(json.loads(detail).get("reason", ""))
    except ValueError:
        reason = ""
    return gettext("%(event)s of %(date)s voided: %(reason)s") % {
        "event": event_label(event_type),
        "date": date.isoformat(),
        "reason": reason,
    }


def choices(labels: dict[str, Promise]) -> list[tuple[str, Promise]]:
    """Form choices in the order of the mapping."""
    return list(labels.items())
