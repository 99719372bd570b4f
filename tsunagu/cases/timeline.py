"""The case timeline: the pure rules that derive every state from dated events.

Nothing here touches the database. Pages, the API, the import and the reports
all call these functions on plain `Ev` tuples, so "as of" a date is a filter on
the events and never a second model (DESIGN §2, §4).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from tsunagu.cases.stages import STAGE_LABELS, STAGE_REFUSED, TRANSITIONS, allowed_events

# Event types of the interchange format (DESIGN §3), in the order that breaks ties
# between events of one date (DESIGN §4). Events of one date that this list does
# not order (two of one type, or a type outside it) keep their recorded order.
INTERCHANGE_TYPES: tuple[str, ...] = (
    "consultation",
    "warning",
    "prohibition_order",
    "emergency_order",
    "arrest",
    "assistance",
    "treatment_advised",
    "advice_accepted",
    "advice_rejected",
    "appointment_scheduled",
    "assessed_not_needed",
    "treatment_started",
    "treatment_completed",
    "treatment_halted",
    "recurrence",
)

# Every event type the timeline knows. The index is the `rank` stored with each event
# row so that the database reads a case's events close to timeline order; the
# order itself is `ordered` below.
EVENT_ORDER: tuple[str, ...] = (
    "consultation",
    "warning",
    "prohibition_order",
    "emergency_order",
    "arrest",
    "assistance",
    "condition_set",
    "condition_ended",
    "treatment_advised",
    "advice_undecided",
    "advice_accepted",
    "advice_rejected",
    "consent_police_to_clinic",
    "consent_police_to_clinic_withdrawn",
    "consent_clinic_to_police",
    "consent_clinic_to_police_withdrawn",
    "referral_sent",
    "referral_acknowledged",
    "appointment_scheduled",
    "assessed_not_needed",
    "treatment_started",
    "session_attended",
    "treatment_completed",
    "treatment_halted",
    "recurrence",
    "police_contact_requested",
    "followup_planned",
    "followup_done",
    "case_closed",
    "case_reopened",
    "correction",
    # Added after the rest so the ranks stored with older rows stay valid; the
    # order on one date is `ordered`'s (recorded order for a type not listed).
    "risk_assessed",
)
TYPE_RANK: dict[str, int] = {t: i for i, t in enumerate(EVENT_ORDER)}

MEASURES = (
    "consultation",
    "warning",
    "prohibition_order",
    "emergency_order",
    "arrest",
    "assistance",
)
RESPONSES = ("advice_accepted", "advice_rejected", "advice_undecided")
CLINIC_EVENTS = (
    "referral_acknowledged",
    "appointment_scheduled",
    "assessed_not_needed",
    "treatment_started",
    "session_attended",
    "treatment_completed",
    "treatment_halted",
)
# Events the clinic side reports to the police: hidden once that consent is withdrawn.
CLINIC_STATUS_EVENTS = CLINIC_EVENTS

REJECTION_REASONS = ("sees_no_need", "blames_victim", "cost", "time", "distrust", "other")
ARREST_KINDS = ("stalking", "order_violation", "other")
RECURRENCE_KINDS = ("same_victim", "new_victim")

# The leaves of the programme report's tree (DESIGN §4), and the branches above them.
LEAVES = ("completed", "continuing", "halted", "scheduled", "not_needed", "rejected", "undecided")
RECEIVED_LEAVES = ("completed", "continuing", "halted")
ACCEPTED_LEAVES = (*RECEIVED_LEAVES, "scheduled", "not_needed")
NOT_FINISHED_LEAVES = ("continuing", "halted")
# The evaluation's comparison groups (DESIGN §5): each leaf at the landmark falls in one.
GROUP_OF_LEAF = {
    "completed": "received",
    "continuing": "received",
    "halted": "received",
    "scheduled": "accepted_not_received",
    "not_needed": "accepted_not_received",
    "rejected": "rejected",
    "undecided": "undecided",
}
# The measures the annual statistics count (DESIGN §5), which the case list's
# "had a measure" filter knows too: the police measures but consultations, and advice.
COUNTED_MEASURES = (*(m for m in MEASURES if m != "consultation"), "treatment_advised")


# A structured risk assessment: its detail is the level code (tsunagu/risk).
RISK_ASSESSED = "risk_assessed"


class Ev(NamedTuple):
    """One dated event as plain data. `key` makes the order total (e.g. the row id)."""

    date: dt.date
    type: str
    detail: str = ""
    key: int = 0


_LISTED_RANK: dict[str, int] = {t: i for i, t in enumerate(INTERCHANGE_TYPES)}


def _record_key(ev: Ev) -> tuple[dt.date, int]:
    return (ev[0], ev[3])


def ordered(events: Iterable[Ev]) -> list[Ev]:
    """The events in timeline order (DESIGN §4).

    By date; on one date, in the order they were recorded (`key`: the row id, or
    the input order when the keys are equal), except that the events of the
    interchange's listed types take the places those types hold among them in
    the order of `INTERCHANGE_TYPES`. So `advice_rejected` follows
    `advice_accepted` of the same date whatever was recorded first, while a
    closure, a reopening and a second closure of one date stay in that order.
    """
    evs = list(events)
    listed = _LISTED_RANK
    if listed.keys() >= {ev[1] for ev in evs}:
        # Every type listed (what a report reads): one sort does it.
        evs.sort(key=lambda ev: (ev[0], listed[ev[1]], ev[3]))
        return evs
    evs.sort(key=_record_key)
    n = len(evs)
    start = 0
    while start < n:
        day = evs[start][0]
        end = start + 1
        while end < n and evs[end][0] == day:
            end += 1
        if end - start > 1:
            slots = [i for i in range(start, end) if evs[i][1] in listed]
            if len(slots) > 1:
                moved = sorted((evs[i] for i in slots), key=lambda ev: listed[ev[1]])
                for i, ev in zip(slots, moved, strict=True):
                    evs[i] = ev
        start = end
    return evs


# --- corrections -------------------------------------------------------------


def correction_detail(target: Ev, reason: str) -> str:
    """The detail of a correction event: the identity of the event it voids."""
    return json.dumps(
        {
            "type": target.type,
            "date": target.date.isoformat(),
            "detail": target.detail,
            "reason": reason,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def correction_target(detail: str) -> tuple[str, dt.date, str] | None:
    try:
        data = json.loads(detail)
        return (str(data["type"]), dt.date.fromisoformat(data["date"]), str(data.get("detail", "")))
    except (ValueError, KeyError, TypeError):
        return None


def effective(events: Iterable[Ev], as_of: dt.date | None = None) -> list[Ev]:
    """The events that count: dated on or before `as_of`, minus those corrected away.

    A correction states that an event was recorded by mistake, so it voids the
    event whatever the as-of date; the correction itself is kept on the timeline.
    """
    evs = list(events)
    voided = {
        target
        for ev in evs
        if ev.type == "correction" and (target := correction_target(ev.detail)) is not None
    }
    if voided:
        kept = [
            ev
            for ev in evs
            if (as_of is None or ev.date <= as_of)
            and ev.type != "correction"
            and (ev.type, ev.date, ev.detail) not in voided
        ]
    elif as_of is None:
        kept = [ev for ev in evs if ev.type != "correction"]
    else:
        kept = [ev for ev in evs if ev.date <= as_of and ev.type != "correction"]
    return ordered(kept)


def risk_levels(events: Iterable[Ev], as_of: dt.date | None = None) -> list[tuple[dt.date, str]]:
    """The risk levels assessed on a case up to `as_of`, in timeline order.

    Each `risk_assessed` event that counts (not corrected away) gives its date and
    level; the level "as of" a date is the last of them.
    """
    return [(ev.date, ev.detail) for ev in effective(events, as_of) if ev.type == RISK_ASSESSED]


def risk_level(events: Iterable[Ev], as_of: dt.date | None = None) -> tuple[dt.date, str] | None:
    """The latest assessed level on or before `as_of` and its date, or None."""
    levels = risk_levels(events, as_of)
    return levels[-1] if levels else None


# --- advice episodes and the report's classification ------------------------------


@dataclass
class Episode:
    """An advice episode: a `treatment_advised` event and the events that follow it
    up to the next advice (DESIGN §4)."""

    advised: Ev
    events: list[Ev] = field(default_factory=list)

    @property
    def advised_on(self) -> dt.date:
        return self.advised.date

    def types(self) -> set[str]:
        return {ev.type for ev in self.events}


def episodes(events: Iterable[Ev], as_of: dt.date | None = None) -> list[Episode]:
    """Split a case's effective events into advice episodes.

    Every event belongs to the latest advice at or before it in timeline order;
    events before the first advice belong to none.
    """
    result: list[Episode] = []
    for ev in effective(events, as_of):
        if ev.type == "treatment_advised":
            result.append(Episode(advised=ev))
        elif result:
            result[-1].events.append(ev)
    return result


@dataclass(frozen=True)
class Classification:
    """Where an advice episode falls in the programme report (DESIGN §4)."""

    leaf: str
    accepted: bool
    received: bool
    rejection_reason: str | None
    recurred: bool


_TREATMENT = frozenset(("treatment_started", "treatment_completed", "treatment_halted"))
_ANSWERS = frozenset(
    ("advice_accepted", "advice_rejected", "appointment_scheduled", "assessed_not_needed")
)
# The event types `classify` reads: other events never decide a leaf.
CLASSIFYING_TYPES: tuple[str, ...] = (
    "treatment_advised",
    *sorted(_ANSWERS, key=EVENT_ORDER.index),
    *sorted(_TREATMENT, key=EVENT_ORDER.index),
    "recurrence",
)
_TREATMENT_LEAF = {
    "treatment_started": "continuing",  # a restart after a halt continues
    "treatment_completed": "completed",
    "treatment_halted": "halted",
}


def classify(episode: Episode) -> Classification:
    """Put an episode in exactly one leaf of the report's tree (DESIGN §4).

    One pass over the episode's events in timeline order, remembering the latest
    treatment event, the latest answer (acceptance, rejection, scheduling or
    assessment), the latest rejection and whether a recurrence came after the
    advice date.
    """
    advised_on = episode.advised.date
    received = not_needed = recurred = False
    last_treatment = last_answer = ""
    last_rejection: Ev | None = None
    for ev in episode.events:
        kind = ev[1]
        if kind in _TREATMENT:
            last_treatment = kind
            received = received or kind == "treatment_started"
        elif kind in _ANSWERS:
            last_answer = kind
            if kind == "assessed_not_needed":
                not_needed = True
            elif kind == "advice_rejected":
                last_rejection = ev
        elif kind == "recurrence" and ev[0] > advised_on:
            recurred = True
    accepted = received or (last_answer != "" and last_answer != "advice_rejected")
    reason: str | None = None
    if received:
        leaf = _TREATMENT_LEAF[last_treatment]
    elif accepted:
        leaf = "not_needed" if not_needed else "scheduled"
    elif last_rejection is not None:
        leaf = "rejected"
        reason = last_rejection.detail if last_rejection.detail in REJECTION_REASONS else "other"
    else:
        leaf = "undecided"
    return Classification(leaf, accepted, received, reason, recurred)


# --- referral stage -------------------------------------------------------------


def referral_stage(episode: Episode | None) -> str:
    """The stage of the episode's referral, from its events."""
    stage = "none"
    if episode is None:
        return stage
    for ev in episode.events:
        move = TRANSITIONS.get(ev.type)
        if move is not None:
            stage = move[0]
    return stage


