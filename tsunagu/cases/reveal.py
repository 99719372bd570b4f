"""The audited reveal of protected victim data, as a page runs it: the step-up
(a fresh second factor), a purpose and reason (`forms.RevealForm`), the daily
limit, then the service that audits it. The victim's contact details on the case
page and the victim's answers of a risk assessment both go through `run`.

Both show the result by post/redirect/get: the reveal's view `remember`s the
audit event of the reveal in the session and redirects to a result address,
whose view `recall`s it and shows the values again (a reload posts nothing and
writes no second audit event) while `services.reveal_still_shown` holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.http import HttpResponse
from django.utils.translation import gettext

from tsunagu.cases import refusals, services
from tsunagu.cases.forms import RevealForm
from tsunagu.core import stepup
from tsunagu.core.access import AuthedRequest

# The session's latest reveal of each object: "<model>:<pk>" -> its audit event id.
REVEALED_KEY = "tsunagu_revealed"


def _key(obj: models.Model) -> str:
    return f"{obj._meta.model_name}:{obj.pk}"


def remember(request: AuthedRequest, obj: models.Model, audit_id: int) -> None:
    """Keep the audit event of this session's reveal of `obj` for its result page.
    Only this session knows it: a colleague opening the result address sees nothing."""
    shown = dict(request.session.get(REVEALED_KEY, {}))
    shown[_key(obj)] = audit_id
    request.session[REVEALED_KEY] = shown


def recalled(request: AuthedRequest, obj: models.Model, show: Callable[[int], Any]) -> Any:
    """`show(audit_id)` of this session's latest reveal of `obj` (the values while
    the service still shows them, else None); None without a reveal in this session."""
    audit_id = request.session.get(REVEALED_KEY, {}).get(_key(obj))
    return show(audit_id) if isinstance(audit_id, int) else None


def no_longer_shown() -> str:
    """What the result address says once the reveal has expired (or was not this session's)."""
    return gettext("The revealed details are no longer shown. Reveal them again with a reason.")


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
