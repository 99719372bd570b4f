"""The one place a refusal (`timeline.Refusal`, `services.ServiceError`) becomes
something the user reads: a form error, a page message or a 422.

Refusals carry an English msgid, its parameters (msgids too), the field and a
code. Nothing matches the text: callers that must tell refusals apart use `code`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from ninja.errors import ValidationError

from tsunagu.cases.timeline import Refusal


def text(err: Refusal) -> str:
    """The refusal in the active language."""
    message = gettext(err.msgid)
    if err.params:
        message = message % {key: gettext(value) for key, value in err.params.items()}
    return message


def add_to_form(
    form: forms.BaseForm, err: Refusal, aliases: dict[str | None, str | None] | None = None
) -> None:
    """Show the refusal next to the field it names (or above the form)."""
    field = (aliases or {}).get(err.field, err.field)
    form.add_error(field if field in form.fields else None, text(err))


def unprocessable(field: str | None, message: str, where: str = "body") -> ValidationError:
    """A 422 naming the field, in the shape of ninja's own validation errors."""
    loc = [where, field] if field else [where]
    return ValidationError([{"loc": loc, "msg": message, "type": "value_error"}])


def as_422(err: Refusal) -> ValidationError:
    """The refusal as an API answer (422, the field named in `loc`)."""
    return unprocessable(err.field, text(err))


def run(func: Any, **kwargs: Any) -> Any:
    """Call a service for an API endpoint; a refusal becomes a 422."""
    try:
        return func(**kwargs)
    except Refusal as err:
        raise as_422(err) from err
