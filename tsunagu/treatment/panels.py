"""What the treatment loop adds to pages owned by the case registry, and the
derived rows its own lists share.

The officer's home page and the case page include the templates
"treatment/_officer_home.html" and "treatment/_case_panel.html" with the
context these functions return. Everything the police are shown passes through
`derive.police_view`, so after a clinic-to-police consent withdrawal they see
the withdrawal and none of the clinic's later status.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from tsunagu.cases import stages, timeline
from tsunagu.cases.models import Case, Person, case_scope
from tsunagu.core import paging
from tsunagu.core.access import AuthedRequest
from tsunagu.core.models import User
from tsunagu.treatment import derive, forms, loop
from tsunagu.treatment.models import (
    Advice,
    Clinic,
    ConditionBreach,
    FollowUp,
    FollowUpSource,
    Referral,
)

# What the clinic needs to act on first (lower first) in the clinician's work list.
_CLINIC_PRIORITY = {
    "sent": 1,
    "acknowledged": 2,
    "scheduled": 3,
    "in_treatment": 4,
    "halted": 6,
    "assessed_not_needed": 7,
    "completed": 8,
    "none": 9,
}
CLINIC_VISIBLE_TYPES = ("referral_sent", *timeline.CLINIC_EVENTS)


@dataclass
class ReferralRow:
    """A referral with what its events say, as shown to the viewer."""

    referral: Referral
    view: derive.ReferralView
    overdue: bool
    offender: Person | None
    consent_withdrawn_on: dt.date | None
    contact_flag: bool
    consents: dict[str, bool]

    @property
    def stage(self) -> str:
        return "consent_withdrawn" if self.consent_withdrawn_on else self.view.stage

    @property
    def clinic_events(self) -> list[timeline.Ev]:
        return [ev for ev in self.view.events if ev.type in CLINIC_VISIBLE_TYPES]

    @property
    def priority(self) -> tuple[int, int, dt.date]:
        first = 0 if self.overdue else (0 if self.contact_flag else 1)
        return (first, _CLINIC_PRIORITY.get(self.view.stage, 9), self.referral.sent_on)


def referral_queryset(queryset: QuerySet[Referral]) -> QuerySet[Referral]:
    """Referrals with what their rows need, in a fixed number of queries."""
    return queryset.select_related("case", "clinic", "sent_by").prefetch_related(
        "case__events",
        Prefetch(
            "case__people",
            queryset=Person.objects.filter(role=Person.Role.OFFENDER),
            to_attr="offenders",
        ),
    )


def referral_row(referral: Referral, user: User, today: dt.date | None = None) -> ReferralRow:
    """The one read model of a referral, as its viewer may see it: the clinician
    the whole referral, the police what `derive.police_stage` leaves them."""
    today = today or timezone.localdate()
    events = [ev.as_ev() for ev in referral.case.events.all()]
    withdrawn: dt.date | None = None
    if user.is_clinician:
        view = derive.referral_view(
            events, referral.advised_on, referral.sent_on, referral.clinic.code
        )
    else:
        _shown, view = derive.police_stage(
            events, referral.advised_on, referral.sent_on, referral.clinic.code
        )
        withdrawn = timeline.consent_withdrawn_on(events, derive.CLINIC_TO_POLICE)
    overdue = (
        withdrawn is None
        and view.stage == "sent"
        and view.is_current
        and today > referral.answer_due
    )
    requested = view.contact_requested_on
    flag = bool(
        view.is_open
        and requested
        and (referral.contact_answered_on is None or referral.contact_answered_on < requested)
    )
    offenders = getattr(referral.case, "offenders", None)
    if offenders is None:
        offenders = list(referral.case.people.filter(role=Person.Role.OFFENDER))
    return ReferralRow(
        referral=referral,
        view=view,
        overdue=overdue,
        offender=offenders[0] if offenders else None,
        consent_withdrawn_on=withdrawn,
        contact_flag=flag,
        consents={
            d: timeline.consent(events, d)
            for d in (derive.POLICE_TO_CLINIC, derive.CLINIC_TO_POLICE)
        },
    )


def referral_rows(queryset: QuerySet[Referral], user: User) -> list[ReferralRow]:
    today = timezone.localdate()
    return [referral_row(r, user, today) for r in referral_queryset(queryset)]


# The largest id a clinic can have (a 64-bit primary key): beyond it a query overflows.
_MAX_ID = 2**63 - 1
# The stages a list can be filtered by, as the viewer sees them, besides "open" and "overdue".
FILTER_STAGES = (*stages.STAGE_LABELS, stages.STAGE_HIDDEN)


def clinic_filter_id(text: str) -> int | None:
    """A clinic id from a query string, or None when it cannot be one."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if 1 <= value <= _MAX_ID else None