# --- consents -------------------------------------------------------------------


def consent(events: Iterable[Ev], direction: str, as_of: dt.date | None = None) -> bool:
    """Whether consent in a direction ("police_to_clinic" or "clinic_to_police") holds."""
    given = f"consent_{direction}"
    withdrawn = f"{given}_withdrawn"
    state = False
    for ev in effective(events, as_of):
        if ev.type == given:
            state = True
        elif ev.type == withdrawn:
            state = False
    return state


def consent_withdrawn_on(events: Iterable[Ev], direction: str) -> dt.date | None:
    """The date the latest withdrawal took effect, if consent is withdrawn now."""
    given = f"consent_{direction}"
    withdrawn = f"{given}_withdrawn"
    day: dt.date | None = None
    for ev in effective(events):
        if ev.type == given:
            day = None
        elif ev.type == withdrawn:
            day = ev.date
    return day


def _police_hidden_flags(events: Sequence[Ev]) -> list[tuple[Ev, bool]]:
    """Every event in timeline order, flagged when the police may not see it."""
    evs = ordered(events)
    kept = {(ev.type, ev.date, ev.detail) for ev in effective(evs)}
    given, withdrawn = "consent_clinic_to_police", "consent_clinic_to_police_withdrawn"
    is_withdrawn = False
    flags: list[tuple[Ev, bool]] = []
    hidden_ids: set[tuple[str, dt.date, str]] = set()
    for ev in evs:
        if ev.type in (given, withdrawn) and (ev.type, ev.date, ev.detail) in kept:
            is_withdrawn = ev.type == withdrawn
        hide = is_withdrawn and ev.type in CLINIC_STATUS_EVENTS
        if hide:
            hidden_ids.add((ev.type, ev.date, ev.detail))
        flags.append((ev, hide))
    # A correction of a hidden event would name it: hide the correction too.
    return [
        (ev, hide or (ev.type == "correction" and correction_target(ev.detail) in hidden_ids))
        for ev, hide in flags
    ]


