"""Pure rules of the treatment loop, over the timeline's plain `Ev` tuples.

They build on `tsunagu.cases.timeline` (episodes, stages, consents, phases) and
add what only the loop needs: what the police may see of the clinic's events,
one referral's share of an episode, active conditions, proposed follow-ups.
Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tsunagu.cases import stages, timeline
from tsunagu.cases.timeline import Ev

CLINIC_TO_POLICE = "clinic_to_police"
POLICE_TO_CLINIC = "police_to_clinic"

# What a clinician may be told about a police request: that there is one, never why.
# Only while the police-to-clinic consent holds on the request's date (`contact_requests`).
CONTACT_REQUEST_TYPES = ("recurrence", "police_contact_requested")

CONDITION_KINDS = ("no_contact", "prohibition_order", "probation")
# A new contact report: a sign that the offender approached the victim again.
CONTACT_REPORT_TYPES = ("recurrence", "consultation")

# Follow-up triggers (FollowUpPolicy.Trigger) and the events that start them.
FOLLOWUP_TRIGGERS: dict[str, tuple[str, ...]] = {
    "warning": ("warning",),
    "order": ("prohibition_order", "emergency_order"),
    "treatment": (
        "treatment_started",
        "treatment_completed",
        "treatment_halted",
        "assessed_not_needed",
    ),
}


# What the police may see is a rule of the whole timeline (the case page uses it too).
police_view = timeline.police_view
hidden_from_police = timeline.hidden_from_police


def episode_at(events: Iterable[Ev], advised_on: dt.date) -> timeline.Episode | None:
    """The advice episode that starts on `advised_on` (the first of that date)."""
    for episode in timeline.episodes(events):
        if episode.advised_on == advised_on:
            return episode
    return None


def referral_events(episode: timeline.Episode | None, sent_on: dt.date, clinic: str) -> list[Ev]:
    """One referral's share of its episode: from its `referral_sent` to the next one."""
    if episode is None:
        return []
    segment: list[Ev] = []
    inside = False
    for ev in episode.events:
        if ev.type == "referral_sent":
            if inside:
                break
            inside = ev.date == sent_on and ev.detail == clinic
        if inside:
            segment.append(ev)
    return segment


@dataclass(frozen=True)
class ReferralView:
    """A referral as derived from its events (those shown to the viewer)."""

    stage: str
    events: tuple[Ev, ...]
    acknowledged_on: dt.date | None
    appointment_on: dt.date | None
    contact_requested_on: dt.date | None
    is_current: bool

    @property
    def is_open(self) -> bool:
        return stages.stage_is_open(self.stage)


def referral_view(
    events: Sequence[Ev], advised_on: dt.date, sent_on: dt.date, clinic: str
) -> ReferralView:
    """Stage, dates and flags of one referral from a case's events."""
    episode = episode_at(events, advised_on)
    segment = referral_events(episode, sent_on, clinic)
    stage = timeline.referral_stage(
        timeline.Episode(advised=episode.advised, events=segment) if episode else None
    )
    acknowledged = next((ev.date for ev in segment if ev.type == "referral_acknowledged"), None)
    appointment: dt.date | None = None
    for ev in segment:
        if ev.type == "appointment_scheduled":
            appointment = parse_appointment(ev.detail) or ev.date
    requested = contact_requests(events, segment)
    eps = timeline.episodes(events)
    current = bool(eps) and eps[-1].advised_on == advised_on
    if current and episode is not None:
        later = [ev for ev in episode.events if ev.type == "referral_sent" and ev.date >= sent_on]
        current = bool(later) and (later[-1].date, later[-1].detail) == (sent_on, clinic)
    return ReferralView(
        stage=stage if segment else "none",
        events=tuple(segment),
        acknowledged_on=acknowledged,
        appointment_on=appointment,
        contact_requested_on=requested[-1] if requested else None,
        is_current=current,
    )


def police_stage(
    events: Sequence[Ev], advised_on: dt.date, sent_on: dt.date, clinic: str
) -> tuple[str, ReferralView]:
    """The referral as the police see it: "consent_withdrawn" while the
    clinic-to-police consent stands withdrawn, else the stage from the events they
    may see (`police_view`), and that view."""
    view = referral_view(police_view(events), advised_on, sent_on, clinic)
    if timeline.consent_withdrawn_on(events, CLINIC_TO_POLICE) is not None:
        return stages.STAGE_HIDDEN, view
    return view.stage, view


def referral_stages(
    events: Sequence[Ev], advised_on: dt.date, sent_on: dt.date, clinic: str
) -> tuple[str, str, bool]:
    """What `Referral` caches: the stage, the stage shown to the police, current or not."""
    view = referral_view(events, advised_on, sent_on, clinic)
    shown, _police = police_stage(events, advised_on, sent_on, clinic)
    return view.stage, shown, view.is_current


def contact_requests(events: Sequence[Ev], segment: Iterable[Ev]) -> list[dt.date]:
    """Dates of the segment's requests that may reach the clinic.

    A recurrence or a police request tells the clinic something about the police
    file: it counts only if the police-to-clinic consent holds on its date, so
    nothing dated while that consent stands withdrawn (or before it was given)
    reaches the clinic (DESIGN §2: a withdrawal stops the flow from that date).
    """
    return [
        ev.date
        for ev in segment
        if ev.type in CONTACT_REQUEST_TYPES and timeline.consent(events, POLICE_TO_CLINIC, ev.date)
    ]


