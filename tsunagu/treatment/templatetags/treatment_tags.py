"""Labels of the treatment loop's codes, for templates."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django import template
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tsunagu.cases import labels, stages
from tsunagu.treatment import derive, forms

register = template.Library()

PHASE_LABELS: dict[str, Promise] = {"none": _("No treatment advice"), **labels.LEAF_LABELS}


@register.filter
def event_label(event_type: str) -> str:
    return labels.event_label(event_type)


@register.filter
def stage_label(stage: str) -> str:
    if stage == stages.STAGE_HIDDEN:
        return gettext(stages.HIDDEN_LABEL)
    return gettext(stages.STAGE_LABELS[stage]) if stage in stages.STAGE_LABELS else stage


@register.filter
def phase_label(phase: str) -> str:
    return str(PHASE_LABELS.get(phase, phase))


def _appointment(detail: str) -> str:
    day = derive.parse_appointment(detail)
    return day.isoformat() if day else detail


def _condition(detail: str) -> str:
    kind, expiry = derive.parse_condition(detail)
    text = str(forms.CONDITION_LABELS.get(kind, kind))
    return f"{text} → {expiry.isoformat()}" if expiry else text


def followup_label(detail: str) -> str:
    """「警告後の事後確認（期日 2026-02-23）」 from "warning|2026-02-23"."""
    source, due = derive.parse_followup(detail)
    if due is None:
        return labels.event_label(source)
    return gettext("Follow-up after %(event)s (due %(day)s)") % {
        "event": labels.event_label(source),
        "day": due.isoformat(),
    }


def _coded(table: Mapping[str, Any]) -> Callable[[str], str]:
    return lambda detail: str(table.get(detail, detail))


# The loop's event details, read for every page (`cases.labels.DETAIL_READERS`).
DETAIL_READERS: dict[str, Callable[[str], str]] = {
    "treatment_advised": _coded(forms.ADVICE_METHOD_LABELS),
    "treatment_halted": _coded(forms.HALT_REASON_LABELS),
    "appointment_scheduled": _appointment,
    "condition_set": _condition,
    "condition_ended": _condition,
    "followup_planned": followup_label,
    "followup_done": followup_label,
    **{
        f"consent_{direction}": _coded(forms.CONSENT_METHOD_LABELS)
        for direction in (derive.POLICE_TO_CLINIC, derive.CLINIC_TO_POLICE)
    },
}


@register.filter
def detail_label(ev: object) -> str:
    """The readable detail of an event (coded details translated)."""
    return labels.detail_label(getattr(ev, "type", ""), getattr(ev, "detail", ""))


@register.filter
def consent_label(direction: str) -> str:
    return str(forms.CONSENT_DIRECTION_LABELS.get(direction, direction))


@register.filter
def condition_label(kind: str) -> str:
    return str(forms.CONDITION_LABELS.get(kind, kind))


@register.filter
def method_label(method: str) -> str:
    return str(forms.ADVICE_METHOD_LABELS.get(method, method))


@register.filter
def leaf_label(leaf: str) -> str:
    return str(labels.LEAF_LABELS.get(leaf, leaf))
