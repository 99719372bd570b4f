"""The audited reveal of protected victim data, as a page runs it: the step-up
(a fresh second factor), a purpose and reason (`forms.RevealForm`), the daily
limit, then the service that audits it. The victim's contact details on the case
page and the victim's answers of a risk assessment both go through `run`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse

from tsunagu.cases import refusals, services
from tsunagu.cases.forms import RevealForm
from tsunagu.core import stepup
from tsunagu.core.access import AuthedRequest


@dataclass
class Outcome:
    """What a reveal request gives: a redirect to the step-up, the revealed values,
    or neither (the form, with its errors, is shown again)."""

    form: RevealForm
    stepup: HttpResponse | None = None
    fields: Any = None


def run(
    request: AuthedRequest, prefix: str, next_url: str, reveal: Callable[[str], Any]
) -> Outcome:
    """Check the step-up, the form and the daily limit, then call `reveal(reason)`."""
    form = RevealForm(request.POST, prefix=prefix)
    blocked = stepup.guard(request, next_url)
    if blocked:
        return Outcome(form, stepup=blocked)
    over_limit = stepup.limit_error(request.user) if form.is_valid() else None
    if over_limit:
        form.add_error(None, over_limit)
    elif form.is_valid():
        reason = stepup.reason_text(
            form.cleaned_data["reason_category"], form.cleaned_data["reason"]
        )
        try:
            return Outcome(form, fields=reveal(reason))
        except services.ServiceError as err:
            refusals.add_to_form(form, err)
    return Outcome(form)