def filter_referrals(
    queryset: QuerySet[Referral], user: User, stage: str = "", clinic: str = ""
) -> QuerySet[Referral]:
    """The one filter of referral lists, shared by the page and the API, in SQL.

    `stage`: "open", "overdue", or a stage as the viewer sees it ("sent", …,
    "consent_withdrawn" for the police); `clinic`: a clinic id (a value that
    cannot be one is ignored here; the API refuses it first). The stages are the
    cache `loop.referral_refresh` keeps, so a filter finds referrals of any age.
    """
    clinic_id = clinic_filter_id(clinic)
    if clinic_id is not None:
        queryset = queryset.filter(clinic_id=clinic_id)
    column = "stage" if user.is_clinician else "police_stage"
    if stage == "overdue":
        return queryset.filter(
            **{column: "sent"}, is_current=True, answer_due__lt=timezone.localdate()
        )
    if stage == "open":
        return queryset.filter(**{f"{column}__in": stages.OPEN_STAGES})
    if stage:
        return queryset.filter(**{column: stage})
    return queryset


def clinic_actions(row: ReferralRow) -> list[str]:
    """The clinician's possible next steps on a referral: the actions whose event
    the state machine allows at its stage (none once it is replaced)."""
    if not row.view.is_current:
        return []
    allowed = stages.allowed_events(row.view.stage)
    return [action for action, event in loop.CLINIC_ACTIONS.items() if event in allowed]


# The clinic's final steps: those that leave the referral at a stage where the
# clinic has nothing more to do (completed, halted, assessed not needed).
FINAL_ACTIONS = tuple(
    action
    for action, event in loop.CLINIC_ACTIONS.items()
    if not stages.stage_is_open(stages.TRANSITIONS[event][0])
)
# Which allowed step the page offers first, as the usual next one.
_NEXT_FIRST = ("acknowledge", "start", "session", "schedule")


@dataclass(frozen=True)
class NextSteps:
    """The clinician's allowed steps, grouped for the page: the usual next one,
    the others, and the final ones (which ask for confirmation)."""

    primary: str | None
    others: list[str]
    final: list[str]
    resuming: bool  # the referral is at a final stage; the steps restart treatment


def next_steps(row: ReferralRow) -> NextSteps:
    allowed = clinic_actions(row)
    final = [a for a in allowed if a in FINAL_ACTIONS]
    rest = [a for a in allowed if a not in FINAL_ACTIONS]
    resuming = not stages.stage_is_open(row.view.stage)
    primary = None if resuming else next((a for a in _NEXT_FIRST if a in rest), None)
    return NextSteps(primary, [a for a in rest if a != primary], final, resuming)


def can_refer(current: timeline.Episode | None) -> bool:
    """Whether the police may send the current episode's offender to a clinic now:
    the offender has not refused and the state machine allows a new referral."""
    if current is None or timeline.classify(current).leaf in ("rejected", "undecided"):
        return False
    return "referral_sent" in stages.allowed_events(timeline.referral_stage(current))


def clinic_suggestions(case: Case) -> list[Clinic]:
    """The prefecture's accepting clinics: with room first, near the case's station first."""
    near = Clinic.nearest_stations.through.objects.filter(
        clinic_id=OuterRef("pk"), region_id=case.station_id or 0
    )
    clinics = list(
        Clinic.objects.filter(prefecture_id=case.prefecture_id, accepting=True)
        .with_load()
        .annotate(near=Exists(near))
    )
    clinics.sort(key=lambda c: (not c.has_room, not getattr(c, "near", False), c.name))
    return clinics


# --- the officer's home page ------------------------------------------------------

BREACH_WINDOW_DAYS = 180


# How many rows of each list the home page shows; the full list is a link away.
HOME_ROWS = 5
FULL_LIST = 100


