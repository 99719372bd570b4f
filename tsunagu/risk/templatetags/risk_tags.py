from __future__ import annotations

from typing import Any

from django import template

from tsunagu.risk.models import wording

register = template.Library()


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
