from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from tsunagu.risk.models import wording

register = template.Library()

# Who answers an item (`answered_by` of the instrument schema).
ANSWERED_BY = {
    "victim": _("the person consulting"),
    "officer": _("the officer"),
    "offender": _("the offender"),
    "clinician": _("the clinician"),
}


@register.filter
def answerer(code: str) -> str:
    """Who answers an item, in the active language."""
    return str(ANSWERED_BY.get(code, code))


@register.filter
def level_label(assessment: Any) -> str:
    """The assessment's level in its instrument's wording (active language)."""
    return str(assessment.instrument.level_label(assessment.level))


@register.filter
def words(text: Any) -> str:
    return wording(text)


@register.filter
def get_field(form: Any, name: str) -> Any:
    """The bound field `name` of a form (for fields built from an instrument)."""
    return form[name]