def police_view(events: Iterable[Ev]) -> list[Ev]:
    """The effective events the police may see (DESIGN §2, consent).

    While the offender's clinic-to-police consent stands withdrawn, the clinic's
    status events are hidden: the police see the withdrawal and nothing the
    clinic reported from that date until consent is given again.
    """
    evs = list(events)
    hidden = {ev for ev, hide in _police_hidden_flags(evs) if hide}
    return [ev for ev in effective(evs) if ev not in hidden]


def hidden_from_police(events: Iterable[Ev]) -> set[int]:
    """Keys of the events, voided ones and their corrections included, that the
    police may not see (for a timeline that lists every row)."""
    return {ev.key for ev, hide in _police_hidden_flags(list(events)) if hide}


# --- the case as a whole --------------------------------------------------------------


@dataclass(frozen=True)
class CaseState:
    """What the timeline says about a case at a date."""

    is_open: bool
    opened_on: dt.date | None
    latest_measure: str
    latest_measure_on: dt.date | None
    episodes: tuple[Episode, ...]
    # The date of the closing that holds (None while the case is open).
    closed_on: dt.date | None = None

    @property
    def current_episode(self) -> Episode | None:
        return self.episodes[-1] if self.episodes else None

    @property
    def referral_stage(self) -> str:
        return referral_stage(self.current_episode)


