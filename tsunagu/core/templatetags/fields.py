"""A form field as the pages show it: label (or legend), widget, help and errors.

Written in Python rather than as an included template because the busiest pages
show many fields (the case page about thirty): a Django template include costs
about ten times as much per field. The markup is the same everywhere a field is
shown: `cases/_field.html`, `treatment/_fields.html` and the pages call these tags.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BaseForm, BoundField
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_REQUIRED = mark_safe(' <span aria-hidden="true">*</span>')


def _joined(parts: list[Any]) -> SafeString:
    # Each part is escaped unless it is already safe (built by format_html).
    return mark_safe("".join(conditional_escape(p) for p in parts))  # noqa: S308


def _errors(items: Any) -> SafeString:
    return format_html_join("", "<li>{}</li>", ((e,) for e in items))


@register.simple_tag
def field_block(field: BoundField, hide_errors: bool = False) -> SafeString:
    """One field: a label and its widget (a legend around a group of choices), the
    help text, and its errors with an id the error summary can point at. The
    required mark is shown for required fields."""
    required = _REQUIRED if field.field.required else ""
    if field.use_fieldset:
        head = format_html(
            '<fieldset class="choices"><legend>{}{}</legend>{}</fieldset>\n',
            field.label,
            required,
            field,
        )
    else:
        head = format_html(
            '<label for="{}">{}{}</label>\n{}', field.id_for_label, field.label, required, field
        )
    parts = [head, "\n"]
    if field.help_text:
        parts.append(format_html('<div class="help">{}</div>', field.help_text))
    parts.append("\n")
    if field.errors and not hide_errors:
        parts.append(
            format_html(
                '<div role="alert"><ul class="errorlist" id="{}-errors">{}</ul></div>',
                field.id_for_label,
                _errors(field.errors),
            )
        )
    return _joined(parts)


@register.simple_tag
def form_fields(form: BaseForm) -> SafeString:
    """Every field of a form (hidden ones first), with the form's own errors: the
    treatment and risk forms. A field named `confirm` is a box beside its label; a
    group of choices is a fieldset whose legend names it and whose help describes it."""
    parts: list[str] = []
    if form.non_field_errors():
        parts.append(
            format_html(
                '<div role="alert"><ul class="errorlist">{}</ul></div>',
                _errors(form.non_field_errors()),
            )
        )
    parts.append("\n")
    for field in form.hidden_fields():
        parts.append(str(field))  # the widget, already safe
        parts.extend(
            format_html('<p class="errorlist" role="alert">{}</p>', e) for e in field.errors
        )
    parts.append("\n")
    for field in form.visible_fields():
        if field.name == "confirm":
            parts.append(
                format_html(
                    '\n<label class="confirm-box" for="{}">{} <span>{}</span></label>\n',
                    field.id_for_label,
                    field,
                    field.label,
                )
            )
        elif field.use_fieldset:
            described = (
                format_html(' aria-describedby="{}_help"', field.auto_id) if field.help_text else ""
            )
            parts.append(
                format_html(
                    '\n<fieldset class="choices"{}><legend>{}</legend>{}</fieldset>\n',
                    described,
                    field.label,
                    field,
                )
            )
        else:
            parts.append(
                format_html(
                    '\n<label for="{}">{}</label>\n{}', field.id_for_label, field.label, field
                )
            )
        if field.help_text:
            parts.append(
                format_html(
                    '<div class="help" id="{}_help">{}</div>', field.auto_id, field.help_text
                )
            )
        parts.append("\n")
        if field.errors:
            parts.append(
                format_html(
                    '<div role="alert"><ul class="errorlist" id="{}_errors">{}</ul></div>',
                    field.auto_id,
                    _errors(field.errors),
                )
            )
        parts.append("\n")
    return _joined(parts)