def officer_home_context(request: AuthedRequest, cap: int = HOME_ROWS) -> dict[str, Any]:
    """The officer's work of the week, each list sorted by due date, its first `cap`
    rows with the total (the full list: `cap=FULL_LIST`)."""
    user = request.user
    if not user.is_police or not user.prefecture_id:
        return {}
    today = timezone.localdate()
    followups = (
        FollowUp.objects.visible_to(user)
        .filter(done_on__isnull=True, due_on__lte=today + dt.timedelta(days=7))
        .select_related("case")
        .order_by("due_on", "pk")
    )
    station = case_scope(user, "case__", station_id=user.region_id or 0)
    if not user.is_supervisor and station is not None:
        followups = followups.filter(Q(planned_by=user) | station)
    followups_list, followups_count = paging.head(followups, cap, FULL_LIST)
    candidates = filter_referrals(Referral.objects.visible_to(user), user, stage="overdue")
    overdue, overdue_count = paging.head(referral_queryset(candidates), cap, FULL_LIST)
    proposals = due_proposals(user, today)
    flags, flags_count = paging.head(condition_breaches(user, today), cap, FULL_LIST)
    return {
        "treatment_today": today,
        "home_cap": cap,
        "followups_count": followups_count,
        "followups_overdue": [f for f in followups_list if f.due_on < today],
        "followups_due": [f for f in followups_list if f.due_on >= today],
        "referrals_overdue": [referral_row(r, user, today) for r in overdue],
        "referrals_overdue_count": overdue_count,
        "condition_flags": [condition_flag(r) for r in flags],
        "condition_flags_count": flags_count,
        "proposals_due": with_cases(proposals[:cap]),
        "proposals_count": len(proposals),
        "no_clinic_has_room": not any(
            c.has_room for c in Clinic.objects.filter(prefecture_id=user.prefecture_id).with_load()
        ),
    }


@dataclass
class DueProposal:
    case: Case
    proposal: derive.Proposal

    @property
    def plan_on(self) -> dt.date:
        """The date the form offers: the proposed one, or today when it has passed
        (a check cannot be planned in the past)."""
        return max(self.proposal.due_on, timezone.localdate())


def _home_prefecture(user: User) -> int:
    """The prefecture whose marks the user may read: the rule of `Case.visible_to`
    (police of the case's prefecture), on the prefecture copied into the marks."""
    return user.prefecture_id if user.is_police and user.prefecture_id else 0


# The most proposals a list holds (the home page shows the first HOME_ROWS).
PROPOSALS_LISTED = 50


def due_proposals(user: User, today: dt.date) -> list[tuple[int, derive.Proposal]]:
    """Proposed follow-ups not yet planned, due within a week (or overdue), as
    (case id, proposal), by due date, at most PROPOSALS_LISTED.

    Only events of the last year start a proposal; an officer sees those of cases
    of their station or opened by them, a supervisor the prefecture's. Read from
    `FollowUpSource` (the latest trigger event of each case, kept by the event
    service), so the cost follows the cases with a recent trigger, not the events.
    Plain rows: the cases themselves are read only for the proposals shown
    (`with_cases`).
    """
    intervals = loop.intervals_for(user.prefecture_id)
    horizon = today + dt.timedelta(days=7)
    sources = FollowUpSource.objects.filter(
        prefecture_id=_home_prefecture(user),
        source_date__gte=today - dt.timedelta(days=365),
        source_date__lte=horizon,
    )
    if not user.is_supervisor:
        sources = sources.filter(Q(case__station_id=user.region_id or 0) | Q(case__created_by=user))
    by_case: dict[int, list[timeline.Ev]] = defaultdict(list)
    for case_id, source_date, source_type in sources.values_list(
        "case_id", "source_date", "source_type"
    ):
        by_case[case_id].append(timeline.Ev(source_date, source_type))
    if not by_case:
        return []
    planned: dict[int, list[tuple[str, dt.date, int | None]]] = defaultdict(list)
    for case_id, source_type, source_date, offset_days in FollowUp.objects.filter(
        case_id__in=list(by_case)
    ).values_list("case_id", "source_type", "source_date", "offset_days"):
        planned[case_id].append((source_type, source_date, offset_days))
    found = [
        (case_id, p)
        for case_id, evs in by_case.items()
        for p in derive.followup_proposals(evs, intervals, planned[case_id])
        if p.due_on <= horizon
    ]
    return sorted(found, key=lambda found: found[1].due_on)[:PROPOSALS_LISTED]


def with_cases(found: list[tuple[int, derive.Proposal]]) -> list[DueProposal]:
    """The proposals with their cases (one query)."""
    cases = Case.objects.in_bulk({case_id for case_id, _p in found})
    return [DueProposal(cases[case_id], p) for case_id, p in found]


@dataclass
class ConditionFlag:
    case: Case
    event: timeline.Ev
    condition: derive.Condition


