"""The user-facing messages raised by the risk services and rules (English msgids),
listed for makemessages; `cases.refusals` translates one where it is shown."""

from __future__ import annotations

from django.utils.translation import gettext_noop

MESSAGES = (
    gettext_noop("This item is not in the instrument."),
    gettext_noop("This item must be answered."),
    gettext_noop("This rating is not on the item's scale."),
    gettext_noop("This instrument computes the level; do not enter one."),
    gettext_noop("Choose the risk level."),
    gettext_noop("This level is not one of the instrument's levels."),
    gettext_noop("Give the rationale for the level."),
    gettext_noop("The date cannot be in the future."),
    gettext_noop("The review date cannot be before the assessment."),
    gettext_noop("Text cannot contain NUL characters."),
    gettext_noop("This instrument has no such scenario field."),
    gettext_noop("This instrument has no management plan."),
    gettext_noop("Describe the action."),
    gettext_noop("Name who owns the action."),
    gettext_noop("Give the action's due date."),
    gettext_noop("The due date is before the assessment."),
    gettext_noop("You may not assess this case."),
    gettext_noop("You may not change this case."),
    gettext_noop("No such instrument."),
    gettext_noop("The review date cannot be in the past."),
    gettext_noop("This assessment was corrected; it has no review."),
    gettext_noop("The case already has an assessment at this level on this date."),
    gettext_noop("This action was already marked done on %(date)s."),
)
