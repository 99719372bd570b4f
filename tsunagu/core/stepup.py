"""Step-up for the most dangerous actions: revealing a victim, exporting personal columns.

Each needs, in this order:
1. a second factor checked within `STEPUP_SECONDS` (else `guard` sends the user
   to the step-up page, which comes back to `next` afterwards);
2. a reason: a category (`CATEGORIES`) and a text (`ReasonFields` adds both to
   a form, `reason_text` joins them for the audit log);
3. staying under `STEPUP_DAILY_LIMIT` such actions a day (Japan time), reveals
   and personal exports together, unless a supervisor of the user's prefecture
   raised it for the day (`raise_limit`, audited).

Through the API (`api_second_factor`): a session with a fresh step-up passes as
on the pages; otherwise (always with an access token, which has no session) the
request itself carries a current code of the user's authenticator or a recovery
code (`otp`), checked once with the same lockout count as the step-up page.

Supervisors see users of their prefecture with unusual reveal volume
(`reveal_alerts`) on the security page.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tsunagu.core.audit import audit
from tsunagu.core.models import AuditEvent, User
from tsunagu.core.security import VERIFIED_AT, session_verified

CATEGORIES = [
    ("contact", gettext_lazy("Contacting the victim")),
    ("warning", gettext_lazy("Drafting a warning")),
    ("court", gettext_lazy("A court request")),
    ("other", gettext_lazy("Other")),
]
PURPOSE_MISSING = gettext_lazy("Choose the purpose.")
MIN_REASON_LENGTH = 8
RAISE_ACTION = "stepup.limit_raised"


def fresh(request: HttpRequest) -> bool:
    """A second factor was checked in this session within STEPUP_SECONDS."""
    at = request.session.get(VERIFIED_AT)
    if not session_verified(request) or at is None:
        return False
    return time.time() - int(at) <= settings.STEPUP_SECONDS


def guard(request: HttpRequest, next_url: str) -> HttpResponse | None:
    """None when the step-up is fresh, else a redirect to the step-up page."""
    if fresh(request):
        return None
    return redirect(f"/mfa/step-up/?next={quote(next_url, safe='/#')}")


SECOND_FACTOR_NEEDED = gettext_lazy(
    "This needs a recent second factor: send a current code of your authenticator "
    "app (or a recovery code) as “otp”."
)
CODE_REFUSED = gettext_lazy("The code was not accepted. Enter a current code.")


def api_second_factor(request: HttpRequest, code: str) -> tuple[int, str] | None:
    """None when an API request has its recent second factor, else (status, message):
    403 without a code or with a refused one, 429 when the account is locked out."""
    from tsunagu.core import lockout, mfa

    if getattr(request, "access_token", None) is None and fresh(request):
        return None
    if not (code or "").strip():
        return 403, str(SECOND_FACTOR_NEEDED)
    user: Any = request.user
    if lockout.is_locked(request, user.get_username()):
        return 429, str(lockout.LOCKED_MESSAGE)
    if mfa.verify_code_once(request, user, code):
        return None
    return 403, str(CODE_REFUSED)


def _day_start() -> dt.datetime:
    today = timezone.localdate()
    return timezone.make_aware(dt.datetime.combine(today, dt.time.min))


def _sensitive(actor: User) -> Any:
    return AuditEvent.objects.filter(actor=actor, at__gte=_day_start()).filter(
        Q(action="person.reveal") | Q(action="interchange.export", detail__include_personal=True)
    )


def uses_today(user: User) -> int:
    return int(_sensitive(user).count())


def allowance_today(user: User) -> int:
    raises = AuditEvent.objects.filter(
        action=RAISE_ACTION, object_type="user", object_id=str(user.pk), at__gte=_day_start()
    ).values_list("detail", flat=True)
    return int(settings.STEPUP_DAILY_LIMIT) + sum(int(d.get("extra", 0)) for d in raises)


def limit_error(user: User) -> str | None:
    """The message when the user reached today's limit, else None."""
    if uses_today(user) < allowance_today(user):
        return None
    return _(
        "You reached today's limit of %(n)d reveals and personal exports. "
        "A supervisor of your prefecture can raise it for today."
    ) % {"n": allowance_today(user)}


def raise_limit(*, actor: User, user: User, extra: int, reason: str) -> None:
    """A supervisor allows `extra` more sensitive actions today (audited)."""
    if not actor.is_supervisor or user.prefecture_id != actor.prefecture_id:
        raise PermissionError("only a supervisor of the user's prefecture")
    if actor.pk == user.pk:
        raise PermissionError("not for one's own account")
    with transaction.atomic():
        audit(
            actor=actor,
            action=RAISE_ACTION,
            obj=user,
            prefecture=actor.prefecture,
            reason=reason,
            extra=int(extra),
            day=timezone.localdate().isoformat(),
        )


def reveal_alerts(supervisor: User) -> list[dict[str, Any]]:
    """Users of the prefecture with more reveals in the last 24 hours than the alert level."""
    since = timezone.now() - dt.timedelta(hours=24)
    rows = (
        AuditEvent.objects.filter(
            prefecture_id=supervisor.prefecture_id, action="person.reveal", at__gte=since
        )
        .values("actor_id", "actor__username")
        .annotate(n=Count("id"))
        .filter(n__gt=settings.REVEAL_ALERT_PER_USER)
        .order_by("-n")
    )
    return [{"username": r["actor__username"], "count": r["n"]} for r in rows]


def category_field(required: bool = True) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=gettext_lazy("Purpose"),
        choices=[("", "---------"), *CATEGORIES],
        required=required,
    )


def validate_reason(text: str) -> str | None:
    """Why a reason text is not enough, or None (at least 10 characters, not one repeated)."""
    text = (text or "").strip()
    if len(text) < MIN_REASON_LENGTH or len(set(text)) < 4:
        return _(
            "Describe the reason in at least %(n)d characters (for example the case step or request)."
        ) % {"n": MIN_REASON_LENGTH}
    return None


def reason_text(category: str, text: str) -> str:
    """The reason as written to the audit log: the category, then the text."""
    label = dict(CATEGORIES).get(category, category)
    return f"[{category}] {label}: {text.strip()}"
