"""The user-facing messages raised by the timeline and the case services.

`timeline.check_new_event` and `services` raise English msgids (they are pure or
shared code and must not depend on the active language). They are listed here in
`gettext_noop` so that makemessages collects them; `cases.refusals` turns one
into the user's language where it is displayed.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

MESSAGES = (
    # timeline.check_new_event
    gettext_noop("Unknown event type."),
    gettext_noop("The date cannot be in the future."),
    gettext_noop("This event is already on the timeline."),
    gettext_noop("The date is before the case was opened."),
    gettext_noop("The case is closed on that date; reopen it first."),
    gettext_noop("The case is already open."),
    gettext_noop("The case is already closed on that date."),
    gettext_noop("Choose the kind of arrest."),
    gettext_noop("Choose the reason for the rejection."),
    gettext_noop("Say whether the recurrence is against the same victim or a new one."),
    gettext_noop("There is no treatment advice on or before that date."),
    gettext_noop("The offender has already answered; record accepted or rejected."),
    gettext_noop("The offender has not accepted the advice."),
    gettext_noop("There is no police-to-clinic consent on file."),
    gettext_noop("There is no such consent on file to withdraw."),
    gettext_noop("This consent is already on file."),
    gettext_noop("Not possible at the referral's stage on that date (%(stage)s)."),
    gettext_noop("Choose the risk level."),
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
