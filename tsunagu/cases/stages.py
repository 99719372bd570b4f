"""The referral's state machine: its stages, their labels, the events that move it.

Pure, like `timeline`, which derives a referral's stage with it and checks each
new event against it. Everything that offers, accepts, labels, filters or counts
a step derives from these tables: the clinician's actions and the police's
"refer again" (`treatment.panels`), the API, the list filters, `is_open`, the
stage labels and the stage cache of `treatment.models.Referral`.
"""

from __future__ import annotations


def gettext_noop(message: str) -> str:
    """Marks a label for the message catalogue (makemessages finds it); the pages
    translate it. This module stays pure: it never translates."""
    return message


# The referral's state machine: its stages (with their labels, English msgids that
# the pages translate) and, below, the events that move it and the stages each may
# follow. Everything that offers, accepts, labels, filters or counts a step derives
# from these tables.
STAGE_LABELS: dict[str, str] = {
    "none": gettext_noop("Not referred"),
    "sent": gettext_noop("Sent, awaiting the clinic's answer"),
    "acknowledged": gettext_noop("Acknowledged"),
    "scheduled": gettext_noop("Appointment scheduled"),
    "assessed_not_needed": gettext_noop("Assessed: no treatment needed"),
    "in_treatment": gettext_noop("In treatment"),
    "completed": gettext_noop("Treatment completed"),
    "halted": gettext_noop("Treatment halted"),
}
# What the police see instead of the stage while the clinic-to-police consent is withdrawn.
STAGE_HIDDEN = "consent_withdrawn"
HIDDEN_LABEL = gettext_noop("Consent withdrawn")
STAGE_REFUSED = "referral_stage"

# Each event that moves a referral: the stage it leads to, and the stages it may
# follow. An imported history may start at `scheduled`, so scheduling is also
# allowed with no referral on record.
TRANSITIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "referral_sent": ("sent", ("none", "halted", "assessed_not_needed", "completed")),
    "referral_acknowledged": ("acknowledged", ("sent",)),
    "appointment_scheduled": (
        "scheduled",
        ("none", "sent", "acknowledged", "scheduled", "halted"),
    ),
    "assessed_not_needed": ("assessed_not_needed", ("scheduled",)),
    "treatment_started": ("in_treatment", ("scheduled", "halted")),
    "session_attended": ("in_treatment", ("in_treatment",)),
    "treatment_completed": ("completed", ("in_treatment",)),
    "treatment_halted": ("halted", ("in_treatment",)),
}
# Stages at which the clinic still has something to do.
OPEN_STAGES = ("sent", "acknowledged", "scheduled", "in_treatment")


def allowed_events(stage: str) -> tuple[str, ...]:
    """The events that may follow a referral at this stage, in table order."""
    return tuple(t for t, (_to, after) in TRANSITIONS.items() if stage in after)


def stage_is_open(stage: str) -> bool:
    return stage in OPEN_STAGES
