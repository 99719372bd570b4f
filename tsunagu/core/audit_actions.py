"""The audit log's vocabulary: every action code, its label, and how its target is named.

One place for the words of the audit page: the action codes that `core.audit.audit`
records (by every app), grouped as the page's action filter shows them, each with
its label. `tsunagu/core/tests/test_audit_actions.py` reads every `audit(...)` call
of the code and fails on an action without a label here.

Two families take their second part from another vocabulary, registered by the app
that owns it (`AppConfig.ready`), so core imports no app above it:
`event.<type>` (the timeline's labels, from cases). Targets (`object_type`,
`object_id`, and the case in `detail`) are named by `TARGET_NAMERS`, one query per
kind of object on a page: a case by its reference, a person by the name of the
account, a clinic by its name; never a victim field.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tsunagu.core.models import AuditEvent, User

# (group label, {action code: label}); a code ending in "." is a family (prefix).
ACTION_GROUPS: list[tuple[Promise, dict[str, Promise]]] = [
    (
        _("Case records"),
        {
            "case.open": _("Case opened"),
            "person.add": _("Person added"),
            "person.reveal": _("Victim details revealed"),
            "event.": _("Event recorded on the timeline"),
            "read.case": _("Case opened for reading"),
            "read.list": _("Case list or drill-down viewed"),
        },
    ),
    (
        _("Treatment"),
        {
            "referral.send": _("Referral sent"),
            "read.referral": _("Referral opened for reading"),
            "referral.acknowledge": _("Clinic: referral acknowledged"),
            "referral.schedule": _("Clinic: appointment set"),
            "referral.not_needed": _("Clinic: assessed not needed"),
            "referral.start": _("Clinic: treatment started"),
            "referral.session": _("Clinic: session attended"),
            "referral.complete": _("Clinic: treatment completed"),
            "referral.halt": _("Clinic: treatment halted"),
            "referral.contact_answered": _("Clinic: police contact answered"),
            "followup.plan": _("Follow-up planned"),
            "followup.done": _("Follow-up done"),
            "followup.intervals": _("Follow-up intervals changed"),
            "clinic.create": _("Clinic added"),
            "clinic.update": _("Clinic changed"),
            "clinic.delete": _("Clinic deleted"),
        },
    ),
    (
        _("Risk"),
        {
            "risk.assess": _("Risk assessed"),
            "risk.action_done": _("Risk action done"),
            "risk.instrument_load": _("Risk instrument loaded"),
        },
    ),
    (
        _("Statistics and data exchange"),
        {
            "report.release": _("Report released"),
            "interchange.import": _("Data imported"),
            "interchange.export": _("Data exported"),
            "retention.anonymise": _("Anonymised after the retention period"),
        },
    ),
    (
        _("User accounts"),
        {
            "user.create": _("Account created"),
            "user.update": _("Account changed"),
            "user.password_reset": _("Password reset"),
            "user.password_change": _("Own password changed"),
            "user.language": _("Own language changed"),
            "user.notice_preferences": _("Own email preferences changed"),
            "user.second_factor_reset": _("Second factor reset requested"),
            "user.sign_out_everywhere": _("Signed out everywhere"),
            "user.change_approved": _("Account change approved"),
            "user.change_rejected": _("Account change rejected"),
            "user.disable_inactive": _("Disabled after inactivity"),
            "user.unlock": _("Account unlocked"),
        },
    ),
    (
        _("Sign-in and security"),
        {
            "user.login": _("Signed in"),
            "user.login_failed": _("Sign-in failed"),
            "user.locked_out": _("Sign-in refused: locked"),
            "user.logout": _("Signed out"),
            "user.session_expired": _("Session ended"),
            "user.mfa_verified": _("Second factor confirmed"),
            "user.mfa_enrolled": _("Second factor added"),
            "user.mfa_removed": _("Second factor removed"),
            "user.recovery_codes": _("Recovery codes issued"),
            "stepup.limit_raised": _("Daily reveal limit raised"),
            "access.denied": _("Access refused"),
            "token.create": _("API token created"),
            "token.revoke": _("API token revoked"),
            "token.use": _("API token used"),
        },
    ),
]

ACTION_LABELS: dict[str, Promise] = {
    code: label for _group, labels in ACTION_GROUPS for code, label in labels.items()
}

# The second part of a family's codes, read by the app that owns the vocabulary.
FAMILY_LABELS: dict[str, Callable[[str], str]] = {}

# Names of audit targets by object type (a model's `model_name`): each takes the ids
# on a page and answers {id: name} with one query. Registered by the owning app.
TARGET_NAMERS: dict[str, Callable[[Collection[str]], dict[str, str]]] = {}


def action_label(code: str) -> str:
    """The label of an action code: 「事案記録: 警告」 for a family's code."""
    label = ACTION_LABELS.get(code)
    if label is not None:
        return str(label)
    prefix, dot, rest = code.partition(".")
    family = ACTION_LABELS.get(prefix + dot)
    if family is not None:
        reader = FAMILY_LABELS.get(prefix)
        return f"{family}: {reader(rest) if reader else rest}"
    return code


