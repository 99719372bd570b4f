"""Labels of the treatment loop's codes, for templates."""

from __future__ import annotations

from django import template
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tsunagu.cases import labels
from tsunagu.treatment import derive, forms

register = template.Library()

STAGE_LABELS: dict[str, Promise] = {
    "none": _("Not referred"),
    "sent": _("Sent, awaiting the clinic's answer"),
    "acknowledged": _("Acknowledged"),
    "scheduled": _("Appointment scheduled"),
    "assessed_not_needed": _("Assessed: no treatment needed"),
    "in_treatment": _("In treatment"),
    "completed": _("Treatment completed"),
    "halted": _("Treatment halted"),
    "consent_withdrawn": _("Consent withdrawn"),
}
PHASE_LABELS: dict[str, Promise] = {"none": _("No treatment advice"), **labels.LEAF_LABELS}


@register.filter
def event_label(event_type: str) -> str:
    return labels.event_label(event_type)


@register.filter
def stage_label(stage: str) -> str:
    return str(STAGE_LABELS.get(stage, stage))


@register.filter
def phase_label(phase: str) -> str:
    return str(PHASE_LABELS.get(phase, phase))


@register.filter
def detail_label(ev: object) -> str:
    """The readable detail of an event (coded details translated)."""
    event_type, detail = getattr(ev, "type", ""), getattr(ev, "detail", "")
    if event_type == "treatment_advised":
        return str(forms.ADVICE_METHOD_LABELS.get(detail, detail))
    if event_type == "treatment_halted":
        return str(forms.HALT_REASON_LABELS.get(detail, detail))
    if event_type.startswith("consent_"):
        return str(forms.CONSENT_METHOD_LABELS.get(detail, detail))
    if event_type == "appointment_scheduled":
        day = derive.parse_appointment(detail)
        return day.isoformat() if day else detail
    if event_type in ("condition_set", "condition_ended"):
        kind, expiry = derive.parse_condition(detail)
        text = str(forms.CONDITION_LABELS.get(kind, kind))
        return f"{text} → {expiry.isoformat()}" if expiry else text
    return labels.detail_label(event_type, detail)


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
