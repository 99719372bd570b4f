"""The user-facing messages raised by the timeline and the case services.

`timeline.check_new_event` and `services` raise English msgids (they are pure or
shared code and must not depend on the active language). They are listed here in
`gettext_noop` so that makemessages collects them, and `translate` turns one
into the user's language where it is displayed.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext, gettext_noop

MESSAGES = (
    # timeline.check_new_event
    gettext_noop("Unknown event type."),
    gettext_noop("The date cannot be in the future."),
    gettext_noop("This event is already on the timeline."),
    gettext_noop("The date is before the case was opened."),
    gettext_noop("The case is closed on that date; reopen it first."),
    gettext_noop("The case is already open."),
    gettext_noop("Choose the kind of arrest."),
    gettext_noop("Choose the reason for the rejection."),
    gettext_noop("Say whether the recurrence is against the same victim or a new one."),
    gettext_noop("There is no treatment advice on or before that date."),
    gettext_noop("The offender has already answered; record accepted or rejected."),
    gettext_noop("The offender has not accepted the advice."),
    gettext_noop("There is no police-to-clinic consent on file."),
    gettext_noop("There is no such consent on file to withdraw."),
    gettext_noop("This consent is already on file."),
    # services
    gettext_noop("Unknown role."),
    gettext_noop("Unknown sex."),
    gettext_noop("Age must be between 0 and 120."),
    gettext_noop("You can open cases only in your own prefecture."),
    gettext_noop("The station is not in this prefecture."),
    gettext_noop("Unknown relationship."),
    gettext_noop("A case reference is required."),
    gettext_noop("This case reference is already used in the prefecture."),
    gettext_noop("Give the reason for the correction."),
    gettext_noop("A correction cannot itself be corrected."),
    gettext_noop("Give the reason for revealing (at least 5 characters)."),
    gettext_noop("You may not reveal this person's details."),
    gettext_noop("This measure did not exist on that date."),
    gettext_noop("This event cannot be recorded here."),
    gettext_noop("This event has already been corrected."),
    gettext_noop("Text cannot contain NUL characters."),
)

# The one message built with a value: the referral stage is put back in after translation.
_STAGE = re.compile(r"^Not possible at the referral's stage on that date \((?P<stage>[a-z_]+)\)\.$")
STAGE_MESSAGE = gettext_noop("Not possible at the referral's stage on that date (%(stage)s).")
STAGE_LABELS = {
    "none": gettext_noop("no referral"),
    "sent": gettext_noop("sent"),
    "acknowledged": gettext_noop("acknowledged"),
    "scheduled": gettext_noop("scheduled"),
    "assessed_not_needed": gettext_noop("assessed not needed"),
    "in_treatment": gettext_noop("in treatment"),
    "completed": gettext_noop("completed"),
    "halted": gettext_noop("halted"),
}


def translate(message: str) -> str:
    """A timeline or service message in the active language (as is if unknown)."""
    match = _STAGE.match(message)
    if match:
        stage = match.group("stage")
        return gettext(STAGE_MESSAGE) % {"stage": gettext(STAGE_LABELS.get(stage, stage))}
    return gettext(message)
