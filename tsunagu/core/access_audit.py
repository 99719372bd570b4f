"""Auditing reads and denials in two central places, not in every view.

- `AccessAuditMiddleware` keeps the current request in a context variable and,
  for a signed-in user, records:
  - every denial: a 403 or 404 answer (out-of-scope objects, refused role
    gates, the API's 404s), as `access.denied` with user, method, path and status;
  - every successful GET of a route in `AUDITED_ROUTES` (drill-down lists), as
    `read.list` with the path and query (filters hold codes, never plaintext).
- `record_read(obj)`, called by `core.access.get_for_user`, records opening one
  object whose model sets `AUDIT_READS = True` (a case, a referral; page or API)
  on a GET, as `read.<model>`, once per object and request.

Exports and downloads of personal data audit themselves in their service
(`interchange.export`). Events carry the object's prefecture, so the
prefecture's supervisor sees them on the audit page.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse

from tsunagu.core.audit import audit

_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "tsunagu_request", default=None
)

# Lists reached from a report (drill-down) or listing personal data: url name -> action.
AUDITED_ROUTES = {
    "reports:episodes": "read.list",
    "api:programme_episodes": "read.list",
    "cases:list": "read.list",
}
READ_METHODS = ("GET", "HEAD")


def _signed_in(request: HttpRequest | None) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def _prefecture_of(obj: models.Model) -> Any:
    if hasattr(obj, "prefecture_id"):
        return obj.prefecture_id
    case = getattr(obj, "case", None)
    return getattr(case, "prefecture_id", None)


def record_read(obj: models.Model) -> None:
    """Audit that the signed-in user of the current GET request opened `obj`."""
    request = _request.get()
    if request is None or request.method not in READ_METHODS or not _signed_in(request):
        return
    if not getattr(type(obj), "AUDIT_READS", False):
        return
    seen: set[tuple[str, Any]] = request.__dict__.setdefault("_tsunagu_reads", set())
    key = (obj._meta.label, obj.pk)
    if key in seen:
        return
    seen.add(key)
    audit(
        actor=request.user,  # type: ignore[arg-type]
        action=f"read.{obj._meta.model_name}",
        obj=obj,
        prefecture=_prefecture_of(obj),
        path=request.path[:300],
    )


class AccessAuditMiddleware:
    """See the module docstring. Placed after authentication."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        if _signed_in(request):
            self._after(request, response)
        return response

    def _after(self, request: HttpRequest, response: HttpResponse) -> None:
        user: Any = request.user
        if response.status_code in (403, 404):
            audit(
                actor=user,
                action="access.denied",
                prefecture=user.prefecture_id,
                path=request.path[:300],
                method=request.method,
                status=response.status_code,
            )
            return
        match = getattr(request, "resolver_match", None)
        name = match.view_name if match is not None else ""
        if (
            request.method in READ_METHODS
            and response.status_code == 200
            and name in AUDITED_ROUTES
        ):
            audit(
                actor=user,
                action=AUDITED_ROUTES[name],
                prefecture=user.prefecture_id,
                path=request.path[:300],
                query=request.META.get("QUERY_STRING", "")[:500],
            )