def case_state(events: Iterable[Ev], as_of: dt.date | None = None) -> CaseState:
    evs = effective(events, as_of)
    is_open = bool(evs)
    latest_measure, latest_on = "", None
    closed_on: dt.date | None = None
    for ev in evs:
        if ev.type == "case_closed":
            is_open, closed_on = False, ev.date
        elif ev.type == "case_reopened":
            is_open, closed_on = True, None
        if ev.type in MEASURES:
            latest_measure, latest_on = ev.type, ev.date
    eps: list[Episode] = []
    for ev in evs:
        if ev.type == "treatment_advised":
            eps.append(Episode(advised=ev))
        elif eps:
            eps[-1].events.append(ev)
    return CaseState(
        is_open=is_open,
        opened_on=evs[0].date if evs else None,
        latest_measure=latest_measure,
        latest_measure_on=latest_on,
        episodes=tuple(eps),
        closed_on=None if is_open else closed_on,
    )


def treatment_phase(events: Iterable[Ev], day: dt.date) -> str:
    """The phase the offender was in on a date: an episode's leaf, or "none".

    Used to relate a recurrence to treatment (DESIGN §2): events of that same
    date are included except the recurrence itself.
    """
    evs = [ev for ev in effective(events, day) if ev.type != "recurrence"]
    eps = episodes(evs)
    if not eps:
        return "none"
    return classify(eps[-1]).leaf