def condition_breaches(user: User, today: dt.date) -> QuerySet[ConditionBreach]:
    """Contact reports of the last months dated while a condition was active, the
    latest first, read from `ConditionBreach` (kept by the event service)."""
    since = today - dt.timedelta(days=BREACH_WINDOW_DAYS)
    return (
        ConditionBreach.objects.filter(prefecture_id=_home_prefecture(user), date__gte=since)
        .select_related("case", "event")
        .order_by("-date", "-event_id")
    )


def condition_flag(row: ConditionBreach) -> ConditionFlag:
    return ConditionFlag(
        row.case,
        row.event.as_ev(),
        derive.Condition(row.kind, row.starts_on, row.expires_on, row.ended_on),
    )


# --- the case page -----------------------------------------------------------------


@dataclass
class EpisodeRow:
    episode: timeline.Episode
    leaf: str
    method: str
    advised_by: User | None
    responses: list[timeline.Ev]
    referrals: list[ReferralRow]
    recurrences: list[tuple[timeline.Ev, str]]


def case_panel_context(request: AuthedRequest, case: Case) -> dict[str, Any]:
    user = request.user
    if not user.is_police or user.prefecture_id != case.prefecture_id:
        return {}
    today = timezone.localdate()
    all_events = case.timeline_events()
    events = derive.police_view(all_events)
    state = timeline.case_state(events)
    advice = {
        a.advised_on: a.advised_by
        for a in Advice.objects.filter(case=case).select_related("advised_by")
    }
    referrals = referral_rows(Referral.objects.filter(case=case), user)
    recurrences = derive.recurrences_with_phase(events)
    episodes = []
    for ep in state.episodes:
        episodes.append(
            EpisodeRow(
                episode=ep,
                leaf=timeline.classify(ep).leaf,
                method=ep.advised.detail,
                advised_by=advice.get(ep.advised_on),
                responses=[ev for ev in ep.events if ev.type in timeline.RESPONSES],
                referrals=[r for r in referrals if r.referral.advised_on == ep.advised_on],
                recurrences=[(ev, phase) for ev, phase in recurrences if ev in ep.events],
            )
        )
    current = state.current_episode
    leaf = timeline.classify(current).leaf if current else ""
    stage = timeline.referral_stage(current)
    consent_police = timeline.consent(all_events, derive.POLICE_TO_CLINIC)
    referable = can_refer(current)
    planned = list(FollowUp.objects.filter(case=case))
    proposals = derive.followup_proposals(
        events,
        loop.intervals_for(case.prefecture_id),
        [(f.source_type, f.source_date, f.offset_days) for f in planned],
    )
    conditions = derive.conditions(events)
    return {
        "case": case,
        "treatment_today": today,
        # A closed case offers no follow-up actions (the case page says why).
        "case_closed_on": state.closed_on,
        "episodes": episodes,
        "current_episode": current,
        "current_leaf": leaf,
        "current_stage": stage,
        "can_refer": referable,
        "consents": consent_rows(all_events),
        "consent_police_to_clinic": consent_police,
        "conditions": [(c, c.active_on(today)) for c in conditions],
        "breaches": derive.condition_breaches(events),
        "recurrences": recurrences,
        "followups_open": [f for f in planned if f.done_on is None],
        "followups_done": [f for f in planned if f.done_on is not None],
        "proposals": proposals,
        # Each form its own id prefix: the page holds several forms with a date field.
        "advice_form": forms.AdviceForm(case=case, user=user, auto_id="advice_%s"),
        "response_form": forms.ResponseForm(auto_id="response_%s"),
        "consent_form": forms.ConsentForm(auto_id="consent_%s"),
        "recurrence_form": forms.RecurrenceForm(auto_id="recurrence_%s"),
        "condition_form": forms.ConditionForm(auto_id="condition_%s"),
        "condition_end_form": forms.ConditionEndForm(auto_id="condition_end_%s"),
    }


@dataclass
class ConsentRow:
    direction: str
    holds: bool
    given: timeline.Ev | None
    withdrawn_on: dt.date | None


def consent_rows(events: list[timeline.Ev]) -> list[ConsentRow]:
    rows = []
    for direction in (derive.POLICE_TO_CLINIC, derive.CLINIC_TO_POLICE):
        given = [ev for ev in timeline.effective(events) if ev.type == f"consent_{direction}"]
        rows.append(
            ConsentRow(
                direction=direction,
                holds=timeline.consent(events, direction),
                given=given[-1] if given else None,
                withdrawn_on=timeline.consent_withdrawn_on(events, direction),
            )
        )
    return rows