def appointment_detail(clinic: str, day: dt.date | None) -> str:
    """The detail of `appointment_scheduled`: "clinic code|appointment date"."""
    return f"{clinic}|{day.isoformat()}" if day else clinic


def parse_appointment(detail: str) -> dt.date | None:
    _code, sep, rest = detail.partition("|")
    if not sep:
        return None
    try:
        return dt.date.fromisoformat(rest)
    except ValueError:
        return None


# --- conditions -----------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A condition on the offender: kind, start, expiry (None: until ended)."""

    kind: str
    starts_on: dt.date
    expires_on: dt.date | None
    ended_on: dt.date | None

    def active_on(self, day: dt.date) -> bool:
        if day < self.starts_on:
            return False
        if self.ended_on is not None and day >= self.ended_on:
            return False
        return self.expires_on is None or day <= self.expires_on


def condition_detail(kind: str, expires_on: dt.date | None) -> str:
    """The detail of `condition_set`: "kind|expiry" (expiry may be empty)."""
    return f"{kind}|{expires_on.isoformat() if expires_on else ''}"


def parse_condition(detail: str) -> tuple[str, dt.date | None]:
    kind, _sep, rest = detail.partition("|")
    try:
        expiry = dt.date.fromisoformat(rest) if rest else None
    except ValueError:
        expiry = None
    return kind, expiry


def conditions(events: Iterable[Ev]) -> list[Condition]:
    """The conditions set on a case, each ended by a later `condition_ended` of its kind."""
    result: list[Condition] = []
    for ev in timeline.effective(events):
        if ev.type == "condition_set":
            kind, expiry = parse_condition(ev.detail)
            result.append(Condition(kind, ev.date, expiry, None))
        elif ev.type == "condition_ended":
            kind = parse_condition(ev.detail)[0]
            for i in range(len(result) - 1, -1, -1):
                cond = result[i]
                if cond.kind == kind and cond.ended_on is None and cond.starts_on <= ev.date:
                    result[i] = Condition(cond.kind, cond.starts_on, cond.expires_on, ev.date)
                    break
    return result


def condition_breaches(events: Iterable[Ev]) -> list[tuple[Ev, Condition]]:
    """New contact reports dated while a condition was active (after it was set)."""
    evs = timeline.effective(events)
    conds = conditions(evs)
    found: list[tuple[Ev, Condition]] = []
    for ev in evs:
        if ev.type not in CONTACT_REPORT_TYPES:
            continue
        for cond in conds:
            if cond.active_on(ev.date) and ev.date > cond.starts_on:
                found.append((ev, cond))
                break
    return found


# --- follow-ups -------------------------------------------------------------------


def parse_days(text: str) -> list[int]:
    """ "30, 90" → [30, 90]; raises ValueError on anything but whole days 1–730."""
    days: list[int] = []
    for part in text.replace("、", ",").split(","):
        part = part.strip()
        if not part:
            continue
        value = int(part)
        if not 1 <= value <= 730:
            raise ValueError(part)
        days.append(value)
    return sorted(set(days))


@dataclass(frozen=True)
class Proposal:
    """A follow-up the system proposes: after which event, how long after, due when."""

    source_type: str
    source_date: dt.date
    offset_days: int
    due_on: dt.date


def followup_proposals(
    events: Iterable[Ev],
    intervals: dict[str, list[int]],
    planned: Iterable[tuple[str, dt.date, int | None]],
) -> list[Proposal]:
    """Follow-ups to propose after the latest event of each trigger.

    `planned` holds (source type, source date, offset) of follow-ups already
    planned; a proposal is dropped once one with the same source and offset exists.
    """
    done = {(t, d, o) for t, d, o in planned}
    evs = timeline.effective(events)
    result: list[Proposal] = []
    for trigger, types in FOLLOWUP_TRIGGERS.items():
        latest = [ev for ev in evs if ev.type in types]
        if not latest:
            continue
        source = latest[-1]
        for offset in intervals.get(trigger, []):
            if (source.type, source.date, offset) in done:
                continue
            due = source.date + dt.timedelta(days=offset)
            result.append(Proposal(source.type, source.date, offset, due))
    return sorted(result, key=lambda p: (p.due_on, p.source_type))


def followup_detail(source_type: str, due_on: dt.date) -> str:
    return f"{source_type}|{due_on.isoformat()}"


def parse_followup(detail: str) -> tuple[str, dt.date | None]:
    """(the event type it follows, the due date) from a follow-up event's detail."""
    return parse_condition(detail)  # the same "code|date" shape


# --- recurrence -------------------------------------------------------------------


def recurrences_with_phase(events: Sequence[Ev]) -> list[tuple[Ev, str]]:
    """Each recurrence with the treatment phase the offender was in on its date."""
    return [
        (ev, timeline.treatment_phase(events, ev.date))
        for ev in timeline.effective(events)
        if ev.type == "recurrence"
    ]