# --- validation of a new event ----------------------------------------------------


class Refusal(ValueError):
    """A write refused for a reason the user can act on.

    `message` is an English msgid (this module is pure and never translates);
    `params` are put into it, each itself a msgid (a stage label, for example);
    `field` names the input; `code` names the rule, so callers branch on the code,
    never on the text. `cases.refusals` turns one into a form error or a 422.
    """

    def __init__(
        self,
        message: str,
        field: str | None = "type",
        code: str = "refused",
        params: dict[str, str] | None = None,
    ) -> None:
        self.msgid = message
        self.params = params or {}
        self.message = message % self.params if self.params else message
        super().__init__(self.message)
        self.field = field
        self.code = code


def check_new_event(events: Sequence[Ev], new: Ev, today: dt.date) -> None:
    """Refuse an event the timeline, as derived at its date, does not allow.

    Raises `Refusal` with a message meant for the user. The messages are English
    msgids; the caller translates them.
    """
    if new.type not in TYPE_RANK:
        raise Refusal("Unknown event type.")
    if new.date > today:
        raise Refusal("The date cannot be in the future.", field="date")
    current = effective(events)
    if any((ev.type, ev.date, ev.detail) == (new.type, new.date, new.detail) for ev in current):
        raise Refusal("This event is already on the timeline.")
    if new.type == "correction":
        return
    if current and new.date < current[0].date:
        raise Refusal("The date is before the case was opened.", field="date")
    state = case_state(current, as_of=new.date)
    # A new event of a date goes after the events recorded for that date: one that
    # would change nothing in the derived state is refused.
    if new.type == "case_closed" and not state.is_open:
        raise Refusal("The case is already closed on that date.", field="date")
    if not state.is_open and new.type != "case_reopened":
        raise Refusal("The case is closed on that date; reopen it first.", field="date")
    if new.type == "case_reopened" and state.is_open:
        raise Refusal("The case is already open.")
    if new.type == "arrest" and new.detail not in ARREST_KINDS:
        raise Refusal("Choose the kind of arrest.", field="detail")
    if new.type == "advice_rejected" and new.detail not in REJECTION_REASONS:
        raise Refusal("Choose the reason for the rejection.", field="detail")
    if new.type == RISK_ASSESSED and not new.detail:
        raise Refusal("Choose the risk level.", field="detail")
    if new.type == "recurrence" and new.detail not in RECURRENCE_KINDS:
        raise Refusal(
            "Say whether the recurrence is against the same victim or a new one.", field="detail"
        )
    if new.type.startswith("consent_"):
        direction = new.type.removeprefix("consent_").removesuffix("_withdrawn")
        holds = consent(current, direction, new.date)
        if new.type.endswith("_withdrawn") and not holds:
            raise Refusal("There is no such consent on file to withdraw.")
        if not new.type.endswith("_withdrawn") and holds:
            raise Refusal("This consent is already on file.")
    episode = state.current_episode
    if new.type in RESPONSES or new.type in TRANSITIONS:
        if episode is None:
            raise Refusal("There is no treatment advice on or before that date.", field="date")
    if new.type == "advice_undecided" and episode is not None:
        if any(ev.type in ("advice_accepted", "advice_rejected") for ev in episode.events):
            raise Refusal("The offender has already answered; record accepted or rejected.")
    if new.type in TRANSITIONS:
        stage = referral_stage(episode)
        if new.type not in allowed_events(stage):
            raise Refusal(
                "Not possible at the referral's stage on that date (%(stage)s).",
                code=STAGE_REFUSED,
                params={"stage": STAGE_LABELS[stage]},
            )
        if new.type == "referral_sent":
            assert episode is not None
            if classify(episode).leaf in ("rejected", "undecided"):
                raise Refusal("The offender has not accepted the advice.")
            if not consent(current, "police_to_clinic", new.date):
                raise Refusal("There is no police-to-clinic consent on file.")