def is_labelled(code: str) -> bool:
    prefix, dot, _rest = code.partition(".")
    return code in ACTION_LABELS or (prefix + dot) in ACTION_LABELS


def filter_choices(user: Any) -> list[tuple[Any, Any]]:
    """The action filter's options, grouped; an administrator sees the account groups only."""
    groups = [
        (group, list(labels.items()))
        for group, labels in ACTION_GROUPS
        if not user.is_admin or all(code.startswith("user.") for code in labels)
    ]
    return [("", _("All")), *groups]


def filter_events(events: Any, code: str) -> Any:
    """Events of one action (exact code), or of a family (code ending in ".")."""
    if code.endswith("."):
        return events.filter(action__startswith=code)
    return events.filter(action=code)


def _user_names(ids: Collection[str]) -> dict[str, str]:
    pks = [int(i) for i in ids if i.isdigit()]
    return {str(u.pk): u.display_name for u in User.objects.filter(pk__in=pks)}


TARGET_NAMERS["user"] = _user_names


def targets(events: Iterable[AuditEvent]) -> dict[int, dict[str, Any]]:
    """For each event: its target as words ("what"), and the case's reference ("case",
    "case_id") when it concerns a case. One query per kind of object on the page."""
    events = list(events)
    wanted: dict[str, set[str]] = defaultdict(set)
    for e in events:
        if e.object_type and e.object_id:
            wanted[e.object_type].add(e.object_id)
        case = e.detail.get("case") if isinstance(e.detail, dict) else None
        if case is not None:
            wanted["case"].add(str(case))
    names = {
        kind: TARGET_NAMERS[kind](ids) for kind, ids in wanted.items() if kind in TARGET_NAMERS
    }
    out: dict[int, dict[str, Any]] = {}
    for e in events:
        detail = e.detail if isinstance(e.detail, dict) else {}
        case_id = detail.get("case")
        if e.object_type == "case" and case_id is None and e.object_id:
            case_id = e.object_id
        what = ""
        if e.object_type and e.object_type != "case":
            what = (
                names.get(e.object_type, {}).get(e.object_id, "")
                or str(detail.get("name", ""))
                or _object_kind(e.object_type)
            )
        case_ref = names.get("case", {}).get(str(case_id), "") if case_id is not None else ""
        out[e.pk] = {
            "what": what,
            "case": case_ref or (gettext("a deleted case") if case_id is not None else ""),
            "case_id": case_id if case_ref else None,
        }
    return out


def _object_kind(object_type: str) -> str:
    """The verbose name of a model from its `model_name` (no import of its app)."""
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.model_name == object_type:
            return str(model._meta.verbose_name)
    return ""
