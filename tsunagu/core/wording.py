"""The project's wording of form errors and rules, for every form (settings.FORM_RENDERER).

Django's stock messages say 「この項目は必須です。」 or 「この値が少なくとも 5 文字以上である
ことを確認してください (3 文字になっています)」 without naming the field, and a length rule
is only learnt by failing it. Every form rendered with `ProjectRenderer` (the
project's default renderer) gets `ProjectBoundField`, which:

- names the field in the errors users meet most: a required field left empty
  (「理由を入力してください。」, 「性別を選んでください。」) and a text too short or too long;
- states a text field's minimum length in its help text, before the user fails it.

One place, no form has to opt in; the messages themselves are gettext msgids here.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.forms.renderers import Jinja2
from django.forms.utils import ErrorList
from django.utils.translation import gettext

# Widgets where the user picks rather than types.
_CHOOSING = (forms.Select, forms.RadioSelect, forms.CheckboxInput, forms.ClearableFileInput)


def required_message(label: str, field: forms.Field) -> str:
    """「<label>を入力してください。」 or, for a choice, 「<label>を選んでください。」."""
    if isinstance(field.widget, _CHOOSING) or isinstance(field, forms.FileField):
        return gettext("Choose %(label)s.") % {"label": label}
    return gettext("Enter %(label)s.") % {"label": label}


def length_rule(field: forms.Field) -> str:
    """The minimum length of a text field, said up front ("" when it has none)."""
    limit = getattr(field, "min_length", None)
    if not limit or not isinstance(field, forms.CharField):
        return ""
    return gettext("At least %(limit)d characters.") % {"limit": limit}


def named_message(label: str, field: forms.Field, error: ValidationError) -> str:
    """The project's wording of a stock error, naming the field; other errors as they are."""
    params = error.params or {}
    if error.code == "required":
        own = field.error_messages.get("required")
        if own is not None and str(own) != str(forms.Field.default_error_messages["required"]):
            return str(own)  # the form's own message for this field says more
        return required_message(label, field)
    if error.code == "min_length":
        return gettext("%(label)s needs at least %(limit)d characters (it has %(count)d).") % {
            "label": label,
            "limit": params["limit_value"],
            "count": params["show_value"],
        }
    if error.code == "max_length":
        return gettext("%(label)s takes at most %(limit)d characters (it has %(count)d).") % {
            "label": label,
            "limit": params["limit_value"],
            "count": params["show_value"],
        }
    return " ".join(str(m) for m in error)


class ProjectBoundField(BoundField):
    def __init__(self, form: forms.BaseForm, field: forms.Field, name: str) -> None:
        super().__init__(form, field, name)
        rule = length_rule(field)
        if rule and rule not in str(self.help_text):
            self.help_text = f"{self.help_text} {rule}".strip()

    @property
    def errors(self) -> ErrorList:
        errors: ErrorList = super().errors
        if not errors:
            return errors
        label = str(self.label)
        return ErrorList(
            [named_message(label, self.field, e) for e in errors.as_data()],
            error_class=errors.error_class.removeprefix("errorlist").strip() or None,
            renderer=errors.renderer,
            field_id=getattr(errors, "field_id", None),
        )


class ProjectRenderer(Jinja2):
    """Django's form renderer with the project's bound fields.

    Widgets are drawn from Django's own Jinja2 widget templates (the same markup as
    its Django-template ones): compiled to Python, they take a third of the time,
    and the case page draws about thirty widgets on every view."""

    bound_field_class = ProjectBoundField
